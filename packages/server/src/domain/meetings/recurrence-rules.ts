/**
 * What a meeting's recurrence must be: Microsoft Graph's patternedRecurrence. Checked on every write
 * (the meetings API, calendar sync's updates), before anything is written, so that a recurrence the
 * room window cannot date (window.ts, recurrence-dates.ts) is refused rather than silently given the
 * longest window and retention.
 *
 * How far its numbers may go depends on who writes it (RecurrenceLimits): the meetings API keeps the
 * values Outlook can produce (`outlookLimits`); calendar sync follows whatever Graph holds
 * (`graphLimits`), since the organizer's calendar is the source of truth, and another Graph or EWS
 * client can make a series Outlook's dialog cannot (every 100 weeks, 1,500 occurrences). Everything
 * else (types, enum members, real dates, what each pattern type needs) is checked the same for both.
 *
 * Names and enum members are Graph's v1.0 metadata, as published (ComplexType recurrencePattern,
 * recurrenceRange; EnumType recurrencePatternType, recurrenceRangeType, dayOfWeek, weekIndex), exactly
 * as Graph spells them. Graph returns every property of a pattern and a range, the unused ones with
 * placeholder values (`month: 0`, `dayOfMonth: 0`, `numberOfOccurrences: 0`, `endDate: "0001-01-01"`
 * for a series with no end date): what a pattern or range type does not use is only type-checked, so
 * that calendar sync can hand Graph's recurrences back unchanged.
 */
import { DomainError } from '../errors.js';
import type { Recurrence } from './meeting.js';
import { DAYS_OF_WEEK, parseCalendarDay, WEEK_INDEXES } from './recurrence-dates.js';

export { DAYS_OF_WEEK, WEEK_INDEXES };

/** Graph's EnumType recurrencePatternType. */
export const PATTERN_TYPES = [
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
] as const;
/** Graph's EnumType recurrenceRangeType. */
export const RANGE_TYPES = ['endDate', 'noEnd', 'numbered'] as const;
/**
 * The largest interval Outlook's recurrence dialog offers: every 999 days, every 99 weeks, months
 * or years. Outlook's own object model (RecurrencePattern.Interval) has the same limits.
 */
export const MAX_INTERVAL: Readonly<Record<(typeof PATTERN_TYPES)[number], number>> = {
  daily: 999,
  weekly: 99,
  absoluteMonthly: 99,
  relativeMonthly: 99,
  absoluteYearly: 99,
  relativeYearly: 99,
};
/**
 * Outlook ends a series after at most 999 occurrences ("End after: 999 occurrences"; Exchange's
 * iCalendar mapping, [MS-OXCICAL] 2.1.3.2.2, writes COUNT with at most 3 digits).
 */
export const MAX_OCCURRENCES = 999;
/** Graph's Edm.Int32, the type of `interval` and `numberOfOccurrences` in its metadata. */
export const INT32_MAX = 2 ** 31 - 1;

type PatternType = (typeof PATTERN_TYPES)[number];

/** How large a recurrence's interval and count may be; the lower bounds (1) are Graph's, always. */
export interface RecurrenceLimits {
  /** The largest `pattern.interval`, by pattern type. */
  readonly maxInterval: Readonly<Record<PatternType, number>>;
  /** The largest `range.numberOfOccurrences` of a `numbered` range. */
  readonly maxOccurrences: number;
}

/**
 * The meetings API's limits (the add-in, HTTP clients): what Outlook itself can produce. The
 * organizer asked for this series, through Outlook or as Outlook would: a value beyond what Outlook
 * offers is a client's mistake, answered with 422 invalid_recurrence.
 */
export const outlookLimits: RecurrenceLimits = {
  maxInterval: MAX_INTERVAL,
  maxOccurrences: MAX_OCCURRENCES,
};

/**
 * Calendar sync's limits: only Graph's own (interval and numberOfOccurrences are Edm.Int32, 1 or
 * more). The series is already in the organizer's calendar, made by whichever client; refusing it
 * would leave the room behind the appointment for good, since every read of it is refused again.
 * The room window and purge day date such series arithmetically, in constant time, capped at
 * LATEST_BOUND (recurrence-dates.ts, window.ts).
 */
export const graphLimits: RecurrenceLimits = {
  maxInterval: {
    daily: INT32_MAX,
    weekly: INT32_MAX,
    absoluteMonthly: INT32_MAX,
    relativeMonthly: INT32_MAX,
    absoluteYearly: INT32_MAX,
    relativeYearly: INT32_MAX,
  },
  maxOccurrences: INT32_MAX,
};

function fail(detail: string): never {
  throw new DomainError('invalid_recurrence', detail);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

const isOneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value);

/** Absent: undefined or null (Graph's nullable properties). */
const absent = (value: unknown): value is undefined | null => value === undefined || value === null;

