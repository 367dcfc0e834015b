import { describe, expect, it } from 'vitest';
import { formatCalendarDay, parseCalendarDay, seriesCalendar, seriesDates } from './recurrence-dates.js';

const daily = { type: 'daily', interval: 1 };

function last(pattern: Record<string, unknown>, range: Record<string, unknown>): string | undefined {
  const dates = seriesDates({ pattern, range });
  return dates === undefined ? undefined : formatCalendarDay(dates.lastDate);
}

describe('recurrence dates', () => {
  it('reads only real dates', () => {
    expect(parseCalendarDay('2028-02-29')).toBe(Date.UTC(2028, 1, 29) / 86_400_000);
    expect(parseCalendarDay('2027-02-29')).toBeUndefined();
    expect(parseCalendarDay('2027-2-3')).toBeUndefined();
    expect(parseCalendarDay(20270203)).toBeUndefined();
    expect(formatCalendarDay(parseCalendarDay('1969-12-31') as number)).toBe('1969-12-31');
  });

  it('finds the last occurrence up to an end date, which need not fall on the pattern', () => {
    const fridays = { type: 'weekly', interval: 1, daysOfWeek: ['friday'] };
    expect(last(fridays, { type: 'endDate', startDate: '2026-12-01', endDate: '2027-01-26' })).toBe(
      '2027-01-22',
    );
    expect(last(fridays, { type: 'endDate', startDate: '2026-12-01', endDate: '2027-01-22' })).toBe(
      '2027-01-22',
    );
    const monthly = { type: 'absoluteMonthly', interval: 2, dayOfMonth: 15 };
    expect(last(monthly, { type: 'endDate', startDate: '2027-01-20', endDate: '2027-05-14' })).toBe(
      '2027-03-15',
    );
    expect(last(daily, { type: 'endDate', startDate: '2027-01-20', endDate: '2027-01-19' })).toBeUndefined();
  });

  it('skips pattern dates before the start date in the first period', () => {
    // The 10th of January is before the start: the first occurrence is 10 February, the third 10 April.
    const monthly = { type: 'absoluteMonthly', interval: 1, dayOfMonth: 10 };
    expect(last(monthly, { type: 'numbered', startDate: '2027-01-15', numberOfOccurrences: 3 })).toBe(
      '2027-04-10',
    );
    const yearly = { type: 'relativeYearly', interval: 1, month: 1, daysOfWeek: ['monday'], index: 'first' };
    expect(last(yearly, { type: 'numbered', startDate: '2027-06-01', numberOfOccurrences: 1 })).toBe(
      '2028-01-03',
    );
  });

  it('dates large counts without walking them', () => {
    expect(last(daily, { type: 'numbered', startDate: '2027-01-01', numberOfOccurrences: 999_999 })).toBe(
      formatCalendarDay(Date.UTC(2027, 0, 1) / 86_400_000 + 999_998),
    );
  });

  it('dates series beyond Outlook’s limits, up to Graph’s Int32 interval and count', () => {
    const start = parseCalendarDay('2027-01-04') as number; // a monday
    const mondays = { type: 'weekly', daysOfWeek: ['monday'] };
    // Every 100 weeks, 1,500 times: the last is 1,499 × 700 days on, in the year 4900.
    expect(
      last(
        { ...mondays, interval: 100 },
        { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 1500 },
      ),
    ).toBe(formatCalendarDay(start + 1499 * 700));
    expect(last(daily, { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 1500 })).toBe(
      formatCalendarDay(start + 1499),
    );
    // An interval of 100,000 days (about 274 years): the second occurrence.
    expect(
      last(
        { type: 'daily', interval: 100_000 },
        { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 2 },
      ),
    ).toBe(formatCalendarDay(start + 100_000));
    // 20 million days: past the year 9999, still a date.
    expect(
      seriesDates({
        pattern: daily,
        range: { type: 'numbered', startDate: '2027-01-04', numberOfOccurrences: 20_000_001 },
      })?.lastDate,
    ).toBe(start + 20_000_000);
  });

  it('gives Infinity for a last date beyond what a Date can hold, in constant time', () => {
    const INT32_MAX = 2 ** 31 - 1;
    const patterns = [
      { type: 'daily' },
      { type: 'weekly', daysOfWeek: ['monday', 'friday'] },
      { type: 'absoluteMonthly', dayOfMonth: 31 },
      { type: 'relativeMonthly', daysOfWeek: ['friday'], index: 'last' },
      { type: 'absoluteYearly', dayOfMonth: 29, month: 2 },
      { type: 'relativeYearly', daysOfWeek: ['monday'], index: 'first', month: 1 },
    ];
    // Answered from the pattern, never by walking it: a walk over one of these series (2^31
    // occurrences) would not end within the test's timeout. No bound on time here: that would measure
    // the machine.
    for (const pattern of patterns) {
      for (const [interval, count] of [
        [1, INT32_MAX],
        [INT32_MAX, 2],
        [INT32_MAX, INT32_MAX],
      ] as const) {
        const range = { type: 'numbered', startDate: '1970-01-01', numberOfOccurrences: count };
        const dates = seriesDates({ pattern: { ...pattern, interval }, range });
        expect(dates?.lastDate, JSON.stringify({ pattern, interval, count })).toBe(Infinity);
      }
      // Every day (or month, year) from 1970 to the last day Graph can write: one answer, no walk.
      const dated = seriesDates({
        pattern: { ...pattern, interval: 1 },
        range: { type: 'endDate', startDate: '1970-01-01', endDate: '9999-12-31' },
      });
      expect(dated?.lastDate).toBeLessThanOrEqual(parseCalendarDay('9999-12-31') as number);
    }
  });

  it('gives up on what it cannot read, and on noEnd ranges', () => {
    const range = { type: 'numbered', startDate: '2027-01-01', numberOfOccurrences: 3 };
    expect(last({ type: 'weekly', interval: 1 }, range)).toBeUndefined(); // no daysOfWeek
    expect(last({ type: 'weekly', interval: 1, daysOfWeek: ['funday'] }, range)).toBeUndefined();
    expect(last({ type: 'hourly', interval: 1 }, range)).toBeUndefined();
    expect(last({ type: 'daily', interval: 0 }, range)).toBeUndefined();
    expect(last({ type: 'absoluteYearly', interval: 1, dayOfMonth: 5 }, range)).toBeUndefined(); // no month
    expect(last(daily, { ...range, numberOfOccurrences: 0 })).toBeUndefined();
    expect(last(daily, { ...range, startDate: undefined })).toBeUndefined();
    expect(last(daily, { type: 'noEnd', startDate: '2027-01-01' })).toBeUndefined();
  });
});

