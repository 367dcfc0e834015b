import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { seriesDates } from './recurrence-dates.js';
import {
  graphLimits,
  INT32_MAX,
  MAX_OCCURRENCES,
  outlookLimits,
  type RecurrenceLimits,
  validateRecurrence,
} from './recurrence-rules.js';

const weekly = { type: 'weekly', interval: 1, daysOfWeek: ['monday'] };
const noEnd = { type: 'noEnd', startDate: '2027-01-04' };

/** The detail of the invalid_recurrence refusal, or undefined when the recurrence passes. */
function refusal(recurrence: Record<string, unknown>, limits?: RecurrenceLimits): string | undefined {
  try {
    if (limits) validateRecurrence(recurrence, limits);
    else validateRecurrence(recurrence);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('invalid_recurrence');
    return (error as DomainError).message;
  }
}

describe('recurrence rules', () => {
  it('accepts no recurrence', () => {
    expect(() => validateRecurrence(null)).not.toThrow();
    expect(() => validateRecurrence(undefined)).not.toThrow();
  });

  it('accepts Graph’s own full shape, placeholders included, so that calendar sync can store it back', () => {
    // What Graph returns for series: every property, 0 / 0001-01-01 where the type uses none.
    const graph = (pattern: Record<string, unknown>, range: Record<string, unknown>) => ({
      pattern: {
        interval: 1,
        month: 0,
        dayOfMonth: 0,
        daysOfWeek: [],
        firstDayOfWeek: 'sunday',
        index: 'first',
        ...pattern,
      },
      range: {
        startDate: '2027-01-04',
        endDate: '0001-01-01',
        numberOfOccurrences: 0,
        recurrenceTimeZone: 'W. Europe Standard Time',
        ...range,
      },
    });
    const recurrences = [
      graph({ type: 'daily', interval: 999 }, { type: 'noEnd' }),
      graph({ type: 'weekly', daysOfWeek: ['monday', 'friday'] }, { type: 'endDate', endDate: '2027-06-30' }),
      graph({ type: 'absoluteMonthly', dayOfMonth: 31 }, { type: 'numbered', numberOfOccurrences: 999 }),
      graph({ type: 'relativeMonthly', daysOfWeek: ['tuesday'], index: 'last' }, { type: 'noEnd' }),
      graph({ type: 'absoluteYearly', interval: 99, month: 2, dayOfMonth: 29 }, { type: 'noEnd' }),
      graph(
        { type: 'relativeYearly', month: 12, daysOfWeek: ['saturday'], index: 'fourth' },
        { type: 'noEnd' },
      ),
      { pattern: weekly, range: { ...noEnd, recurrenceTimeZone: null, endDate: null } },
    ];
    for (const recurrence of recurrences)
      expect(refusal(recurrence), JSON.stringify(recurrence)).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no pattern', { range: noEnd }, /^pattern must be an object$/],
    ['a range that is an array', { pattern: weekly, range: [] }, /^range must be an object$/],
    [
      'an hourly pattern',
      { pattern: { type: 'hourly' }, range: noEnd },
      /^pattern\.type must be one of daily,/,
    ],
    [
      'a capitalised day',
      { pattern: { ...weekly, daysOfWeek: ['Monday'] }, range: noEnd },
      /^pattern\.daysOfWeek/,
    ],
    [
      'a funday',
      { pattern: { ...weekly, daysOfWeek: ['funday'] }, range: noEnd },
      /^pattern\.daysOfWeek must list/,
    ],
    [
      'days that are no list',
      { pattern: { ...weekly, daysOfWeek: 'monday' }, range: noEnd },
      /^pattern\.daysOfWeek/,
    ],
    [
      'a weekly pattern on no day',
      { pattern: { type: 'weekly' }, range: noEnd },
      /^pattern\.daysOfWeek must name/,
    ],
    [
      'a fifth week',
      { pattern: { ...weekly, index: 'fifth' }, range: noEnd },
      /^pattern\.index must be one of first, second, third, fourth, last$/,
    ],
    [
      'a week starting on a funday',
      { pattern: { ...weekly, firstDayOfWeek: 'x' }, range: noEnd },
      /^pattern\.firstDayOfWeek/,
    ],
    [
      'an interval of 1e308',
      { pattern: { type: 'daily', interval: 1e308 }, range: noEnd },
      /^pattern\.interval must be a whole number from 1 to 999 for a daily pattern$/,
    ],
    [
      'an interval of Infinity',
      { pattern: { type: 'daily', interval: Infinity }, range: noEnd },
      /^pattern\.interval/,
    ],
    [
      'an interval as text',
      { pattern: { type: 'daily', interval: '2' }, range: noEnd },
      /^pattern\.interval/,
    ],
    [
      'a monthly interval of 100',
      { pattern: { type: 'absoluteMonthly', interval: 100, dayOfMonth: 1 }, range: noEnd },
      /^pattern\.interval must be a whole number from 1 to 99 for a absoluteMonthly pattern$/,
    ],
    [
      'month 13',
      { pattern: { type: 'absoluteYearly', month: 13, dayOfMonth: 1 }, range: noEnd },
      /^pattern\.month must be a month number from 1 to 12 for a absoluteYearly pattern$/,
    ],
    [
      'month 0 in a yearly pattern',
      { pattern: { type: 'relativeYearly', month: 0, daysOfWeek: ['monday'] }, range: noEnd },
      /^pattern\.month/,
    ],
    [
      'month 13 where unused',
      { pattern: { ...weekly, month: 13 }, range: noEnd },
      /^pattern\.month must be a month number from 1 to 12$/,
    ],
    [
      'day 32',
      { pattern: { type: 'absoluteMonthly', dayOfMonth: 32 }, range: noEnd },
      /^pattern\.dayOfMonth must be a day number from 1 to 31 for a absoluteMonthly pattern$/,
    ],
    [
      'day 0 in an absolute pattern',
      { pattern: { type: 'absoluteMonthly', dayOfMonth: 0 }, range: noEnd },
      /^pattern\.dayOfMonth/,
    ],
    [
      'a range type of forever',
      { pattern: weekly, range: { ...noEnd, type: 'forever' } },
      /^range\.type must be one of endDate, noEnd, numbered$/,
    ],
    [
      'a bogus start date',
      { pattern: weekly, range: { ...noEnd, startDate: 'bogus' } },
      /^range\.startDate must be a calendar date \(YYYY-MM-DD\)$/,
    ],
    ['no start date', { pattern: weekly, range: { type: 'noEnd' } }, /^range\.startDate/],
    [
      '30 February as end date',
      { pattern: weekly, range: { type: 'endDate', startDate: '2026-02-01', endDate: '2026-02-30' } },
      /^range\.endDate must be a calendar date \(YYYY-MM-DD\)$/,
    ],
    [
      'an end date before the start date',
      { pattern: weekly, range: { type: 'endDate', startDate: '2027-01-04', endDate: '2027-01-03' } },
      /^range\.endDate must not be before range\.startDate$/,
    ],
    [
      'an end date that is a number',
      { pattern: weekly, range: { ...noEnd, endDate: 20270101 } },
      /^range\.endDate/,
    ],
    [
      '0 occurrences',
      { pattern: weekly, range: { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 0 } },
      /^range\.numberOfOccurrences must be a whole number from 1 to 999$/,
    ],
    [
      `${MAX_OCCURRENCES + 1} occurrences`,
      {
        pattern: weekly,
        range: { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: MAX_OCCURRENCES + 1 },
      },
      /^range\.numberOfOccurrences/,
    ],
    [
      '1e308 occurrences',
      { pattern: weekly, range: { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 1e308 } },
      /^range\.numberOfOccurrences/,
    ],
    [
      'a zone that is no text',
      { pattern: weekly, range: { ...noEnd, recurrenceTimeZone: 1 } },
      /^range\.recurrenceTimeZone/,
    ],
  ])('refuses %s, naming the field', (_name, recurrence, detail) => {
    expect(refusal(recurrence)).toMatch(detail);
  });

  it('leaves no recurrence it accepts that the room window cannot date', () => {
    // Every pattern type, at Outlook's limits: a numbered or dated range has a last occurrence.
    const patterns = [
      { type: 'daily', interval: 999 },
      { type: 'weekly', interval: 99, daysOfWeek: ['sunday', 'saturday'], firstDayOfWeek: 'monday' },
      { type: 'absoluteMonthly', interval: 99, dayOfMonth: 31 },
      { type: 'relativeMonthly', interval: 99, daysOfWeek: ['friday'], index: 'last' },
      { type: 'absoluteYearly', interval: 99, dayOfMonth: 29, month: 2 },
      { type: 'relativeYearly', interval: 99, daysOfWeek: ['monday'], index: 'first', month: 1 },
    ];
    for (const pattern of patterns) {
      const recurrence = {
        pattern,
        range: { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: MAX_OCCURRENCES },
      };
      expect(refusal(recurrence)).toBeUndefined();
      expect(seriesDates(recurrence), JSON.stringify(pattern)).toBeDefined();
    }
  });
});

