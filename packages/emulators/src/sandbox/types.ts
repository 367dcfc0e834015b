/**
 * The Outlook sandbox's boundary to a calendar: a few Graph-shaped calls (the Graph emulator is one
 * implementation; memory-calendar.ts another). Shapes are the subset of Microsoft Graph's `event` the
 * sandbox writes and reads, so an adapter to the Graph emulator is a thin wrapper.
 */

export interface SandboxUser {
  readonly upn: string;
  readonly displayName: string;
  /** The user's Outlook time zone as Office.js reports it (userProfile.timeZone); default 'UTC'. */
  readonly timeZone?: string;
}

export interface SandboxDateTime {
  /** Wall-clock time in `timeZone`, `YYYY-MM-DDTHH:mm:ss`. The sandbox always writes UTC. */
  readonly dateTime: string;
  readonly timeZone: string;
}

export type SandboxDay = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';

export interface SandboxRecurrence {
  readonly pattern: {
    readonly type: 'daily' | 'weekly' | 'absoluteMonthly';
    readonly interval: number;
    readonly daysOfWeek?: SandboxDay[];
    readonly dayOfMonth?: number;
  };
  readonly range: {
    readonly type: 'endDate' | 'noEnd';
    readonly startDate: string;
    readonly endDate?: string;
    readonly recurrenceTimeZone?: string;
  };
}

/** What the sandbox writes on save (POST/PATCH .../events). */
export interface SandboxEventInput {
  readonly subject: string;
  readonly body: { readonly contentType: 'html' | 'text'; readonly content: string };
  readonly start: SandboxDateTime;
  readonly end: SandboxDateTime;
  readonly location: { readonly displayName: string };
  /** Every location entry (Graph's `locations`); a room is a conferenceRoom with its address. */
  readonly locations?: readonly {
    readonly displayName: string | null;
    readonly locationType: 'default' | 'conferenceRoom';
    readonly locationEmailAddress?: string | null;
  }[];
  readonly attendees: { readonly emailAddress: { readonly address: string }; readonly type: 'required' }[];
  readonly recurrence: SandboxRecurrence | null;
  /** The add-in's custom properties: `String {00020329-…} Name cecp-<add-in id>` = JSON object. */
  readonly singleValueExtendedProperties?: { readonly id: string; readonly value: string }[];
}

/** What the sandbox reads back (GET .../events/{id}, with the custom-properties property expanded). */
export interface SandboxEvent extends SandboxEventInput {
  readonly id: string;
}

export interface SandboxCalendar {
  listUsers(): Promise<readonly SandboxUser[]>;
  createEvent(upn: string, input: SandboxEventInput): Promise<SandboxEvent>;
  updateEvent(upn: string, id: string, input: SandboxEventInput): Promise<SandboxEvent>;
  /**
   * The event with `singleValueExtendedProperties` holding the given ids when set, or null when there is
   * no such event (Graph: `$expand=singleValueExtendedProperties($filter=id eq '…')`).
   */
  getEvent(upn: string, id: string, extendedPropertyIds: readonly string[]): Promise<SandboxEvent | null>;
}

/** PS_PUBLIC_STRINGS: the property set of Outlook add-in custom properties. */
export const CUSTOM_PROPERTIES_SET = '{00020329-0000-0000-C000-000000000046}';

export function customPropertiesPropertyId(addinId: string): string {
  return `String ${CUSTOM_PROPERTIES_SET} Name cecp-${addinId}`;
}
