/**
 * Calendar time zones: Outlook names a series' zone with a Windows id ('W. Europe Standard Time') or
 * an IANA name. Wall-clock arithmetic needs the IANA zone; instants are epoch milliseconds and wall
 * times are encoded as if they were UTC, so that Date.UTC arithmetic works on them.
 *
 * The Graph emulator (packages/emulators) does this arithmetic another way, with a Temporal
 * implementation, on purpose: it is the test oracle, and shared code would hide a bug both sides had.
 * Here it stays a few lines over Intl, which the create and sync paths call often.
 */
import { findIana } from 'windows-iana';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(ianaZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(ianaZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: ianaZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(ianaZone, formatter);
  }
  return formatter;
}

/** The IANA zone for a calendar's zone name (Windows or IANA), or undefined when unknown. */
export function resolveTimeZone(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  // Windows ids map to IANA through CLDR's windowsZones table (its first, "001" zone), as published.
  const windows = findIana(name)[0];
  if (windows) return windows;
  // A UTC offset ('+05:00') names no zone; Intl reads one from Node.js 22 on, not on 20.
  if (/^[+-]/.test(name)) return undefined;
  try {
    formatterFor(name);
    return name;
  } catch {
    return undefined;
  }
}

/**
 * The IANA zone a series' occurrences are placed in: its recurrence's `range.recurrenceTimeZone`,
 * else the meeting's `timeZone`; undefined when neither is a zone this server knows.
 */
export function seriesTimeZone(
  recurrence: Readonly<Record<string, unknown>> | null,
  timeZone: string | null,
): string | undefined {
  const range = recurrence?.range as { recurrenceTimeZone?: unknown } | undefined;
  const named = typeof range?.recurrenceTimeZone === 'string' ? range.recurrenceTimeZone : null;
  return resolveTimeZone(named) ?? resolveTimeZone(timeZone);
}

/** Wall-clock time of an instant in a zone, UTC-encoded. */
export function wallClock(instant: number, ianaZone: string): number {
  if (ianaZone === 'UTC') return instant;
  const parts = formatterFor(ianaZone).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const seconds = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return seconds + (((instant % 1000) + 1000) % 1000);
}

const DAY = 86_400_000;

/** The zone's offset from UTC at `instant`, in milliseconds (whole seconds). */
function offsetAt(instant: number, ianaZone: string): number {
  return wallClock(instant, ianaZone) - instant;
}

/** The instants a wall time may denote: two where the clocks show it twice or skipped it, else one. */
export interface WallReadings {
  /** The earliest: a repeated time's first showing; a skipped time read with the offset after the gap. */
  readonly first: number;
  /** The latest: a repeated time's second showing; a skipped time read with the offset before the gap. */
  readonly last: number;
  /** The clocks never showed this wall time (they went forward over it). */
  readonly skipped: boolean;
}

/**
 * Every instant the zone's clocks may mean by `wall` (UTC-encoded). The offsets a day either side are
 * the two that a transition near `wall` separates; the offset at the first reading covers a wall time
 * between two transitions less than a day apart. Checked against Temporal around every transition of
 * every zone from 1900 to 2040 (Samoa's skipped day included), with no difference; time-zones.test.ts
 * repeats that for 2020–2030.
 */
export function readingsOf(wall: number, ianaZone: string): WallReadings {
  if (ianaZone === 'UTC') return { first: wall, last: wall, skipped: false };
  const before = offsetAt(wall - DAY, ianaZone);
  const after = offsetAt(wall + DAY, ianaZone);
  let first = Infinity;
  let last = -Infinity;
  for (const instant of [wall - before, wall - after, wall - offsetAt(wall - before, ianaZone)]) {
    if (wallClock(instant, ianaZone) !== wall) continue;
    first = Math.min(first, instant);
    last = Math.max(last, instant);
  }
  if (first !== Infinity) return { first, last, skipped: false };
  // In a gap the offset grows: read with the offset after it, `wall` moves back; before it, forward.
  return { first: wall - after, last: wall - before, skipped: true };
}

/**
 * The instant at which the zone's clocks show `wall` (UTC-encoded), resolved as RFC 5545 (3.3.5)
 * and Temporal's default ('compatible') do: a wall time the clocks show twice (they went back) is
 * the earlier instant, and one they skipped (they went forward) is read with the offset in effect
 * before the change, i.e. moved forward by the length of the gap. Exchange does not document its
 * choice; a calendar standard's is the one an organizer's other tools follow. Where the choice
 * matters to who gets in, use readingsOf and cover both.
 */
export function instantOf(wall: number, ianaZone: string): number {
  const readings = readingsOf(wall, ianaZone);
  return readings.skipped ? readings.last : readings.first;
}

/** UTC-encoded midnight of yyyy-mm-dd, or undefined when it is no calendar date. */
export function parseCalendarDate(value: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const midnight = Date.UTC(year, month - 1, day);
  const d = new Date(midnight);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
    ? midnight
    : undefined;
}