/**
 * Throws DomainError('invalid_recurrence') naming the first field that is not as Graph defines it,
 * or beyond `limits` (by default Outlook's, the stricter: a caller must choose Graph's on purpose);
 * null or undefined (no recurrence) passes.
 */
export function validateRecurrence(
  recurrence: Recurrence | null | undefined,
  limits: RecurrenceLimits = outlookLimits,
): void {
  if (recurrence === null || recurrence === undefined) return;
  const { pattern, range } = recurrence;
  if (!isRecord(pattern)) fail('pattern must be an object');
  if (!isRecord(range)) fail('range must be an object');
  validatePattern(pattern, limits);
  validateRange(range, limits);
}

function validatePattern(p: Record<string, unknown>, limits: RecurrenceLimits): void {
  if (!isOneOf(PATTERN_TYPES, p.type)) fail(`pattern.type must be one of ${PATTERN_TYPES.join(', ')}`);
  const type: PatternType = p.type;
  // Graph's interval is required and 1 or more; an absent one is read as 1 (recurrence-dates.ts).
  const maxInterval = limits.maxInterval[type];
  if (p.interval !== undefined && !isIntegerIn(p.interval, 1, maxInterval)) {
    fail(`pattern.interval must be a whole number from 1 to ${maxInterval} for a ${type} pattern`);
  }

  const daysOfWeek = p.daysOfWeek;
  if (!absent(daysOfWeek)) {
    if (!Array.isArray(daysOfWeek) || !daysOfWeek.every((d) => isOneOf(DAYS_OF_WEEK, d))) {
      fail(`pattern.daysOfWeek must list days of the week (${DAYS_OF_WEEK.join(', ')})`);
    }
  }
  if (type === 'weekly' || type === 'relativeMonthly' || type === 'relativeYearly') {
    if (!Array.isArray(daysOfWeek) || daysOfWeek.length === 0) {
      fail(`pattern.daysOfWeek must name at least one day for a ${type} pattern`);
    }
  }
  if (!absent(p.firstDayOfWeek) && !isOneOf(DAYS_OF_WEEK, p.firstDayOfWeek)) {
    fail(`pattern.firstDayOfWeek must be one of ${DAYS_OF_WEEK.join(', ')}`);
  }
  if (!absent(p.index) && !isOneOf(WEEK_INDEXES, p.index)) {
    fail(`pattern.index must be one of ${WEEK_INDEXES.join(', ')}`);
  }

  // 0 is Graph's placeholder for a month or day the pattern type does not use.
  const yearly = type === 'absoluteYearly' || type === 'relativeYearly';
  if (yearly ? !isIntegerIn(p.month, 1, 12) : p.month !== undefined && !isIntegerIn(p.month, 0, 12)) {
    fail(`pattern.month must be a month number from 1 to 12${yearly ? ` for a ${type} pattern` : ''}`);
  }
  const absolute = type === 'absoluteMonthly' || type === 'absoluteYearly';
  if (
    absolute
      ? !isIntegerIn(p.dayOfMonth, 1, 31)
      : p.dayOfMonth !== undefined && !isIntegerIn(p.dayOfMonth, 0, 31)
  ) {
    fail(`pattern.dayOfMonth must be a day number from 1 to 31${absolute ? ` for a ${type} pattern` : ''}`);
  }
}

function validateRange(r: Record<string, unknown>, limits: RecurrenceLimits): void {
  if (!isOneOf(RANGE_TYPES, r.type)) fail(`range.type must be one of ${RANGE_TYPES.join(', ')}`);
  const startDate = parseCalendarDay(r.startDate);
  if (startDate === undefined) fail('range.startDate must be a calendar date (YYYY-MM-DD)');

  if (r.type === 'endDate') {
    const endDate = parseCalendarDay(r.endDate);
    if (endDate === undefined) fail('range.endDate must be a calendar date (YYYY-MM-DD)');
    if (endDate < startDate) fail('range.endDate must not be before range.startDate');
  } else if (!absent(r.endDate) && typeof r.endDate !== 'string') {
    fail('range.endDate must be a calendar date (YYYY-MM-DD)');
  }

  if (r.type === 'numbered') {
    if (!isIntegerIn(r.numberOfOccurrences, 1, limits.maxOccurrences)) {
      fail(`range.numberOfOccurrences must be a whole number from 1 to ${limits.maxOccurrences}`);
    }
  } else if (r.numberOfOccurrences !== undefined && !isIntegerIn(r.numberOfOccurrences, 0, INT32_MAX)) {
    fail('range.numberOfOccurrences must be a whole number');
  }

  if (!absent(r.recurrenceTimeZone) && typeof r.recurrenceTimeZone !== 'string') {
    fail('range.recurrenceTimeZone must be a time zone name');
  }
}
