/**
 * The calendar date of a recurring series' last occurrence, from Graph's patternedRecurrence alone.
 *
 * Dates here are days of the series' own calendar (the recurrence time zone), counted as whole days
 * since 1970-01-01; no time zone is needed to find them, since a pattern is a rule about dates. The
 * occurrence on date D starts at the series' usual wall-clock time on D (see window.ts for turning a
 * date back into an instant).
 *
 * The rules are Graph's (and Outlook's), as the Graph emulator also applies them
 * (packages/emulators/src/graph/recurrence.ts, which domain code must not import):
 * - occurrences are the pattern's dates on or after `range.startDate`, in order;
 * - weekly: the `daysOfWeek` of every `interval`-th week, weeks starting on `firstDayOfWeek`
 *   (default sunday), counted from the week holding the start date;
 * - absoluteMonthly / absoluteYearly: `dayOfMonth` (of `month`), the month's last day when the
 *   month is shorter (Outlook: "the occurrence will fall on the last day of the month");
 * - relativeMonthly / relativeYearly: the `index`-th (first…fourth, or last) day of the month that
 *   is one of `daysOfWeek` (so ['monday'…'friday'] with 'first' is the first weekday of the month).
 *
 * Each answer is computed in constant time (no walk over the occurrences), whatever the count or
 * interval: calendar sync stores any series Graph holds (recurrence-rules.ts, graphLimits), up to
 * Graph's Int32 interval and count, so a hostile 2,147,483,647 occurrences costs what 3 do. A last
 * date beyond what a JavaScript Date can hold (±275,760 years) is Infinity, "later than anything";
 * window.ts caps every bound at LATEST_BOUND.
 */

/** Graph's EnumType dayOfWeek, in JavaScript's getUTCDay order. */
export const DAYS_OF_WEEK = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
/** Graph's EnumType weekIndex. */
export const WEEK_INDEXES = ['first', 'second', 'third', 'fourth', 'last'] as const;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
/** Graph's Edm.Int32: the largest interval and count Graph can hold, hence read here. */
const INT32_MAX = 2 ** 31 - 1;
/** The last day a Date can hold (8.64e15 ms after the epoch). */
const LAST_DATE_DAY = 100_000_000;

/** A day of the series' calendar: whole days since 1970-01-01. */
export type CalendarDay = number;

/** 'YYYY-MM-DD' (a real date) to a calendar day; undefined otherwise. */
export function parseCalendarDay(value: unknown): CalendarDay | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(year, month - 1, day);
  const d = new Date(t);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day)
    return undefined;
  return t / DAY_MS;
}

export function formatCalendarDay(day: CalendarDay): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

