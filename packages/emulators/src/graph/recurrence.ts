/**
 * Expands a Graph `patternedRecurrence` into occurrence start instants. Dates are generated on the
 * wall clock of the recurrence time zone, so a 09:00 weekly meeting stays at 09:00 across DST changes.
 */
import { GraphError } from './errors.js';
import { formatDate, instantOf, parseDate, wallClock } from './time.js';
import type { DayOfWeek, PatternedRecurrence, RecurrencePatternType, WeekIndex } from './types.js';

const DAY = 86_400_000;
const DAYS: readonly DayOfWeek[] = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
];
const INDEXES: readonly WeekIndex[] = ['first', 'second', 'third', 'fourth', 'last'];
const PATTERN_TYPES: readonly RecurrencePatternType[] = [
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
];
/** Bounds the work one expansion may do, whatever the pattern and window. */
const MAX_CANDIDATES = 50_000;
/**
 * More than any zone's distance from UTC ever was (tzdata's extremes, local mean times before 1900,
 * stay under 16 hours), so a wall time this far outside a window cannot be an instant inside it.
 */
const ZONE_SLACK = 2 * DAY;
/** Graph returns this endDate for ranges that have none. */
export const NO_END_DATE = '0001-01-01';

export interface SeriesTiming {
  recurrence: PatternedRecurrence;
  /** Start instant of the series master (its first occurrence). */
  seriesStart: number;
  duration: number;
  /** IANA zone in which the pattern is evaluated. */
  zone: string;
}

const invalid = (message: string): GraphError => new GraphError(400, 'ErrorInvalidRequest', message);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function days(value: unknown, field: string): DayOfWeek[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((d) => DAYS.includes(d as DayOfWeek))) {
    throw invalid(`Invalid recurrence ${field}.`);
  }
  return value as DayOfWeek[];
}

/** Validates a request's recurrence and fills in what Graph fills in. */
export function normalizeRecurrence(value: unknown, defaultZone: string): PatternedRecurrence {
  if (!isObject(value) || !isObject(value.pattern) || !isObject(value.range)) {
    throw invalid('A recurrence requires a pattern and a range.');
  }
  const p = value.pattern;
  const r = value.range;
  const type = p.type as RecurrencePatternType;
  if (!PATTERN_TYPES.includes(type)) throw invalid('Invalid recurrence pattern type.');
  const interval = p.interval ?? 1;
  if (!Number.isInteger(interval) || (interval as number) < 1) throw invalid('Invalid recurrence interval.');
  const daysOfWeek = days(p.daysOfWeek, 'daysOfWeek');
  const firstDayOfWeek = (p.firstDayOfWeek ?? 'sunday') as DayOfWeek;
  if (!DAYS.includes(firstDayOfWeek)) throw invalid('Invalid recurrence firstDayOfWeek.');
  const index = (p.index ?? 'first') as WeekIndex;
  if (!INDEXES.includes(index)) throw invalid('Invalid recurrence index.');
  const month = (p.month ?? 0) as number;
  const dayOfMonth = (p.dayOfMonth ?? 0) as number;
  if ((type === 'weekly' || type.startsWith('relative')) && daysOfWeek.length === 0) {
    throw invalid(`A ${type} recurrence requires daysOfWeek.`);
  }
  if (type.startsWith('absolute') && !(Number.isInteger(dayOfMonth) && dayOfMonth >= 1 && dayOfMonth <= 31)) {
    throw invalid(`A ${type} recurrence requires dayOfMonth.`);
  }
  if (type.endsWith('Yearly') && !(Number.isInteger(month) && month >= 1 && month <= 12)) {
    throw invalid(`A ${type} recurrence requires month.`);
  }
  const rangeType = r.type;
  if (rangeType !== 'endDate' && rangeType !== 'noEnd' && rangeType !== 'numbered') {
    throw invalid('Invalid recurrence range type.');
  }
  if (typeof r.startDate !== 'string' || parseDate(r.startDate) === undefined) {
    throw invalid('A recurrence range requires a startDate.');
  }
  let endDate = NO_END_DATE;
  let numberOfOccurrences = 0;
  if (rangeType === 'endDate') {
    if (typeof r.endDate !== 'string' || parseDate(r.endDate) === undefined) {
      throw invalid('An endDate recurrence range requires an endDate.');
    }
    endDate = r.endDate;
  }
  if (rangeType === 'numbered') {
    if (!Number.isInteger(r.numberOfOccurrences) || (r.numberOfOccurrences as number) < 1) {
      throw invalid('A numbered recurrence range requires numberOfOccurrences.');
    }
    numberOfOccurrences = r.numberOfOccurrences as number;
  }
  const recurrenceTimeZone =
    typeof r.recurrenceTimeZone === 'string' && r.recurrenceTimeZone !== ''
      ? r.recurrenceTimeZone
      : defaultZone;
  return {
    pattern: {
      type,
      interval: interval as number,
      month: type.endsWith('Yearly') ? month : 0,
      dayOfMonth: type.startsWith('absolute') ? dayOfMonth : 0,
      daysOfWeek: type === 'weekly' || type.startsWith('relative') ? daysOfWeek : [],
      firstDayOfWeek,
      index,
    },
    range: { type: rangeType, startDate: r.startDate, endDate, recurrenceTimeZone, numberOfOccurrences },
  };
}

