/**
 * All-day events: Graph gives their start and end as floating dates (midnight of the first day and
 * of the day after the last, in no zone), and sync places them at the midnights of the organizer's
 * zone, the instants the Outlook add-in stored when it made the meeting (Office.js gives the
 * appointment's times as instants).
 */
import type { CalendarItem } from './calendar-item.js';
import { instantOf, parseCalendarDate, resolveTimeZone, wallClock } from './time-zones.js';

const DAY = 86_400_000;

/** An all-day event's days as Graph gives them, and the zone sync placed their midnights in. */
export interface AllDayDates {
  /** yyyy-mm-dd of the first day. */
  readonly startDate: string;
  /** yyyy-mm-dd of the day after the last (Graph's end is exclusive). */
  readonly endDate: string;
  /**
   * The zone name (Windows or IANA, as the event gave it) whose midnights `start` and `end` are; null
   * when the event named none this server knows: then they are UTC's until placeAllDayIn places them
   * in a zone known otherwise.
   */
  readonly timeZone: string | null;
}

/** The instants at which the days begin and end in `zone` (a name resolveTimeZone knows), or undefined. */
export function allDaySpan(
  startDate: string,
  endDate: string,
  zone: string,
): { start: Date; end: Date } | undefined {
  const iana = resolveTimeZone(zone);
  const startWall = parseCalendarDate(startDate);
  const endWall = parseCalendarDate(endDate);
  if (!iana || startWall === undefined || endWall === undefined) return undefined;
  // A midnight the clocks skip (a zone that changes its clocks at 00:00) is the instant the day
  // begins, after the gap: instantOf's reading of a skipped time.
  return { start: new Date(instantOf(startWall, iana)), end: new Date(instantOf(endWall, iana)) };
}

/**
 * The item with its all-day times placed in `zone` (the meeting's, which the add-in took from the
 * organizer's mailbox), when the event itself named no zone sync knows; otherwise the item as it is.
 */
export function placeAllDayIn(item: CalendarItem, zone: string | null | undefined): CalendarItem {
  const allDay = item.allDay;
  if (!allDay || allDay.timeZone !== null || !zone) return item;
  const span = allDaySpan(allDay.startDate, allDay.endDate, zone);
  return span ? { ...item, start: span.start, end: span.end, allDay: { ...allDay, timeZone: zone } } : item;
}

/**
 * The end of the all-day occurrence of `master`'s series that starts at `start`: as many days later,
 * at midnight in the series' zone (a fixed duration would be an hour off across a clock change).
 * Undefined when `master` is no all-day event placed in a zone.
 */
export function allDayEndAfter(master: CalendarItem, start: Date): Date | undefined {
  const allDay = master.allDay;
  const zone = resolveTimeZone(allDay?.timeZone ?? (allDay ? 'UTC' : undefined));
  const first = parseCalendarDate(allDay?.startDate ?? '');
  const last = parseCalendarDate(allDay?.endDate ?? '');
  if (!zone || first === undefined || last === undefined) return undefined;
  const days = Math.round((last - first) / DAY);
  const startWall = wallClock(start.getTime(), zone);
  const midnight = startWall - (((startWall % DAY) + DAY) % DAY);
  return new Date(instantOf(midnight + days * DAY, zone));
}
