/**
 * When a room admits people, and when its metadata is purged. Both derive from the meeting's times,
 * which are stored encrypted; only the purge day is kept in clear (day granularity).
 */
import type { Recurrence } from './meeting.js';

export interface WindowPolicy {
  readonly openBeforeMinutes: number;
  readonly closeAfterMinutes: number;
}

const MINUTE = 60_000;
/** A series with no end date keeps its room for this long after its last update. */
const OPEN_ENDED_SERIES_YEARS = 2;

export function lastEnd(end: Date, recurrence: Recurrence | null): Date {
  if (!recurrence) return end;
  const range = recurrence.range as { type?: string; endDate?: string } | undefined;
  if (range?.type === 'endDate' && typeof range.endDate === 'string') {
    const seriesEnd = new Date(`${range.endDate}T23:59:59.999Z`);
    return seriesEnd > end ? seriesEnd : end;
  }
  // numbered or noEnd: the last occurrence is not known without expanding; keep the room long enough.
  const horizon = new Date(end);
  horizon.setUTCFullYear(horizon.getUTCFullYear() + OPEN_ENDED_SERIES_YEARS);
  return horizon;
}

export function roomWindow(start: Date, end: Date, recurrence: Recurrence | null, policy: WindowPolicy) {
  return {
    validFrom: new Date(start.getTime() - policy.openBeforeMinutes * MINUTE),
    validUntil: new Date(lastEnd(end, recurrence).getTime() + policy.closeAfterMinutes * MINUTE),
  };
}

/**
 * The UTC day on which the meeting's metadata is deleted: `retentionDays` after the meeting (or
 * series) ends, or 3 calendar months when the tenant set nothing shorter. Rounded down to the day,
 * so that rows never outlive the promise; the clear-text day reveals no more than a date.
 */
export function purgeAfterDay(
  end: Date,
  recurrence: Recurrence | null,
  retentionDays: number | null,
): string {
  const last = lastEnd(end, recurrence);
  const purge =
    retentionDays === null
      ? addMonthsClamped(last, 3)
      : new Date(last.getTime() + retentionDays * 86_400_000);
  return purge.toISOString().slice(0, 10);
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
