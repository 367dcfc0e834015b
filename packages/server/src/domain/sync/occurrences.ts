/**
 * Occurrence overrides of a recurring meeting: an occurrence moved (exception) or cancelled. The
 * meeting keeps the series' times; an override says "this occurrence is not at its usual time".
 * Times are encrypted at rest like the meeting's; the row key is random, so it reveals no time.
 */
import { randomBytes } from 'node:crypto';
import type { FieldCipher } from '../../crypto/envelope.js';
import { seriesCalendar } from '../meetings/recurrence-dates.js';
import type { OccurrenceRecord, OccurrenceRepository } from './ports.js';
import {
  instantOf,
  parseCalendarDate,
  readingsOf,
  resolveTimeZone,
  seriesTimeZone,
  type WallReadings,
  wallClock,
} from './time-zones.js';

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

/**
 * Calendar sync's record of a series' moved occurrences: the latest end of one not cancelled, or
 * null. A series whose occurrence was moved past its pattern's last one ends then (window.ts).
 */
export type MovedOccurrenceEnd = (meetingId: string) => Promise<Date | null>;

/** MovedOccurrenceEnd read from the recorded overrides (decrypted), for retention and the meeting service. */
export function recordedMovedOccurrenceEnd(
  occurrences: Pick<OccurrenceRepository, 'list'>,
  cipher: FieldCipher,
): MovedOccurrenceEnd {
  return async (meetingId) => {
    const records = await occurrences.list(meetingId);
    if (records.length === 0) return null;
    return latestMovedEnd(await Promise.all(records.map((r) => openOverride(cipher, r))));
  };
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
  return midnight === undefined ? undefined : new Date(startTimeOf(series)(midnight));
}

/** The wall-clock time of day of `instant` in `zone`, in ms since its midnight: every occurrence's. */
function wallTimeOfDay(instant: number, zone: string): number {
  const wall = wallClock(instant, zone);
  return wall - Math.floor(wall / DAY) * DAY;
}

/** occurrenceStartOn for many dates: from a date's UTC-encoded midnight to its occurrence's start. */
function startTimeOf(series: SeriesClock): (midnight: number) => number {
  const seriesStart = series.start.getTime();
  const zone = resolveTimeZone(series.timeZone);
  if (zone) {
    const timeOfDay = wallTimeOfDay(seriesStart, zone);
    return (midnight) => instantOf(midnight + timeOfDay, zone);
  }
  const utcMidnight = Math.floor(seriesStart / DAY) * DAY;
  const localMidnight = series.rangeStartDate ? parseCalendarDate(series.rangeStartDate) : undefined;
  const shift =
    localMidnight !== undefined && Math.abs(utcMidnight - localMidnight) <= DAY
      ? utcMidnight - localMidnight
      : 0;
  return (midnight) => midnight + shift + (seriesStart - utcMidnight);
}

export interface WindowMargins {
  readonly openBeforeMinutes: number;
  readonly closeAfterMinutes: number;
}

/** What every room window needs of a meeting. */
export interface WindowTimes {
  readonly status: string;
  readonly validFrom: Date;
  readonly validUntil: Date;
}

/** What places a series' occurrences in time (a Meeting has it all). */
export interface SeriesTimes extends WindowTimes {
  /** The first occurrence (the series master): its wall-clock time and duration are every occurrence's. */
  readonly start: Date;
  readonly end: Date;
  /** The meeting's zone (IANA or Windows), used when the recurrence names none this server knows. */
  readonly timeZone: string | null;
  readonly recurrence: Readonly<Record<string, unknown>> | null;
}

/**
 * When a room admits people, occurrence by occurrence: open in [start − openBefore, end + closeAfter)
 * of every occurrence that takes place, closed in between.
 */
export interface OpenSchedule {
  isOpenAt(at: Date): boolean;
  /**
   * The first instant after `from` (ms) at which `isOpenAt` becomes `wanted`, when `isOpenAt(from)`
   * is not `wanted`: a time; null when it never does (no occurrence opens after `from`); undefined
   * when the bounded search (MAX_OCCURRENCES_SEARCHED) did not find it: it is later than that.
   */
  nextChange(from: number, wanted: boolean): number | null | undefined;
}

/** A series' room window, as the room service asks it (CalendarSyncService.openSchedule, rooms/directory.ts). */
export interface RoomOpenSchedule {
  readonly isOpenAt: (at: Date) => boolean;
  /** OpenSchedule.nextChange, when the series' occurrences could be placed in time. */
  readonly nextChange?: (from: number, wanted: boolean) => number | null | undefined;
  /** Without nextChange: every instant at which isOpenAt can change its answer, sorted. */
  readonly edges?: readonly number[];
}

