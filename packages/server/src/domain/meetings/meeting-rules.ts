/**
 * What a meeting's times and time zone must be, checked before anything is written (the recurrence:
 * recurrence-rules.ts).
 */
import { DomainError } from '../errors.js';
import { resolveTimeZone } from '../sync/time-zones.js';
import type { Recurrence } from './meeting.js';
import { LATEST_BOUND, MIN_RETENTION_DAYS, purgeAfterDay, type ScheduledTimes } from './window.js';

const MAX_DURATION_MS = 31 * 24 * 3600_000;

/**
 * No meeting starts before 1970-01-01T00:00:00Z (the Unix epoch). Every instant derived from a
 * meeting must stay a valid RFC 3339 date-time, with a 4-digit year from 0000 to 9999: the room
 * opens up to 24 h before the start (validFrom), and a start in year 0000 answered validFrom
 * "-000001-12-31T23:00:00.000Z". Any bound a day after 0000-01-01 would do; the epoch also keeps
 * every calendar day (recurrence-dates.ts counts them from it) and every purge day non-negative, and
 * no meeting Roomlink hosts can be that old. Calendar sync's updates are held to it too: unlike the
 * purge-day check below, which only the organizer's own requests get, it never refuses a real event.
 */
export const EARLIEST_START = Date.UTC(1970, 0, 1);

function fail(detail: string): never {
  throw new DomainError('invalid_meeting_times', detail);
}

export function validateTimes(start: Date, end: Date): void {
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    fail('start and end must be valid date-times');
  }
  if (start.getTime() < EARLIEST_START) fail('a meeting may not start before 1970-01-01T00:00:00Z');
  if (end <= start) fail('end must be after start');
  if (end.getTime() > LATEST_BOUND) fail('a meeting must end by 9999-09-30');
  if (end.getTime() - start.getTime() > MAX_DURATION_MS) fail('a meeting may last at most 31 days');
}

/**
 * A meeting's time zone, as Outlook names it: an IANA name that Intl knows (Europe/Paris, UTC,
 * Etc/UTC, and the aliases Intl accepts, such as Asia/Calcutta, whether or not
 * Intl.supportedValuesOf lists them), or a Windows time zone id from CLDR's windowsZones table
 * (W. Europe Standard Time), which Office.js's userProfile.timeZone and recurrenceTimeZone give on
 * most platforms. Null or undefined (none) passes. The same reading calendar sync uses
 * (sync/time-zones.ts), so that a stored zone is always one Roomlink can compute with.
 */
export function validateTimeZone(timeZone: string | null | undefined): void {
  if (timeZone === null || timeZone === undefined) return;
  if (resolveTimeZone(timeZone) === undefined) {
    fail(
      'timeZone must be an IANA time zone name (such as Europe/Paris) or a Windows time zone name ' +
        '(such as W. Europe Standard Time)',
    );
  }
}

/**
 * Refuses times whose purge day (window.ts, purgeAfterDay) is today or earlier: the next retention
 * run, which deletes every meeting whose purge day has come, would delete the meeting right after it
 * was written. The organizer learns it now, instead of a meeting that answers 201 and then vanishes.
 * `retentionDays` is the tenant's setting (null: 3 calendar months); `today` a UTC instant.
 */
export function refuseExpired(
  times: ScheduledTimes,
  retentionDays: number | null,
  seriesSeenOn: string | null,
  today: Date,
): void {
  const purgeDay = purgeAfterDay(times, retentionDays, seriesSeenOn);
  if (purgeDay > today.toISOString().slice(0, 10)) return;
  const kept = retentionDays === null ? '3 months' : `${Math.max(retentionDays, MIN_RETENTION_DAYS)} days`;
  fail(
    `the meeting ${times.recurrence ? 'series ' : ''}ended too long ago: Roomlink keeps a meeting ${kept} after ` +
      `it ends, so it would be deleted at once (purge day ${purgeDay})`,
  );
}

/**
 * Refuses a series that names no time zone Roomlink reads: neither its recurrence's
 * `recurrenceTimeZone` nor the meeting's `timeZone`. Its room could then only be opened for the whole
 * series, between occurrences too (sync/occurrences.ts, openSchedule), up to 2 years of a link and PIN
 * open to guessing. A `recurrenceTimeZone` that is given must be a name Roomlink reads: the
 * occurrences are placed in it, and another zone would open the room hours off. Only the organizer's
 * own requests are held to it: calendar sync follows what the calendar holds (Graph may name a custom
 * zone) and keeps the fallback. Throws invalid_recurrence, the field the client got wrong.
 */
export function refuseSeriesWithoutZone(recurrence: Recurrence | null, timeZone: string | null): void {
  if (!recurrence) return;
  const range = recurrence.range as { recurrenceTimeZone?: unknown } | undefined;
  const named = range?.recurrenceTimeZone;
  if (typeof named === 'string' && named !== '') {
    if (resolveTimeZone(named) !== undefined) return;
    throw new DomainError(
      'invalid_recurrence',
      'range.recurrenceTimeZone must be an IANA time zone name (such as Europe/Paris) or a Windows ' +
        'time zone name (such as W. Europe Standard Time)',
    );
  }
  if (timeZone !== null && resolveTimeZone(timeZone) !== undefined) return;
  throw new DomainError(
    'invalid_recurrence',
    'a recurring meeting needs a time zone (timeZone, or recurrence.range.recurrenceTimeZone): its room ' +
      "opens at each occurrence's local time",
  );
}