describe('series calendar', () => {
  /** The first `count` occurrence dates on or after `from`. */
  function datesFrom(recurrence: Record<string, unknown>, from: string, count = 4): string[] | undefined {
    const calendar = seriesCalendar(recurrence);
    if (!calendar) return undefined;
    const out: string[] = [];
    for (const d of calendar.datesFrom(parseCalendarDay(from) as number)) {
      out.push(formatCalendarDay(d));
      if (out.length === count) break;
    }
    return out;
  }

  it('lists the occurrence dates on or after a day, within the range', () => {
    // Every second week on Tuesdays and Thursdays, weeks from Monday, from Wednesday 6 January 2027.
    const biweekly = {
      type: 'weekly',
      interval: 2,
      daysOfWeek: ['thursday', 'tuesday'],
      firstDayOfWeek: 'monday',
    };
    const numbered = {
      pattern: biweekly,
      range: { type: 'numbered', startDate: '2027-01-06', numberOfOccurrences: 5 },
    };
    expect(datesFrom(numbered, '2026-12-01', 10)).toEqual([
      '2027-01-07',
      '2027-01-19',
      '2027-01-21',
      '2027-02-02',
      '2027-02-04',
    ]);
    expect(datesFrom(numbered, '2027-01-20')).toEqual(['2027-01-21', '2027-02-02', '2027-02-04']);
    expect(datesFrom(numbered, '2027-02-05')).toEqual([]);
    const endDate = {
      pattern: biweekly,
      range: { type: 'endDate', startDate: '2027-01-06', endDate: '2027-02-03' },
    };
    expect(datesFrom(endDate, '2027-01-20', 10)).toEqual(['2027-01-21', '2027-02-02']);
    const noEnd = { pattern: biweekly, range: { type: 'noEnd', startDate: '2027-01-06' } };
    expect(seriesCalendar(noEnd)?.lastDate).toBe(Infinity);
    expect(datesFrom(noEnd, '2030-06-01', 2)).toEqual(['2030-06-04', '2030-06-06']);
    // The last day of the month for a day some months lack.
    const monthly = { pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 }, range: noEnd.range };
    expect(datesFrom(monthly, '2027-02-01', 3)).toEqual(['2027-02-28', '2027-03-31', '2027-04-30']);
  });

  it('agrees with seriesDates on the last occurrence, and stops at the last day a Date holds', () => {
    const weekly = { type: 'weekly', interval: 3, daysOfWeek: ['monday', 'friday'] };
    const recurrence = {
      pattern: weekly,
      range: { type: 'numbered', startDate: '2027-01-01', numberOfOccurrences: 40 },
    };
    const all = datesFrom(recurrence, '2027-01-01', 100);
    expect(all).toHaveLength(40);
    expect(all?.at(-1)).toBe(formatCalendarDay(seriesDates(recurrence)?.lastDate as number));
    const forever = {
      pattern: { type: 'daily', interval: 1 },
      range: { type: 'noEnd', startDate: '2027-01-01' },
    };
    // 100,000,000 days after 1970-01-01 (in the year 275760) is the last day a Date holds.
    const calendar = seriesCalendar(forever);
    expect([...(calendar?.datesFrom(99_999_999) ?? [])]).toEqual([99_999_999, 100_000_000]);
    expect(seriesCalendar({ pattern: { type: 'hourly' }, range: forever.range })).toBeUndefined();
    expect(seriesCalendar({ pattern: weekly, range: { type: 'noEnd' } })).toBeUndefined();
  });
});