/**
 * How many occurrences a search for the next opening or closing looks at, at most: enough to step
 * over a long run of cancelled occurrences (a year of a weekday series), little enough that a join
 * or status check stays cheap (each costs a few time zone conversions).
 */
export const MAX_OCCURRENCES_SEARCHED = 400;

/** A half-open span of time, epoch ms. */
interface Span {
  readonly open: number;
  readonly close: number;
}

/**
 * The room window of a series, occurrence by occurrence: the pattern's occurrences (recurrence-dates.ts)
 * at the first occurrence's wall-clock time and duration in the series' zone (its recurrence's
 * `recurrenceTimeZone`, else the meeting's `timeZone`; IANA or Windows names), so that an occurrence
 * keeps its local time across a DST change; minus the occurrences calendar sync saw moved or
 * cancelled (`overrides`), plus the moved ones at their new times. A pattern occurrence opens no
 * earlier than `validFrom` and closes no later than `validUntil` (the series' horizon, window.ts: a
 * `noEnd` series' rolling 2 years); a moved one is open at its new time wherever that is.
 *
 * Only the dates around the instant asked are expanded, so each answer costs a handful of time zone
 * conversions, whatever the series' length.
 *
 * Undefined when the series cannot be placed in time: no recurrence, a pattern or range that cannot be
 * read, or no zone this server knows (the meetings API refuses such a series, meeting-rules.ts,
 * refuseSeriesWithoutZone, but one may be stored from before that check, and calendar sync follows a
 * custom zone the calendar holds). The caller then falls back to `openAt`'s window of the whole series
 * (validFrom to validUntil, overrides applied): the room is open between occurrences too, as it was
 * before occurrences were computed. Guessing the zone instead (UTC, say) would shut people out of
 * their own meetings by the zone's offset.
 */
