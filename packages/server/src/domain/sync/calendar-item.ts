/** A calendar item as sync sees it, whatever API it came from (Graph JSON is mapped in src/graph). */
import type { AllDayDates } from './all-day.js';

export type CalendarItemType = 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';

export interface CalendarItem {
  readonly id: string;
  readonly type: CalendarItemType;
  readonly subject: string;
  /** Instants; an all-day event's are the midnights of its days in its zone (all-day.ts). */
  readonly start: Date;
  readonly end: Date;
  /** An all-day event: its days as Graph gave them and the zone its times were placed in. */
  readonly allDay?: AllDayDates | null;
  readonly isCancelled: boolean;
  /**
   * Whether the mailbox owner organises the event (Graph's isOrganizer). False for an invitation: a
   * copy of someone else's event, which sync never applies. src/graph always sets it (false when Graph
   * did not say); only items built without Graph's JSON leave it out, and count as the owner's.
   */
  readonly isOrganizer?: boolean;
  /** ISO-8601 UTC; orders versions of the same item. */
  readonly lastModified: string;
  readonly changeKey: string;
  readonly seriesMasterId: string | null;
  /** Occurrences and exceptions: the start the series gave them. */
  readonly originalStart: Date | null;
  readonly recurrence: Readonly<Record<string, unknown>> | null;
  /** Series masters: the zone of the series' wall-clock times (Windows or IANA name), when known. */
  readonly seriesTimeZone: string | null;
  /**
   * Series masters: the dates (yyyy-mm-dd in the series' zone) of occurrences the organizer cancelled
   * or deleted. Such occurrences are absent from the series' instances, not returned as cancelled.
   */
  readonly cancelledOccurrenceDates: readonly string[];
  /** `roomlinkMeetingId` from the add-in's custom properties, when present. */
  readonly customMeetingId: string | null;
  readonly body: { readonly kind: 'html' | 'text'; readonly content: string } | null;
}

/** An occurrence or exception of a series (Graph reads it through its own id; its master holds the pattern). */
export function isOccurrence(item: CalendarItem): item is CalendarItem & { readonly seriesMasterId: string } {
  return item.seriesMasterId !== null && item.type !== 'seriesMaster';
}

export interface MailboxOwner {
  readonly userId: string;
  readonly tenantId: string;
}
