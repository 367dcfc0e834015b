/**
 * An Outlook appointment in compose mode for unit tests: its state, and an office-addin-mock object
 * exposing the Office.js calls the add-in makes over that state. Calls can be made to fail by name.
 */
import { OfficeMockObject } from 'office-addin-mock';
import type {
  CustomPropertiesLike,
  DialogLike,
  LocationDetailsLike,
  LocationIdentifierLike,
  NotificationDetails,
  OfficeAsyncResult,
  OfficeCallback,
  OfficeLike,
  RecurrenceLike,
} from '../../web/core/office.js';

/** A location entry as Outlook with Mailbox 1.8 keeps it: a booked room (`id` its address) or text. */
export interface FakeLocation {
  readonly type: 'room' | 'custom';
  readonly id: string;
  readonly displayName: string;
}

export interface FakeItemState {
  subject: string;
  start: Date;
  end: Date;
  /** The location line (`location.getAsync`); with `locations`, their display names joined by "; ". */
  location: string;
  /**
   * Given to fakeOutlook, the item has Mailbox 1.8's enhancedLocation: these entries are the truth,
   * and `location.setAsync` replaces them all with one custom entry, as Outlook does.
   */
  locations?: FakeLocation[];
  body: string;
  bodyType: 'html' | 'text';
  recurrence: RecurrenceLike | null;
  /** Set for one occurrence of a series opened on its own (its recurrence is then the series'). */
  seriesId?: string | null;
  /** Saved custom properties (what Outlook would persist). */
  customProperties: Record<string, unknown>;
  /**
   * Given to fakeOutlook, the item has Mailbox 1.11's sessionData (and the fake claims Mailbox 1.11):
   * the item's session data, shared by every runtime, as Office.SessionData keeps it.
   */
  sessionData?: Record<string, string>;
  notifications: Map<string, NotificationDetails>;
  /** Names of calls that fail, e.g. 'body.setAsync'. */
  failing: Set<string>;
  /** Every call made, by name, in order. */
  calls: string[];
}

export interface FakeDialog {
  url: string;
  closed: boolean;
  /** Delivers a message from the dialog page (messageParent), from `origin` when given (DialogOrigin 1.1). */
  message(text: string, origin?: string): void;
  /** The user closes the dialog window. */
  closeByUser(): void;
  /** The dialog reports an error and stays open (12002: page not found, 12003: not https). */
  fail(code: number): void;
}

export interface FakeOutlook {
  readonly office: OfficeLike;
  readonly state: FakeItemState;
  readonly dialogs: FakeDialog[];
  /** Called when the add-in opens a dialog (to play the sign-in page's part). */
  onDialog: (dialog: FakeDialog) => void;
}

const ok = <T>(value: T): OfficeAsyncResult<T> => ({ status: 'succeeded', value });
const failed = (name: string): OfficeAsyncResult<never> => ({
  status: 'failed',
  value: undefined as never,
  error: { name: 'GenericResponseError', message: `${name} failed`, code: 9020 },
});

const refused = (name: string, error: unknown): OfficeAsyncResult<never> => ({
  status: 'failed',
  value: undefined as never,
  error: {
    name: 'InvalidFormatError',
    message: `${name}: ${error instanceof Error ? error.message : String(error)}`,
  },
});

/** Office's answer to a second displayDialogAsync while one is open. */
const DIALOG_ALREADY_OPEN = {
  name: 'DialogError',
  message: 'A dialog box is already opened from this host window.',
  code: 12007,
};

const MAX_LOCATION = 255;
/** Office.js refuses a body.setAsync `data` longer than this (its reference: DataExceedsMaximumSize). */
export const MAX_BODY = 1_000_000;
// Microsoft documents the error's name, not its code; the sandbox's is the Common API's 2009 ("The
// specified data object is too large").
const tooLong = (name: string): OfficeAsyncResult<never> => ({
  status: 'failed',
  value: undefined as never,
  error: {
    name: 'DataExceedsMaximumSize',
    message: `${name}: the data exceeds the maximum size`,
    code: 2009,
  },
});

/**
 * Which Office.js an item offers. `mobileOnlineMeeting`: an online-meeting provider's button on Outlook
 * for Android and iOS, which offers only body get/set, start, end, subject, location, attendees and
 * custom properties (learn.microsoft.com/office/dev/add-ins/outlook/online-meeting#available-apis): no
 * getTypeAsync, recurrence or notification bar.
 */
export type FakeSurface = 'desktop' | 'mobileOnlineMeeting';