export function openSchedule(
  meeting: SeriesTimes,
  overrides: readonly OccurrenceOverride[],
  margins: WindowMargins,
): OpenSchedule | undefined {
  if (!meeting.recurrence) return undefined;
  const zone = seriesTimeZone(meeting.recurrence, meeting.timeZone);
  const calendar = seriesCalendar(meeting.recurrence);
  if (!zone || !calendar) return undefined;
  const cancelled = meeting.status === 'cancelled';
  const before = margins.openBeforeMinutes * 60_000;
  const after = margins.closeAfterMinutes * 60_000;
  const duration = Math.max(0, meeting.end.getTime() - meeting.start.getTime());
  const validFrom = meeting.validFrom.getTime();
  const validUntil = meeting.validUntil.getTime();
  const timeOfDay = wallTimeOfDay(meeting.start.getTime(), zone);
  // A check asks about the same few dates more than once (open now? closing when?): each is a few
  // time zone conversions, worth keeping for the life of this schedule (one directory lookup).
  const starts = new Map<number, WallReadings>();
  /**
   * Where an occurrence on the night the clocks change may start: both readings of a wall time shown
   * twice or skipped. Exchange does not document which it takes (occurrenceStartOn takes RFC 5545's),
   * so the room is open for either: at most an hour more, once a year, rather than an hour shut.
   */
  const startOn = (midnight: number): WallReadings => {
    let start = starts.get(midnight);
    if (start === undefined) {
      if (starts.size >= MAX_OCCURRENCES_SEARCHED) starts.clear();
      start = readingsOf(midnight + timeOfDay, zone);
      starts.set(midnight, start);
    }
    return start;
  };
  const moved: Span[] = overrides
    .filter((o) => !o.cancelled)
    .map((o) => ({ open: o.start.getTime() - before, close: o.end.getTime() + after }))
    .filter((w) => w.open < w.close)
    .sort((a, b) => a.open - b.open);
  const datesFrom = (day: number) => calendar.datesFrom(day);
  /** The day of the series' calendar on which `instant` falls, in its zone. */
  const dayOf = (instant: number) => Math.floor(wallClock(instant, zone) / DAY);

  /**
   * The pattern occurrence on `date`, as the window it opens: undefined when calendar sync saw it
   * moved or cancelled (an override whose original time overlaps it: the override's time comes from
   * Graph, or from this same computation for cancelled dates), or when it falls outside the series'
   * window.
   */
  function patternWindow(date: number): Span | undefined {
    const { first, last } = startOn(date * DAY);
    const end = last + duration;
    for (const o of overrides) {
      const s = o.originalStart.getTime();
      if ((s >= first && s <= last) || (s < end && o.originalEnd.getTime() > first)) return undefined;
    }
    const open = Math.max(first - before, validFrom);
    const close = Math.min(end + after, validUntil);
    return open < close ? { open, close } : undefined;
  }

  /**
   * Every window that holds `t`. An occurrence on date d starts on d in the zone's wall-clock time,
   * which is within a day of the instant it is (UTC offsets and DST shifts are less than a day): its
   * window can hold `t` only if d is from the day of (t − duration − closeAfter) to the day of
   * (t + openBefore), a day either side.
   */
  function windowsAt(t: number): Span[] {
    const found = moved.filter((w) => w.open <= t && t < w.close);
    const last = dayOf(t + before) + 1;
    for (const date of datesFrom(dayOf(t - duration - after) - 1)) {
      if (date > last) break;
      const w = patternWindow(date);
      if (w && w.open <= t && t < w.close) found.push(w);
    }
    return found;
  }

  function isOpenAt(at: Date): boolean {
    const t = at.getTime();
    return !cancelled && !Number.isNaN(t) && windowsAt(t).length > 0;
  }

  /** The next window to open after `from` (closed at `from`): its opening, null, or undefined. */
  function nextOpening(from: number): number | null | undefined {
    const nextMoved = moved.find((w) => w.open > from)?.open ?? null;
    let searched = 0;
    // From the first occurrence whose window can reach past `from` (as windowsAt): those that end
    // before it are skipped, none can hold it (closed at `from`), so the first opening after it wins.
    for (const date of datesFrom(dayOf(from - duration - after) - 1)) {
      const start = startOn(date * DAY).first;
      // Later pattern occurrences open later still: past the series' window, or past a moved one.
      if (start - before >= validUntil) break;
      if (nextMoved !== null && start - before >= nextMoved) return nextMoved;
      const w = patternWindow(date);
      if (w && w.open > from) return nextMoved === null ? w.open : Math.min(w.open, nextMoved);
      if (++searched >= MAX_OCCURRENCES_SEARCHED) return nextMoved ?? undefined;
    }
    return nextMoved;
  }

  /** When the room, open at `from`, closes: windows that overlap or touch keep it open. */
  function nextClosing(from: number): number | undefined {
    let t = from;
    for (let i = 0; i < MAX_OCCURRENCES_SEARCHED; i++) {
      const windows = windowsAt(t);
      if (windows.length === 0) return t;
      t = Math.max(...windows.map((w) => w.close));
    }
    return undefined;
  }

  return {
    isOpenAt,
    nextChange(from, wanted) {
      if (cancelled) return wanted ? null : undefined;
      return wanted ? nextOpening(from) : nextClosing(from);
    },
  };
}

/**
 * Every instant at which `openAt` can change its answer for these overrides (sorted, unique): it is
 * constant between them, so the room's next opening or closing is one of them. For the window of the
 * whole series only (a series `openSchedule` cannot place in time).
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

/**
 * Whether a room admits people at `at`, given the meeting and its overrides. A series `openSchedule`
 * can place in time: around its occurrences only. Otherwise (a single meeting, or a series without
 * the times, a readable recurrence or a known zone) the meeting's own window, from validFrom to
 * validUntil, in which a moved occurrence is open at its new time and closed at its old one, and a
 * cancelled one closed.
 */
export function openAt(
  meeting: WindowTimes & Partial<SeriesTimes>,
  overrides: readonly OccurrenceOverride[],
  at: Date,
  margins: WindowMargins,
): boolean {
  if (meeting.status === 'cancelled') return false;
  const schedule = isSeries(meeting) ? openSchedule(meeting, overrides, margins) : undefined;
  if (schedule) return schedule.isOpenAt(at);
  const t = at.getTime();
  const before = margins.openBeforeMinutes * 60_000;
  const after = margins.closeAfterMinutes * 60_000;
  const within = (start: Date, end: Date) => t >= start.getTime() - before && t < end.getTime() + after;
  for (const o of overrides) if (!o.cancelled && within(o.start, o.end)) return true;
  for (const o of overrides) if (within(o.originalStart, o.originalEnd)) return false;
  return t >= meeting.validFrom.getTime() && t < meeting.validUntil.getTime();
}

function isSeries(meeting: WindowTimes & Partial<SeriesTimes>): meeting is SeriesTimes {
  return (
    meeting.recurrence != null &&
    meeting.start instanceof Date &&
    meeting.end instanceof Date &&
    meeting.timeZone !== undefined
  );
}