const weekday = (date: number): number => new Date(date).getUTCDay();

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function nthWeekdayOfMonth(year: number, month: number, daysOfWeek: DayOfWeek[], index: WeekIndex): number {
  const wanted = new Set(daysOfWeek.map((d) => DAYS.indexOf(d)));
  const matches: number[] = [];
  for (let day = 1; day <= daysInMonth(year, month); day++) {
    const date = Date.UTC(year, month, day);
    if (wanted.has(weekday(date))) matches.push(date);
  }
  const position = index === 'last' ? matches.length - 1 : INDEXES.indexOf(index);
  return matches[Math.min(position, matches.length - 1)] as number;
}

/** Candidate occurrence dates (UTC-encoded midnights) in ascending order, from the pattern alone. */
function* candidateDates(recurrence: PatternedRecurrence, firstDate: number): Generator<number> {
  const p = recurrence.pattern;
  const start = new Date(firstDate);
  const daysOfWeek = p.daysOfWeek ?? [];
  switch (p.type) {
    case 'daily':
      for (let date = firstDate; ; date += p.interval * DAY) yield date;
    case 'weekly': {
      const first = DAYS.indexOf(p.firstDayOfWeek ?? 'sunday');
      const ordered = [0, 1, 2, 3, 4, 5, 6].map((i) => (first + i) % 7);
      const wanted = new Set(daysOfWeek.map((d) => DAYS.indexOf(d)));
      let weekStart = firstDate - ((weekday(firstDate) - first + 7) % 7) * DAY;
      for (;;) {
        for (const [offset, day] of ordered.entries()) {
          if (wanted.has(day)) yield weekStart + offset * DAY;
        }
        weekStart += 7 * p.interval * DAY;
      }
    }
    case 'absoluteMonthly':
    case 'relativeMonthly':
      for (let k = 0; ; k += p.interval) {
        const year = start.getUTCFullYear() + Math.floor((start.getUTCMonth() + k) / 12);
        const month = (start.getUTCMonth() + k) % 12;
        yield p.type === 'absoluteMonthly'
          ? Date.UTC(year, month, Math.min(p.dayOfMonth ?? 1, daysInMonth(year, month)))
          : nthWeekdayOfMonth(year, month, daysOfWeek, p.index ?? 'first');
      }
    case 'absoluteYearly':
    case 'relativeYearly':
      for (let year = start.getUTCFullYear(); ; year += p.interval) {
        const month = (p.month ?? 1) - 1;
        yield p.type === 'absoluteYearly'
          ? Date.UTC(year, month, Math.min(p.dayOfMonth ?? 1, daysInMonth(year, month)))
          : nthWeekdayOfMonth(year, month, daysOfWeek, p.index ?? 'first');
      }
  }
}

/**
 * Original start instants of the occurrences that overlap [windowStart, windowEnd), ascending.
 * Cancelled occurrences are not removed here; the caller knows which ones are cancelled.
 */
export function occurrenceStarts(timing: SeriesTiming, windowStart: number, windowEnd: number): number[] {
  const { recurrence, zone, duration } = timing;
  const rangeStart = parseDate(recurrence.range.startDate) as number;
  const rangeEnd =
    recurrence.range.type === 'endDate' ? (parseDate(recurrence.range.endDate ?? '') as number) : Infinity;
  const limit = recurrence.range.type === 'numbered' ? (recurrence.range.numberOfOccurrences ?? 0) : Infinity;
  const wallStart = wallClock(timing.seriesStart, zone);
  const timeOfDay = ((wallStart % DAY) + DAY) % DAY;
  const result: number[] = [];
  let produced = 0;
  let candidates = 0;
  let previous = -Infinity;
  for (const date of candidateDates(recurrence, rangeStart)) {
    if (++candidates > MAX_CANDIDATES) break;
    if (date < rangeStart || date <= previous) continue;
    previous = date;
    if (date > rangeEnd || produced >= limit) break;
    produced++;
    const wall = date + timeOfDay;
    // Zone conversions are what costs; the range, count and candidate bound above are cheap, and an
    // open-ended series is expanded from its first occurrence up to windows years later. The two
    // bounds decide exactly as the instant would (see ZONE_SLACK): no break, no push; or a break.
    if (wall + ZONE_SLACK < windowEnd && wall + ZONE_SLACK + duration <= windowStart) continue;
    if (wall - ZONE_SLACK >= windowEnd) break;
    const occurrenceStart = instantOf(wall, zone);
    if (occurrenceStart >= windowEnd) break;
    if (occurrenceStart + duration > windowStart) result.push(occurrenceStart);
  }
  return result;
}

/** Whether `instant` is the original start of one of the series' occurrences. */
export function isOccurrenceStart(timing: SeriesTiming, instant: number): boolean {
  const nonEmpty = { ...timing, duration: Math.max(timing.duration, 1) };
  return occurrenceStarts(nonEmpty, instant, instant + 1).includes(instant);
}

/** The recurrence range start date as Graph shows it for a series starting at `start` in `zone`. */
export function rangeStartDateFor(start: number, zone: string): string {
  return formatDate(wallClock(start, zone));
}