interface Pattern {
  readonly type:
    | 'daily'
    | 'weekly'
    | 'absoluteMonthly'
    | 'relativeMonthly'
    | 'absoluteYearly'
    | 'relativeYearly';
  readonly interval: number;
  /** Weekday numbers (0 = sunday), ascending, without repeats. */
  readonly days: readonly number[];
  readonly firstDayOfWeek: number;
  /** 0–3 for first…fourth, 4 for last. */
  readonly index: number;
  /** 0-based. */
  readonly month: number;
  readonly dayOfMonth: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dayNumber(name: unknown): number {
  return typeof name === 'string'
    ? DAYS_OF_WEEK.indexOf(name.toLowerCase() as (typeof DAYS_OF_WEEK)[number])
    : -1;
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The pattern, or undefined when it lacks what its type needs (the caller then cannot date the series). */
function readPattern(value: unknown): Pattern | undefined {
  if (!isRecord(value)) return undefined;
  const type = value.type;
  if (
    type !== 'daily' &&
    type !== 'weekly' &&
    type !== 'absoluteMonthly' &&
    type !== 'relativeMonthly' &&
    type !== 'absoluteYearly' &&
    type !== 'relativeYearly'
  ) {
    return undefined;
  }
  const interval = value.interval ?? 1;
  if (!isIntegerIn(interval, 1, INT32_MAX)) return undefined;
  let days: number[] = [];
  if (type === 'weekly' || type.startsWith('relative')) {
    if (!Array.isArray(value.daysOfWeek) || value.daysOfWeek.length === 0) return undefined;
    days = value.daysOfWeek.map(dayNumber);
    if (days.includes(-1)) return undefined;
    days = [...new Set(days)].sort((a, b) => a - b);
  }
  const firstDayOfWeek = value.firstDayOfWeek === undefined ? 0 : dayNumber(value.firstDayOfWeek);
  if (firstDayOfWeek < 0) return undefined;
  const index =
    value.index === undefined
      ? 0
      : typeof value.index === 'string'
        ? WEEK_INDEXES.indexOf(value.index.toLowerCase() as (typeof WEEK_INDEXES)[number])
        : -1;
  if (index < 0) return undefined;
  const month = value.month;
  if (type.endsWith('Yearly') && !isIntegerIn(month, 1, 12)) return undefined;
  const dayOfMonth = value.dayOfMonth;
  if (type.startsWith('absolute') && !isIntegerIn(dayOfMonth, 1, 31)) return undefined;
  return {
    type,
    interval,
    days,
    firstDayOfWeek,
    index,
    month: isIntegerIn(month, 1, 12) ? month - 1 : 0,
    dayOfMonth: isIntegerIn(dayOfMonth, 1, 31) ? dayOfMonth : 1,
  };
}

const weekday = (day: CalendarDay): number => (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a thursday

/** Months since January 1970. */
const monthOf = (day: CalendarDay): number => {
  const d = new Date(day * DAY_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth() - 1970 * 12;
};

const firstOfMonth = (months: number): CalendarDay =>
  Date.UTC(1970 + Math.floor(months / 12), ((months % 12) + 12) % 12, 1) / DAY_MS;

const daysInMonth = (months: number): number => firstOfMonth(months + 1) - firstOfMonth(months);

/** The pattern's date in a month (absolute or relative), for monthly and yearly patterns. */
function dateInMonth(p: Pattern, months: number): CalendarDay {
  const first = firstOfMonth(months);
  const length = daysInMonth(months);
  if (p.type === 'absoluteMonthly' || p.type === 'absoluteYearly') {
    return first + Math.min(p.dayOfMonth, length) - 1;
  }
  const matches: CalendarDay[] = [];
  for (let d = first; d < first + length; d++) if (p.days.includes(weekday(d))) matches.push(d);
  // Every weekday occurs at least 4 times a month, so first…fourth always exist.
  return matches[p.index === 4 ? matches.length - 1 : p.index] as CalendarDay;
}

/**
 * A pattern seen as numbered periods 0, 1, 2…, each `interval` units (days, weeks, months, years)
 * apart, period 0 holding the start date. Every date of a period precedes every date of the next, and
 * only period 0 can hold dates before the start date.
 */
interface Periods {
  /** The pattern's dates in period `n`, ascending. */
  dates(n: number): CalendarDay[];
  /** The last period starting on or before `day` (its dates may still be after `day`). */
  periodAt(day: CalendarDay): number;
}

function periods(p: Pattern, start: CalendarDay): Periods {
  switch (p.type) {
    case 'daily':
      return {
        dates: (n) => [start + n * p.interval],
        periodAt: (day) => Math.floor((day - start) / p.interval),
      };
    case 'weekly': {
      const weekStart = start - ((weekday(start) - p.firstDayOfWeek + 7) % 7);
      // Offsets of the wanted days from the week's first day, ascending.
      const offsets = p.days.map((d) => (d - p.firstDayOfWeek + 7) % 7).sort((a, b) => a - b);
      return {
        dates: (n) => offsets.map((o) => weekStart + n * 7 * p.interval + o),
        periodAt: (day) => Math.floor((day - weekStart) / (7 * p.interval)),
      };
    }
    case 'absoluteMonthly':
    case 'relativeMonthly': {
      const month0 = monthOf(start);
      return {
        dates: (n) => [dateInMonth(p, month0 + n * p.interval)],
        periodAt: (day) => Math.floor((monthOf(day) - month0) / p.interval),
      };
    }
    case 'absoluteYearly':
    case 'relativeYearly': {
      const year0 = Math.floor(monthOf(start) / 12);
      return {
        dates: (n) => [dateInMonth(p, (year0 + n * p.interval) * 12 + p.month)],
        periodAt: (day) => Math.floor((Math.floor(monthOf(day) / 12) - year0) / p.interval),
      };
    }
  }
}

/** The date of the `count`-th occurrence (1-based) of a pattern applied from `start`. */
function nthDate(p: Pattern, start: CalendarDay, count: number): CalendarDay {
  const ps = periods(p, start);
  const first = ps.dates(0).filter((d) => d >= start);
  if (count <= first.length) return first[count - 1] as CalendarDay;
  const perPeriod = ps.dates(1).length; // the same for every period after the first
  const rest = count - first.length;
  const n = Math.ceil(rest / perPeriod);
  return ps.dates(n)[rest - (n - 1) * perPeriod - 1] as CalendarDay;
}

/** The date of the last occurrence on or before `end` of a pattern applied from `start`. */
function lastDateUpTo(p: Pattern, start: CalendarDay, end: CalendarDay): CalendarDay | undefined {
  const ps = periods(p, start);
  const top = ps.periodAt(end);
  // Period `top` may have no date up to `end` yet; the one before it lies wholly before `end`.
  for (let n = top; n >= Math.max(0, top - 1); n--) {
    const dates = ps.dates(n).filter((d) => d >= start && d <= end);
    if (dates.length > 0) return dates[dates.length - 1];
  }
  return undefined;
}

/** The series' dates: its range's start date, and its last occurrence's date. */
export interface SeriesDates {
  readonly startDate: CalendarDay;
  /** Infinity when the last occurrence falls beyond what a Date can hold. */
  readonly lastDate: CalendarDay;
}

/**
 * A computed date, or Infinity past the last day a Date can hold: there, month and year arithmetic
 * (Date.UTC) gives NaN (and a relative pattern no date at all), and day counts lose precision.
 */
function orLater(day: CalendarDay | undefined): CalendarDay {
  return day !== undefined && Number.isFinite(day) && day <= LAST_DATE_DAY ? day : Infinity;
}

/**
 * The start date and last occurrence date of a `numbered` or `endDate` series, in the series' own
 * calendar; undefined for `noEnd` series (they have no last occurrence), for a range with no
 * occurrence, and for a recurrence this cannot read (unknown pattern type, missing daysOfWeek…).
 */
export function seriesDates(recurrence: Readonly<Record<string, unknown>>): SeriesDates | undefined {
  const range = recurrence.range;
  if (!isRecord(range)) return undefined;
  const pattern = readPattern(recurrence.pattern);
  const startDate = parseCalendarDay(range.startDate);
  if (!pattern || startDate === undefined) return undefined;
  if (range.type === 'numbered') {
    // Graph requires a positive count, an Edm.Int32.
    if (!isIntegerIn(range.numberOfOccurrences, 1, INT32_MAX)) return undefined;
    return { startDate, lastDate: orLater(nthDate(pattern, startDate, range.numberOfOccurrences)) };
  }
  if (range.type === 'endDate') {
    const endDate = parseCalendarDay(range.endDate);
    if (endDate === undefined) return undefined;
    const lastDate = lastDateUpTo(pattern, startDate, endDate);
    return lastDate === undefined ? undefined : { startDate, lastDate };
  }
  return undefined;
}

/**
 * A series' occurrence dates, to be read near a given day (the room window of a series,
 * domain/sync/occurrences.ts, asks only about the days around the instant it is asked about).
 */
export interface SeriesCalendar {
  readonly startDate: CalendarDay;
  /** The last occurrence's date; Infinity for a `noEnd` range (or one ending beyond what a Date holds). */
  readonly lastDate: CalendarDay;
  /**
   * The occurrence dates on or after `day`, ascending, lazily: each costs what one period of the
   * pattern does (a week's days at most), whatever the series' length, so a caller stops when it has
   * enough. Ends after the last occurrence, or at the last day a Date can hold.
   */
  datesFrom(day: CalendarDay): Generator<CalendarDay, void, undefined>;
}

/**
 * The series' occurrences as dates of its own calendar (the same rules as seriesDates): the pattern's
 * dates from the range's start date to the last occurrence (`numbered`, `endDate`) or without end
 * (`noEnd`). Undefined when the recurrence cannot be read, or its range has no occurrence.
 */
export function seriesCalendar(recurrence: Readonly<Record<string, unknown>>): SeriesCalendar | undefined {
  const range = recurrence.range;
  if (!isRecord(range)) return undefined;
  const pattern = readPattern(recurrence.pattern);
  const startDate = parseCalendarDay(range.startDate);
  if (!pattern || startDate === undefined) return undefined;
  let lastDate: CalendarDay;
  if (range.type === 'noEnd') {
    lastDate = Infinity;
  } else {
    const dates = seriesDates(recurrence);
    if (!dates) return undefined;
    lastDate = dates.lastDate;
  }
  const ps = periods(pattern, startDate);
  return {
    startDate,
    lastDate,
    *datesFrom(day) {
      const from = Math.max(day, startDate);
      if (Number.isNaN(from) || from > Math.min(lastDate, LAST_DATE_DAY)) return;
      // Every period holds at least one date, and only dates after the previous period's.
      for (let n = Math.max(0, ps.periodAt(from)); ; n++) {
        for (const date of ps.dates(n)) {
          // Past what a Date holds, month arithmetic gives NaN or no date at all (see orLater).
          if (!(date <= LAST_DATE_DAY) || date > lastDate) return;
          if (date >= from) yield date;
        }
      }
    },
  };
}