export function fakeOutlook(
  init: Partial<FakeItemState> & {
    displayLanguage?: string;
    emailAddress?: string;
    surface?: FakeSurface;
  } = {},
): FakeOutlook {
  const { displayLanguage, emailAddress, surface = 'desktop', ...itemInit } = init;
  const state: FakeItemState = {
    subject: 'Quarterly review',
    start: new Date('2026-12-01T09:00:00Z'),
    end: new Date('2026-12-01T10:00:00Z'),
    location: '',
    body: '<html><body><div>Agenda: numbers.</div></body></html>',
    bodyType: 'html',
    recurrence: null,
    customProperties: {},
    notifications: new Map(),
    failing: new Set(),
    calls: [],
    ...itemInit,
  };
  const dialogs: FakeDialog[] = [];
  const enhanced = state.locations !== undefined;
  const session = state.sessionData !== undefined;
  const mailboxMinor = session ? 11 : 8;
  const syncLocation = () => {
    if (state.locations) state.location = state.locations.map((l) => l.displayName).join('; ');
  };
  syncLocation();
  const fake: FakeOutlook = {
    office: undefined as unknown as OfficeLike,
    state,
    dialogs,
    onDialog: () => undefined,
  };

  const call = <T>(name: string, callback: OfficeCallback<T> | undefined, value: () => T) => {
    state.calls.push(name);
    // Office.js answers asynchronously; so does the fake.
    queueMicrotask(() => {
      let result: OfficeAsyncResult<T>;
      if (state.failing.has(name)) {
        result = failed(name);
      } else {
        // What the fake refuses (a body asked for or written in another format) is an answer with
        // status 'failed', as Office.js gives, not an exception that would leave the caller waiting.
        try {
          result = ok(value());
        } catch (error) {
          result = refused(name, error);
        }
      }
      callback?.(result);
    });
  };

  const customProperties = (): CustomPropertiesLike => {
    const pending: Record<string, unknown> = { ...state.customProperties };
    return {
      get: (name) => pending[name],
      set: (name, value) => {
        pending[name] = value;
      },
      remove: (name) => {
        delete pending[name];
      },
      saveAsync: (cb) =>
        call('customProperties.saveAsync', cb, () => {
          state.customProperties = { ...pending };
        }),
    };
  };

  const data = {
    host: 'outlook',
    context: {
      ...(enhanced || session
        ? {
            requirements: {
              isSetSupported: (name: string, version = '1.1') =>
                name === 'Mailbox' && Number(version.split('.')[1] ?? 0) <= mailboxMinor,
            },
          }
        : {}),
      displayLanguage: displayLanguage ?? 'en-US',
      mailbox: {
        userProfile: {
          timeZone: 'Romance Standard Time',
          displayName: 'Adele Vance',
          // The stub's default user (stub-roomlink.ts signInAs).
          emailAddress: emailAddress ?? 'adele@contoso.test',
        },
        item: {
          itemType: 'appointment',
          subject: {
            getAsync: (cb: OfficeCallback<string>) => call('subject.getAsync', cb, () => state.subject),
          },
          start: {
            getAsync: (cb: OfficeCallback<Date>) => call('start.getAsync', cb, () => new Date(state.start)),
          },
          end: {
            getAsync: (cb: OfficeCallback<Date>) => call('end.getAsync', cb, () => new Date(state.end)),
          },
          location: {
            getAsync: (cb: OfficeCallback<string>) => call('location.getAsync', cb, () => state.location),
            setAsync: (value: string, cb: OfficeCallback<void>) => {
              // Office.js refuses a location over 255 characters, as Outlook does.
              if (value.length > MAX_LOCATION) {
                state.calls.push('location.setAsync');
                queueMicrotask(() => cb(tooLong('location.setAsync')));
                return;
              }
              call('location.setAsync', cb, () => {
                state.location = value;
                // "inserts the specified location string as plain text, overwriting any existing
                // location" (learn.microsoft.com, get-or-set-the-location-of-an-appointment).
                if (state.locations) {
                  state.locations = value === '' ? [] : [{ type: 'custom', id: value, displayName: value }];
                }
              });
            },
          },
          ...(enhanced
            ? {
                enhancedLocation: {
                  getAsync: (cb: OfficeCallback<LocationDetailsLike[]>) =>
                    call('enhancedLocation.getAsync', cb, () =>
                      (state.locations ?? []).map((l) => ({
                        locationIdentifier: { id: l.id, type: l.type },
                        displayName: l.displayName,
                        ...(l.type === 'room' ? { emailAddress: l.id } : {}),
                      })),
                    ),
                  addAsync: (ids: LocationIdentifierLike[], cb: OfficeCallback<void>) =>
                    call('enhancedLocation.addAsync', cb, () => {
                      for (const { id, type } of ids) {
                        if (state.locations?.some((l) => l.id === id && l.type === type)) continue;
                        state.locations?.push({ type, id, displayName: id });
                      }
                      syncLocation();
                    }),
                  removeAsync: (ids: LocationIdentifierLike[], cb: OfficeCallback<void>) =>
                    call('enhancedLocation.removeAsync', cb, () => {
                      state.locations = (state.locations ?? []).filter(
                        (l) => !ids.some((r) => r.id === l.id && r.type === l.type),
                      );
                      syncLocation();
                    }),
                },
              }
            : {}),
          body: {
            getTypeAsync: (cb: OfficeCallback<string>) => call('body.getTypeAsync', cb, () => state.bodyType),
            getAsync: (type: string, cb: OfficeCallback<string>) =>
              call('body.getAsync', cb, () => {
                if (type !== state.bodyType)
                  throw new Error('the fake only returns the body in its own format');
                return state.body;
              }),
            setAsync: (value: string, options: { coercionType: string }, cb: OfficeCallback<void>) => {
              // The whole write is refused, the body left as it was.
              if (value.length > MAX_BODY && !state.failing.has('body.setAsync')) {
                state.calls.push('body.setAsync');
                queueMicrotask(() => cb(tooLong('body.setAsync')));
                return;
              }
              call('body.setAsync', cb, () => {
                if (options.coercionType !== state.bodyType) throw new Error('format mismatch');
                state.body = value;
              });
            },
          },
          // office-addin-mock takes no null property: a single appointment leaves it out (older clients do).
          ...(state.seriesId ? { seriesId: state.seriesId } : {}),
          recurrence: {
            getAsync: (cb: OfficeCallback<RecurrenceLike | null>) =>
              call('recurrence.getAsync', cb, () => state.recurrence),
          },
          loadCustomPropertiesAsync: (cb: OfficeCallback<CustomPropertiesLike>) =>
            call('loadCustomPropertiesAsync', cb, customProperties),
          ...(session
            ? {
                sessionData: {
                  // A key never set answers null.
                  getAsync: (name: string, cb: OfficeCallback<string | null>) =>
                    call('sessionData.getAsync', cb, () => state.sessionData?.[name] ?? null),
                  setAsync: (name: string, value: string, cb: OfficeCallback<void>) =>
                    call('sessionData.setAsync', cb, () => {
                      if (typeof value !== 'string') throw new Error('session data values are strings');
                      state.sessionData = { ...state.sessionData, [name]: value };
                    }),
                  removeAsync: (name: string, cb: OfficeCallback<void>) =>
                    call('sessionData.removeAsync', cb, () => {
                      const { [name]: _gone, ...rest } = state.sessionData ?? {};
                      state.sessionData = rest;
                    }),
                },
              }
            : {}),
          notificationMessages: {
            replaceAsync: (key: string, details: NotificationDetails, cb?: OfficeCallback<void>) =>
              call('notificationMessages.replaceAsync', cb, () => {
                if (details.message.length > 150) throw new Error('notification message too long');
                state.notifications.set(key, details);
              }),
            removeAsync: (key: string, cb?: OfficeCallback<void>) =>
              call('notificationMessages.removeAsync', cb, () => {
                state.notifications.delete(key);
              }),
          },
        },
      },
      ui: {
        displayDialogAsync: (url: string, _options: unknown, cb: OfficeCallback<DialogLike>) => {
          // As Office: one dialog per host window at a time.
          if (dialogs.some((d) => !d.closed)) {
            state.calls.push('ui.displayDialogAsync');
            queueMicrotask(() =>
              cb({ status: 'failed', value: undefined as never, error: DIALOG_ALREADY_OPEN }),
            );
            return;
          }
          const handlers = new Map<
            string,
            (args: { message?: string; origin?: string; error?: number }) => void
          >();
          const dialog: FakeDialog = {
            url,
            closed: false,
            message: (text, origin) =>
              handlers.get('dialogMessageReceived')?.({
                message: text,
                ...(origin !== undefined ? { origin } : {}),
              }),
            closeByUser: () => {
              dialog.closed = true;
              handlers.get('dialogEventReceived')?.({ error: 12006 });
            },
            fail: (code) => handlers.get('dialogEventReceived')?.({ error: code }),
          };
          dialogs.push(dialog);
          call('ui.displayDialogAsync', cb, () => ({
            addEventHandler: (
              type: string,
              handler: (args: { message?: string; origin?: string; error?: number }) => void,
            ) => {
              handlers.set(type, handler);
            },
            close: () => {
              dialog.closed = true;
            },
          }));
          // The page loads after the dialog is open and its handlers are registered.
          setTimeout(() => fake.onDialog(dialog), 0);
        },
      },
    },
  };
  if (surface === 'mobileOnlineMeeting') {
    const item: Record<string, unknown> = data.context.mailbox.item;
    const { getTypeAsync: _typeless, ...body } = data.context.mailbox.item.body;
    item.body = body;
    delete item.recurrence;
    delete item.notificationMessages;
  }
  (fake as { office: OfficeLike }).office = new OfficeMockObject(data) as unknown as OfficeLike;
  return fake;
}

/** Item state the user typed, for comparing "unchanged". */
export function snapshot(state: FakeItemState) {
  return {
    subject: state.subject,
    location: state.location,
    body: state.body,
    customProperties: { ...state.customProperties },
  };
}