describe('recurrence limits: Outlook’s for the meetings API, Graph’s for calendar sync', () => {
  const numbered = (count: number) => ({
    type: 'numbered',
    startDate: '2027-01-04',
    numberOfOccurrences: count,
  });
  const beyondOutlook: [string, Record<string, unknown>, RegExp][] = [
    [
      'every 100 weeks',
      { pattern: { ...weekly, interval: 100 }, range: noEnd },
      /^pattern\.interval must be a whole number from 1 to 99 for a weekly pattern$/,
    ],
    [
      'every 1,000 days',
      { pattern: { type: 'daily', interval: 1000 }, range: noEnd },
      /^pattern\.interval must be a whole number from 1 to 999 for a daily pattern$/,
    ],
    [
      'every 100 years',
      { pattern: { type: 'absoluteYearly', interval: 100, month: 2, dayOfMonth: 29 }, range: noEnd },
      /^pattern\.interval must be a whole number from 1 to 99 for a absoluteYearly pattern$/,
    ],
    [
      '1,500 occurrences',
      { pattern: weekly, range: numbered(1500) },
      /^range\.numberOfOccurrences must be a whole number from 1 to 999$/,
    ],
    [
      'Graph’s largest interval and count (Edm.Int32)',
      { pattern: { ...weekly, interval: INT32_MAX }, range: numbered(INT32_MAX) },
      /^pattern\.interval must be a whole number from 1 to 99 for a weekly pattern$/,
    ],
  ];

  it.each(beyondOutlook)(
    '%s: refused by outlookLimits (the default), accepted by graphLimits',
    (_n, r, detail) => {
      expect(refusal(r)).toMatch(detail);
      expect(refusal(r, outlookLimits)).toMatch(detail);
      expect(refusal(r, graphLimits)).toBeUndefined();
    },
  );

  it('keeps Outlook’s limits exactly, as the meetings API always had them', () => {
    expect(outlookLimits.maxOccurrences).toBe(MAX_OCCURRENCES);
    expect(outlookLimits.maxInterval).toEqual({
      daily: 999,
      weekly: 99,
      absoluteMonthly: 99,
      relativeMonthly: 99,
      absoluteYearly: 99,
      relativeYearly: 99,
    });
    expect(
      refusal({ pattern: { type: 'daily', interval: 999 }, range: numbered(999) }, outlookLimits),
    ).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an interval of 0', { pattern: { ...weekly, interval: 0 }, range: noEnd }, /^pattern\.interval/],
    [
      'an interval beyond Int32',
      { pattern: { ...weekly, interval: INT32_MAX + 1 }, range: noEnd },
      /^pattern\.interval must be a whole number from 1 to 2147483647 for a weekly pattern$/,
    ],
    [
      'a fractional interval',
      { pattern: { type: 'daily', interval: 1.5 }, range: noEnd },
      /^pattern\.interval/,
    ],
    ['0 occurrences', { pattern: weekly, range: numbered(0) }, /^range\.numberOfOccurrences/],
    [
      'occurrences beyond Int32',
      { pattern: weekly, range: numbered(INT32_MAX + 1) },
      /^range\.numberOfOccurrences must be a whole number from 1 to 2147483647$/,
    ],
    ['an hourly pattern', { pattern: { type: 'hourly' }, range: noEnd }, /^pattern\.type/],
    [
      'a weekly pattern on no day',
      { pattern: { type: 'weekly', interval: 100 }, range: noEnd },
      /^pattern\.daysOfWeek/,
    ],
    ['no start date', { pattern: weekly, range: { type: 'noEnd' } }, /^range\.startDate/],
    [
      'an end date before the start date',
      { pattern: weekly, range: { type: 'endDate', startDate: '2027-01-04', endDate: '2027-01-03' } },
      /^range\.endDate must not be before/,
    ],
  ])('graphLimits still refuses what is not structurally Graph’s: %s', (_name, recurrence, detail) => {
    expect(refusal(recurrence, graphLimits)).toMatch(detail);
    expect(refusal(recurrence, outlookLimits)).toBeDefined();
  });

  it('leaves no recurrence graphLimits accepts that the room window cannot date', () => {
    const patterns = [
      { type: 'daily' },
      { type: 'weekly', daysOfWeek: ['sunday', 'saturday'], firstDayOfWeek: 'monday' },
      { type: 'absoluteMonthly', dayOfMonth: 31 },
      { type: 'relativeMonthly', daysOfWeek: ['friday'], index: 'last' },
      { type: 'absoluteYearly', dayOfMonth: 29, month: 2 },
      { type: 'relativeYearly', daysOfWeek: ['monday'], index: 'first', month: 1 },
    ];
    for (const pattern of patterns) {
      for (const [interval, count] of [
        [100, 1500],
        [INT32_MAX, 2],
        [1, INT32_MAX],
        [INT32_MAX, INT32_MAX],
      ] as const) {
        const recurrence = { pattern: { ...pattern, interval }, range: numbered(count) };
        const context = JSON.stringify(recurrence);
        expect(refusal(recurrence, graphLimits), context).toBeUndefined();
        expect(seriesDates(recurrence), context).toBeDefined();
      }
      const dated = {
        pattern: { ...pattern, interval: INT32_MAX },
        range: { type: 'endDate', startDate: '1970-01-01', endDate: '9999-12-31' },
      };
      expect(refusal(dated, graphLimits)).toBeUndefined();
      expect(seriesDates(dated), JSON.stringify(dated)).toBeDefined();
    }
  });
});
