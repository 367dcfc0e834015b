/**
 * Occurrence overrides of a recurring meeting: an occurrence moved (exception) or cancelled. The
 * meeting keeps the series' times; an override says "this occurrence is not at its usual time".
 * Times are encrypted at rest like the meeting's; the row key is random, so it reveals no time.
 */
import { randomBytes } from 'node:crypto';
import type { FieldCipher } from '../../crypto/envelope.js';
import type { OccurrenceRecord } from './ports.js';
import { instantOf, parseCalendarDate, resolveTimeZone, wallClock } from './time-zones.js';

export interface OccurrenceOverride {
  readonly originalStart: Date;
  readonly originalEnd: Date;
  readonly start: Date;
  readonly end: Date;
  readonly cancelled: boolean;
}

const TABLE = 'sync_occurrences';

/**
 * A new row key. Rows are only ever replaced as a whole set per meeting (what they say is compared
 * decrypted), so the key needs no meaning. Earlier versions used sha256(meeting id, original start):
 * with the meeting id beside it in clear, trying every minute finds the start in about a second.
 */
export function newOccurrenceKey(): string {
  return randomBytes(16).toString('hex');
}

/** A key of the earlier kind (64 hex digits): its row is written again under a random key. */
export function isTimeDerivedKey(key: string): boolean {
  return /^[0-9a-f]{64}$/.test(key);
}

export async function sealOverride(
  cipher: FieldCipher,
  tenantId: string,
  meetingId: string,
  o: OccurrenceOverride,
): Promise<OccurrenceRecord> {
  const key = newOccurrenceKey();
  const windowCt = await cipher.encrypt(
    { tenantId, table: TABLE, column: 'window', rowId: `${meetingId}/${key}` },
    JSON.stringify({
      originalStart: o.originalStart.toISOString(),
      originalEnd: o.originalEnd.toISOString(),
      start: o.start.toISOString(),
      end: o.end.toISOString(),
      cancelled: o.cancelled,
    }),
  );
  return { meetingId, tenantId, occurrenceKey: key, windowCt };
}

export async function openOverride(cipher: FieldCipher, r: OccurrenceRecord): Promise<OccurrenceOverride> {
  const plain = JSON.parse(
    await cipher.decrypt(
      { tenantId: r.tenantId, table: TABLE, column: 'window', rowId: `${r.meetingId}/${r.occurrenceKey}` },
      r.windowCt,
    ),
  ) as Record<string, string | boolean>;
  return {
    originalStart: new Date(plain.originalStart as string),
    originalEnd: new Date(plain.originalEnd as string),
    start: new Date(plain.start as string),
    end: new Date(plain.end as string),
    cancelled: plain.cancelled === true,
  };
}

/**
 * The latest end of an occurrence held somewhere else than its usual time (moved, not cancelled), or
 * null: moved past the pattern's last occurrence, it is when the series really ends (purge day).
 */
export function latestMovedEnd(overrides: readonly OccurrenceOverride[]): Date | null {
  let latest: Date | null = null;
  for (const o of overrides) if (!o.cancelled && (!latest || o.end > latest)) latest = o.end;
  return latest;
}

/** What places a series' occurrences in time: its first start and the zone of its wall-clock times. */
export interface SeriesClock {
  readonly start: Date;
  /** The series' zone as the calendar names it (Windows or IANA); null when unknown. */
  readonly timeZone: string | null;
  /** The recurrence range's startDate (yyyy-mm-dd in the series' zone), when known. */
  readonly rangeStartDate: string | null;
}

const DAY = 86_400_000;

/**
 * The original start of a series' occurrence on `date` (yyyy-mm-dd in the series' zone): that date at
 * the series' wall-clock start time in that zone. Undefined for a malformed date.
 *
 * A zone the calendar names but this server cannot resolve falls back to the series' UTC start time,
 * with the day shift the range's startDate implies (right except across a DST change).
 */
export function occurrenceStartOn(series: SeriesClock, date: string): Date | undefined {
  const midnight = parseCalendarDate(date);
  if (midnight === undefined) return undefined;
  const seriesStart = series.start.getTime();
  const zone = resolveTimeZone(series.timeZone);
  if (zone) {
    const wall = wallClock(seriesStart, zone);
    const timeOfDay = wall - Math.floor(wall / DAY) * DAY;
    return new Date(instantOf(midnight + timeOfDay, zone));
  }
  const utcMidnight = Math.floor(seriesStart / DAY) * DAY;
  const localMidnight = series.rangeStartDate ? parseCalendarDate(series.rangeStartDate) : undefined;
  const shift =
    localMidnight !== undefined && Math.abs(utcMidnight - localMidnight) <= DAY
      ? utcMidnight - localMidnight
      : 0;
  return new Date(midnight + shift + (seriesStart - utcMidnight));
}

export interface WindowMargins {
  readonly openBeforeMinutes: number;
  readonly closeAfterMinutes: number;
}

/**
 * Whether a room admits people at `at`, given the meeting's own window and its overrides: a moved
 * occurrence is open at its new time and closed at its old one; other occurrences are untouched.
 */
/**
 * Every instant at which `openAt` can change its answer for these overrides (sorted, unique): it is
 * constant between them, so the room's next opening or closing is one of them.
 */
export function openEdges(
  meeting: { readonly validFrom: Date; readonly validUntil: Date },
  overrides: readonly OccurrenceOverride[],
  margins: WindowMargins,
): number[] {
  const before = margins.openBeforeMinutes * 60_000;
  const after = margins.closeAfterMinutes * 60_000;
  const edges = [meeting.validFrom.getTime(), meeting.validUntil.getTime()];
  for (const o of overrides) {
    edges.push(o.originalStart.getTime() - before, o.originalEnd.getTime() + after);
    if (!o.cancelled) edges.push(o.start.getTime() - before, o.end.getTime() + after);
  }
  return [...new Set(edges)].sort((a, b) => a - b);
}

export function openAt(
  meeting: { readonly status: string; readonly validFrom: Date; readonly validUntil: Date },
  overrides: readonly OccurrenceOverride[],
  at: Date,
  margins: WindowMargins,
): boolean {
  if (meeting.status === 'cancelled') return false;
  const t = at.getTime();
  const before = margins.openBeforeMinutes * 60_000;
  const after = margins.closeAfterMinutes * 60_000;
  const within = (start: Date, end: Date) => t >= start.getTime() - before && t < end.getTime() + after;
  for (const o of overrides) if (!o.cancelled && within(o.start, o.end)) return true;
  for (const o of overrides) if (within(o.originalStart, o.originalEnd)) return false;
  return t >= meeting.validFrom.getTime() && t < meeting.validUntil.getTime();
}
