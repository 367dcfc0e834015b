/**
 * When a room admits people, and when its metadata is purged. Both derive from the meeting's times,
 * which are stored encrypted; only the purge day is kept in clear (day granularity), and for a series
 * with no end the day calendar sync last saw it (`meetings.series_seen_on`, also a clear day).
 */
import { instantOf, seriesTimeZone, wallClock } from '../sync/time-zones.js';
import type { Recurrence } from './meeting.js';
import { parseCalendarDay, seriesDates } from './recurrence-dates.js';

/** What dates a meeting: a Meeting has it all. For a series, `start` and `end` are its first occurrence's. */
export interface ScheduledTimes {
  readonly start: Date;
  readonly end: Date;
  /** The meeting's zone (IANA or Windows); a recurrence's own `range.recurrenceTimeZone` comes first. */
  readonly timeZone: string | null;
  readonly recurrence: Recurrence | null;
}

export interface WindowPolicy {
  readonly openBeforeMinutes: number;
  readonly closeAfterMinutes: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/**
 * A series with no end (`noEnd`) keeps its room for this long after its first occurrence ends, or
 * after the day calendar sync last saw it in the organizer's calendar, whichever is later.
 */
const OPEN_ENDED_SERIES_YEARS = 2;
/**
 * A series calendar sync keeps seeing is confirmed (its `series_seen_on` day written) at most once
 * in this many days: sync sees every series at least daily, and a horizon of 2 years does not need a
 * write a day.
 */
export const SERIES_CONFIRM_EVERY_DAYS = 7;
/**
 * How much later than "first end + whole days" an occurrence can end on its own date: the series'
 * UTC offset may differ between the first and the last occurrence (a DST shift: 1 h in most zones,
 * 2 h in Antarctica/Troll), and an occurrence spanning a DST change may last an hour longer.
 */
const OFFSET_MARGIN = 3 * HOUR;
/**
 * What a zoned bound adds to the computed end of the last occurrence: a first occurrence whose
 * wall-clock time the zone skipped (a DST gap, 2 h in Antarctica/Troll) may have been moved by
 * Exchange another way than by Intl here, and Exchange's zone rules may differ from this server's tz
 * database by a rule change or two. Hours, not days: the purge day moves at most one day later.
 */
const ZONE_MARGIN = 3 * HOUR;
/** The end of a day in the latest time zone on Earth (UTC−12) is 36 h after its start in UTC. */
const LATEST_DAY_END = DAY + 12 * HOUR;
/**
 * Bounds are capped here so that the purge day, 3 months on, still has a 4-digit year (purge days
 * compare as text); a meeting may not end later (validateTimes).
 */
export const LATEST_BOUND = Date.UTC(9999, 8, 30);

/**
 * When the meeting's last occurrence ends, or a bound never earlier than that. For a series, `start`
 * and `end` are the first occurrence's (Graph's series master), which starts on
 * `recurrence.range.startDate` or later (Graph requires the master's start to be the range's start
 * date; Exchange may move it to the first date the pattern yields).
 *
 * - `numbered` and `endDate` with a zone this server reads (the recurrence's `recurrenceTimeZone`,
 *   else the meeting's `timeZone`; the meetings API refuses a series without one): the last
 *   occurrence's date D is computed from the pattern (an exact expansion, recurrence-dates.ts, in
 *   constant time whatever the interval and count: calendar sync stores any series Graph holds, up to
 *   Int32 values), and the occurrence on D is placed as every occurrence is: at the first one's
 *   wall-clock time in the zone, for the first one's duration (sync/occurrences.ts does the same,
 *   date by date). ZONE_MARGIN is added, for what the zone's rules leave open (below).
 * - The same without a zone this server reads: occurrences keep the first one's wall-clock time, so
 *   the last one ends `D − startDate` days after `end`, give or take a change of UTC offset:
 *   OFFSET_MARGIN is added. `endDate` also never ends before the end of `range.endDate` in UTC−12,
 *   the latest time zone: `endDate` is a day in the series' own zone, so this holds in any zone. The
 *   bound is then up to ~1.5 days late.
 * - `noEnd`: the last occurrence is unknown, possibly never. The room is kept OPEN_ENDED_SERIES_YEARS
 *   after the later of the first occurrence's end and the end of `seriesSeenOn` (the UTC day
 *   calendar sync last saw the series in the organizer's calendar; null without sync): a rolling
 *   horizon while the series still exists, 2 years after the first occurrence without sync.
 * - Any other recurrence this cannot date: OPEN_ENDED_SERIES_YEARS after the first occurrence.
 */
export function lastEnd(times: ScheduledTimes, seriesSeenOn: string | null = null): Date {
  const { end, recurrence } = times;
  if (!recurrence) return end;
  const range = recurrence.range as { type?: unknown; endDate?: unknown } | undefined;
  const dates = seriesDates(recurrence);
  // Placed as sync/occurrences.ts places each occurrence.
  const zone = dates ? seriesTimeZone(recurrence, times.timeZone) : undefined;
  const bounds: number[] = [];
  if (dates && zone) {
    bounds.push(zonedLastEnd(times, dates.lastDate, zone));
  } else if (dates) {
    const days = dates.lastDate - dates.startDate;
    // No later date: the last occurrence is the first one itself.
    bounds.push(days <= 0 ? end.getTime() : end.getTime() + days * DAY + OFFSET_MARGIN);
  }
  const endDate = range?.type === 'endDate' && !zone ? parseCalendarDay(range.endDate) : undefined;
  if (endDate !== undefined) bounds.push(endDate * DAY + LATEST_DAY_END);
  if (bounds.length === 0) {
    const seen = isOpenEnded(recurrence) ? parseCalendarDay(seriesSeenOn) : undefined;
    const horizon = new Date(Math.max(end.getTime(), seen === undefined ? -Infinity : (seen + 1) * DAY));
    horizon.setUTCFullYear(horizon.getUTCFullYear() + OPEN_ENDED_SERIES_YEARS);
    return horizon;
  }
  // A date beyond what Date can hold (a count or interval in the millions; recurrence-dates.ts gives
  // Infinity) is "later than anything": capped, as every bound, at LATEST_BOUND.
  const bound = Math.min(Math.max(...bounds.map((b) => (Number.isNaN(b) ? Infinity : b))), LATEST_BOUND);
  return new Date(Math.max(bound, end.getTime()));
}

/**
 * The end of the occurrence on `lastDate` (a day of the series' calendar), at the first occurrence's
 * wall-clock time in `zone`, plus ZONE_MARGIN. A last date on or before the first occurrence's own
 * day is the first occurrence itself.
 */
function zonedLastEnd(times: ScheduledTimes, lastDate: number, zone: string): number {
  const firstStart = times.start.getTime();
  const wall = wallClock(firstStart, zone);
  const firstDay = Math.floor(wall / DAY);
  if (lastDate <= firstDay) return times.end.getTime();
  const wallStart = lastDate * DAY + (wall - firstDay * DAY);
  // Past what Date (and Intl) can hold: "later than anything", capped by the caller.
  if (!(wallStart <= LATEST_BOUND)) return Infinity;
  const duration = Math.max(0, times.end.getTime() - firstStart);
  return instantOf(wallStart, zone) + duration + ZONE_MARGIN;
}

/**
 * Whether the day calendar sync last saw an open-ended series, `seriesSeenOn`, is old enough at `at`
 * to be written again (never written counts as old).
 */
export function seriesConfirmationDue(seriesSeenOn: string | null, at: Date): boolean {
  const seen = parseCalendarDay(seriesSeenOn);
  return seen === undefined || Math.floor(at.getTime() / DAY) - seen >= SERIES_CONFIRM_EVERY_DAYS;
}

/** Whether a recurrence has no end (Graph's `range.type` `noEnd`): its horizon rolls with sync. */
export function isOpenEnded(recurrence: Recurrence | null): boolean {
  return (recurrence?.range as { type?: unknown } | undefined)?.type === 'noEnd';
}

export function roomWindow(times: ScheduledTimes, policy: WindowPolicy, seriesSeenOn: string | null = null) {
  return {
    validFrom: new Date(times.start.getTime() - policy.openBeforeMinutes * MINUTE),
    validUntil: new Date(lastEnd(times, seriesSeenOn).getTime() + policy.closeAfterMinutes * MINUTE),
  };
}

/**
 * The fewest days a tenant's retention may keep a meeting after it ends. The purge day is rounded
 * down (below), so N days delete a meeting between N − 1 and N days after its end; its room stays
 * open up to ROOMLINK_ROOM_CLOSE_AFTER_MINUTES (at most a day) after the end, and a purge must not cut
 * it short. One day could delete a meeting that ended at 23:30 UTC half an hour later.
 */
export const MIN_RETENTION_DAYS = 2;

/**
 * The UTC day on which the meeting's metadata is deleted: `retentionDays` (at least
 * MIN_RETENTION_DAYS, whatever an older release stored) after the meeting (or series) ends, or 3
 * calendar months when the tenant set nothing shorter. Rounded down to the day,
 * so that rows never outlive the promise; the clear-text day reveals no more than a date.
 *
 * `movedEnd` is the latest end of an occurrence the organizer moved (an exception calendar sync
 * saw, not cancelled): moved past the pattern's last occurrence, it is when the series really ends,
 * and the purge day must not come before it has happened.
 */
export function purgeAfterDay(
  times: ScheduledTimes,
  retentionDays: number | null,
  seriesSeenOn: string | null = null,
  movedEnd: Date | null = null,
): string {
  const last = laterEnd(lastEnd(times, seriesSeenOn), movedEnd);
  const purge =
    retentionDays === null
      ? addMonthsClamped(last, 3)
      : new Date(last.getTime() + Math.max(retentionDays, MIN_RETENTION_DAYS) * 86_400_000);
  return purge.toISOString().slice(0, 10);
}

/**
 * The later of the pattern's last end and a moved occurrence's end, capped like `lastEnd` (a time
 * from a calendar is not validated as a meeting's own end is).
 */
export function laterEnd(patternEnd: Date, movedEnd: Date | null): Date {
  if (!movedEnd || Number.isNaN(movedEnd.getTime()) || movedEnd <= patternEnd) return patternEnd;
  return new Date(Math.min(movedEnd.getTime(), Math.max(LATEST_BOUND, patternEnd.getTime())));
}

/**
 * The purge day of a series cancelled at `cancelledAt`: it ends then, or at its first occurrence if
 * that is still to come, not at a last occurrence that will not happen (for a series with no end,
 * 2 years or more away).
 */
export function cancelledSeriesPurgeDay(end: Date, cancelledAt: Date, retentionDays: number | null): string {
  const ended = new Date(Math.max(cancelledAt.getTime(), end.getTime()));
  return purgeAfterDay({ start: ended, end: ended, timeZone: null, recurrence: null }, retentionDays);
}

/** 30 November + 3 months is 28 February, not 2 March. */
export function addMonthsClamped(date: Date, months: number): Date {
  const result = new Date(date);
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}
