/**
 * The part of Office.js the add-in uses, as plain structural types (no DOM, no @types/office-js), so the
 * same logic runs in the task pane, in function commands, in classic Outlook's JavaScript-only event
 * runtime and in unit tests with office-addin-mock. Enumeration values are Office.js's runtime strings.
 */

export interface OfficeAsyncError {
  readonly name?: string;
  readonly message: string;
  readonly code?: number;
}

export interface OfficeAsyncResult<T> {
  readonly status: string;
  readonly value: T;
  readonly error?: OfficeAsyncError;
}

export type OfficeCallback<T> = (result: OfficeAsyncResult<T>) => void;

export interface CustomPropertiesLike {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  remove(name: string): void;
  saveAsync(callback: OfficeCallback<void>): void;
}

export interface SeriesTimeLike {
  getStartDate(): string;
  getEndDate(): string | null;
  getStartTime?(): string;
  getDuration?(): number;
}

export interface RecurrenceLike {
  readonly recurrenceType: string;
  readonly recurrenceProperties?: {
    readonly interval?: number;
    readonly days?: readonly string[];
    readonly dayOfMonth?: number;
    readonly dayOfWeek?: string;
    readonly weekNumber?: string;
    readonly month?: string;
    readonly firstDayOfWeek?: string;
  };
  readonly recurrenceTimeZone?: { readonly name?: string };
  readonly seriesTime: SeriesTimeLike;
}

export interface NotificationDetails {
  readonly type: 'progressIndicator' | 'informationalMessage' | 'errorMessage';
  readonly message: string;
  readonly icon?: string;
  readonly persistent?: boolean;
}

/** Office.LocationIdentifier: `id` is a room's e-mail address, or a custom location's text. */
export interface LocationIdentifierLike {
  readonly id: string;
  readonly type: 'custom' | 'room';
}

/** Office.LocationDetails (enhancedLocation.getAsync). */
export interface LocationDetailsLike {
  readonly locationIdentifier: LocationIdentifierLike;
  readonly displayName: string;
  readonly emailAddress?: string;
}

export interface AppointmentComposeLike {
  readonly itemType?: string;
  readonly subject: { getAsync(callback: OfficeCallback<string>): void };
  readonly start: { getAsync(callback: OfficeCallback<Date>): void };
  readonly end: { getAsync(callback: OfficeCallback<Date>): void };
  readonly location: {
    getAsync(callback: OfficeCallback<string>): void;
    setAsync(location: string, callback: OfficeCallback<void>): void;
  };
  readonly body: {
    /**
     * Absent where an online-meeting provider runs on Outlook for Android and iOS: only `getAsync` and
     * `setAsync` are offered there (learn.microsoft.com/office/dev/add-ins/outlook/online-meeting#available-apis).
     */
    getTypeAsync?(callback: OfficeCallback<string>): void;
    getAsync(coercionType: string, callback: OfficeCallback<string>): void;
    setAsync(data: string, options: { coercionType: string }, callback: OfficeCallback<void>): void;
  };
  /**
   * Mailbox 1.8: the locations as entries (a room booked with Room Finder is one of type `room`, with
   * its address). Absent on older clients and on Outlook mobile's online-meeting surface.
   */
  readonly enhancedLocation?: {
    getAsync(callback: OfficeCallback<LocationDetailsLike[]>): void;
    addAsync(locations: LocationIdentifierLike[], callback: OfficeCallback<void>): void;
    removeAsync(locations: LocationIdentifierLike[], callback: OfficeCallback<void>): void;
  };
  /**
   * Mailbox 1.7: set (non-empty) when the form is one occurrence of a series, opened on its own; null
   * for a single appointment or a whole series. Absent on older clients.
   */
  readonly seriesId?: string | null;
  /** Mailbox 1.7; absent on older clients. */
  readonly recurrence?: { getAsync(callback: OfficeCallback<RecurrenceLike | null>): void } | null;
  loadCustomPropertiesAsync(callback: OfficeCallback<CustomPropertiesLike>): void;
  /**
   * Mailbox 1.11 (Office.SessionData): string values kept for this item while it is composed, shared
   * by the add-in's runtimes (learn.microsoft.com/javascript/api/outlook/office.sessiondata). Absent on
   * older clients, and at times on clients that claim 1.11 (github.com/OfficeDev/office-js/issues/4169).
   */
  readonly sessionData?: {
    getAsync(name: string, callback: OfficeCallback<string | null>): void;
    setAsync(name: string, value: string, callback: OfficeCallback<void>): void;
    removeAsync(name: string, callback: OfficeCallback<void>): void;
  };
  /** Absent on Outlook for Android and iOS, which show no notification bar while organising. */
  readonly notificationMessages?: {
    replaceAsync(key: string, details: NotificationDetails, callback?: OfficeCallback<void>): void;
    removeAsync(key: string, callback?: OfficeCallback<void>): void;
  };
}

export interface DialogLike {
  addEventHandler(
    eventType: string,
    handler: (args: { message?: string; origin?: string; error?: number }) => void,
  ): void;
  close(): void;
}

export interface OfficeLike {
  readonly context: {
    readonly displayLanguage?: string;
    readonly mailbox: {
      readonly item: AppointmentComposeLike | null | undefined;
      /** emailAddress: the mailbox's SMTP address (Mailbox 1.1); the sign-in's login_hint. */
      readonly userProfile?: { readonly timeZone?: string; readonly emailAddress?: string };
    };
    /** Absent in the stand-ins of some tests; Office.js always has it. */
    readonly requirements?: { isSetSupported(name: string, minVersion?: string): boolean };
    readonly ui?: {
      /** OpenBrowserWindowApi 1.1: classic Outlook on Windows and Outlook on Mac only. */
      openBrowserWindow?(url: string): void;
      displayDialogAsync(
        url: string,
        options: { height: number; width: number; displayInIframe?: boolean },
        callback: OfficeCallback<DialogLike>,
      ): void;
    };
  };
}

export const COERCION = Object.freeze({ html: 'html', text: 'text' });
export const DIALOG_EVENTS = Object.freeze({
  message: 'dialogMessageReceived',
  event: 'dialogEventReceived',
});

export class OfficeCallError extends Error {
  override readonly name = 'OfficeCallError';
  constructor(
    readonly officeName: string,
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

/**
 * Office.js refused a write as longer than the field allows (body: 1,000,000 characters; subject and
 * location: 255), by the error name its reference documents for setAsync and prependAsync.
 */
export function isDataTooLarge(error: unknown): boolean {
  return error instanceof OfficeCallError && error.officeName === 'DataExceedsMaximumSize';
}

/** Turns an Office.js callback API into a promise; a 'failed' status rejects with OfficeCallError. */
export function officeCall<T>(invoke: (callback: OfficeCallback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      invoke((result) => {
        if (result.status === 'failed') {
          const e = result.error;
          reject(new OfficeCallError(e?.name ?? 'Failed', e?.message ?? 'Office call failed', e?.code));
        } else {
          resolve(result.value);
        }
      });
    } catch (error) {
      reject(error);
    }
  });
}

export function currentItem(office: OfficeLike): AppointmentComposeLike {
  const item = office.context.mailbox.item;
  if (!item) throw new OfficeCallError('NoItem', 'No appointment is open');
  return item;
}
