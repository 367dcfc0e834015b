import { describe, expect, it } from 'vitest';
import {
  LATEST_BOUND,
  lastEnd,
  MIN_RETENTION_DAYS,
  purgeAfterDay,
  roomWindow,
  seriesConfirmationDue,
} from './window.js';

const policy = { openBeforeMinutes: 15, closeAfterMinutes: 30 };
const HOUR = 3_600_000;
/** What lastEnd may add to the true end for a series with several occurrences (a change of UTC offset). */
const MARGIN = 3 * HOUR;

/** A UTC series whose first occurrence is 10:00–11:00Z on `startDate`. */
function series(startDate: string, pattern: Record<string, unknown>, range: Record<string, unknown>) {
  return {
    start: new Date(`${startDate}T10:00:00Z`),
    end: new Date(`${startDate}T11:00:00Z`),
    timeZone: null,
    recurrence: { pattern, range: { startDate, recurrenceTimeZone: 'UTC', ...range } },
  };
}

/** A single meeting of an hour ending at `end`. */
function single(end: string) {
  const at = new Date(end);
  return { start: new Date(at.getTime() - HOUR), end: at, timeZone: null, recurrence: null };
}

/** lastEnd is never before the true last end, and at most the margin after it. */
function expectLastEnd(s: ReturnType<typeof series>, trueLastEnd: string) {
  const got = lastEnd(s).getTime();
  const want = Date.parse(trueLastEnd);
  expect(got, new Date(got).toISOString()).toBeGreaterThanOrEqual(want);
  expect(got - want, new Date(got).toISOString()).toBeLessThanOrEqual(MARGIN);
}

describe('room window and purge day', () => {
  it('opens before the start and closes after the end plus grace', () => {
    const w = roomWindow(single('2026-12-01T10:00:00Z'), policy);
    expect(w.validFrom.toISOString()).toBe('2026-12-01T08:45:00.000Z');
    expect(w.validUntil.toISOString()).toBe('2026-12-01T10:30:00.000Z');
  });

  it('a series with an end date and no zone or pattern it reads stays open until its last day ends in the latest time zone (UTC−12)', () => {
    const recurrence = { pattern: { type: 'weekly' }, range: { type: 'endDate', endDate: '2027-03-31' } };
    const w = roomWindow(
      {
        start: new Date('2026-12-01T09:00:00Z'),
        end: new Date('2026-12-01T10:00:00Z'),
        timeZone: 'Europe/Paris',
        recurrence,
      },
      policy,
    );
    // 2027-03-31 24:00 at UTC−12, plus the 30 minutes' grace.
    expect(w.validUntil.toISOString()).toBe('2027-04-01T12:30:00.000Z');
  });

  it('purges 3 calendar months after the end by default, or after the tenant’s shorter period', () => {
    expect(purgeAfterDay(single('2026-11-30T10:00:00Z'), null)).toBe('2027-02-28');
    expect(purgeAfterDay(single('2026-12-01T10:00:00Z'), null)).toBe('2027-03-01');
    expect(purgeAfterDay(single('2026-12-01T10:00:00Z'), 30)).toBe('2026-12-31');
    expect(purgeAfterDay(single('2028-11-30T23:00:00Z'), null)).toBe('2029-02-28');
    expect(purgeAfterDay(single('2027-11-30T23:00:00Z'), null)).toBe('2028-02-29');
  });

  it('never purges a meeting while its room is open, at the tenant’s shortest period', () => {
    // Ends at 23:30 UTC; its room stays open up to a day after (the longest close-after allowed).
    const late = single('2026-03-10T23:30:00Z');
    const closes = roomWindow(late, { openBeforeMinutes: 15, closeAfterMinutes: 24 * 60 }).validUntil;
    for (const days of [MIN_RETENTION_DAYS, 1]) {
      // Retention deletes from the start (00:00 UTC) of the purge day.
      const purgedFrom = Date.parse(`${purgeAfterDay(late, days)}T00:00:00Z`);
      expect(purgedFrom).toBeGreaterThanOrEqual(closes.getTime());
    }
    // 1 day, as an older release may have stored it, counts as the shortest period.
    expect(purgeAfterDay(late, 1)).toBe(purgeAfterDay(late, MIN_RETENTION_DAYS));
  });
});

describe('numbered series end with their last occurrence', () => {
  it('a daily series of 3 is purged 3 months after its third occurrence, not 2 years on', () => {
    const s = series(
      '2026-01-03',
      { type: 'daily', interval: 1 },
      { type: 'numbered', numberOfOccurrences: 3 },
    );
    expectLastEnd(s, '2026-01-05T11:00:00Z');
    expect(purgeAfterDay(s, null)).toBe('2026-04-05');
    expect(purgeAfterDay(s, 2)).toBe('2026-01-07');
  });

  it('a weekly series of 160 (about 3 years) keeps its room and its row until the 160th occurrence', () => {
    const s = series(
      '2026-12-01', // a tuesday
      { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'], firstDayOfWeek: 'sunday' },
      { type: 'numbered', numberOfOccurrences: 160 },
    );
    const last = '2029-12-18T11:00:00Z'; // 159 weeks after the first
    expectLastEnd(s, last);
    const w = roomWindow({ ...s, start: new Date('2026-12-01T10:00:00Z') }, policy);
    expect(w.validUntil.getTime()).toBeGreaterThanOrEqual(Date.parse(last) + 30 * 60_000);
    expect(purgeAfterDay(s, null)).toBe('2030-03-18');
    expect(purgeAfterDay(s, 89) >= '2029-12-19').toBe(true);
  });

  it('a weekly series on several days a week counts each day, in weeks starting on firstDayOfWeek', () => {
    // Starts on wednesday 2026-12-02; monday 2026-11-30 is before the start and does not count.
    const mwf = series(
      '2026-12-02',
      {
        type: 'weekly',
        interval: 1,
        daysOfWeek: ['friday', 'monday', 'wednesday'],
        firstDayOfWeek: 'sunday',
      },
      { type: 'numbered', numberOfOccurrences: 10 },
    );
    // W 12-02, F 12-04 | M 07, W 09, F 11 | M 14, W 16, F 18 | M 21, W 23
    expectLastEnd(mwf, '2026-12-23T11:00:00Z');
    // Every other week: which week a sunday belongs to depends on firstDayOfWeek.
    const range = { type: 'numbered', numberOfOccurrences: 4 };
    const pattern = { type: 'weekly', interval: 2, daysOfWeek: ['sunday', 'wednesday'] };
    // Weeks from sunday: W 12-02 | (skipped) | S 12-13, W 12-16 | (skipped) | S 12-27
    expectLastEnd(
      series('2026-12-02', { ...pattern, firstDayOfWeek: 'sunday' }, range),
      '2026-12-27T11:00:00Z',
    );
    // Weeks from monday: W 12-02, S 12-06 | (skipped) | W 12-16, S 12-20
    expectLastEnd(
      series('2026-12-02', { ...pattern, firstDayOfWeek: 'monday' }, range),
      '2026-12-20T11:00:00Z',
    );
  });

  it('daily with an interval counts every interval-th day', () => {
    const s = series(
      '2026-01-30',
      { type: 'daily', interval: 3 },
      { type: 'numbered', numberOfOccurrences: 4 },
    );
    expectLastEnd(s, '2026-02-08T11:00:00Z');
  });

  it('absolute monthly: the day of the month, or the last day of a shorter month; with an interval', () => {
    const pattern = { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 };
    expectLastEnd(
      series('2027-01-31', pattern, { type: 'numbered', numberOfOccurrences: 2 }),
      '2027-02-28T11:00:00Z',
    );
    expectLastEnd(
      series('2027-01-31', pattern, { type: 'numbered', numberOfOccurrences: 12 }),
      '2027-12-31T11:00:00Z',
    );
    expectLastEnd(
      series('2027-01-31', { ...pattern, interval: 3 }, { type: 'numbered', numberOfOccurrences: 5 }),
      '2028-01-31T11:00:00Z',
    );
  });

  it('relative monthly: the last friday, or the first weekday, of the month', () => {
    const lastFriday = { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' };
    expectLastEnd(
      series('2027-01-29', lastFriday, { type: 'numbered', numberOfOccurrences: 3 }),
      '2027-03-26T11:00:00Z',
    );
    const firstWeekday = {
      type: 'relativeMonthly',
      interval: 2,
      daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      index: 'first',
    };
    // 2027-01-01 (fri), 2027-03-01 (mon), 2027-05-03 (mon: the 1st is a saturday)
    expectLastEnd(
      series('2027-01-01', firstWeekday, { type: 'numbered', numberOfOccurrences: 3 }),
      '2027-05-03T11:00:00Z',
    );
  });

  it('yearly: absolute (29 February falls on the 28th in common years) and relative', () => {
    expectLastEnd(
      series(
        '2028-02-29',
        { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 },
        { type: 'numbered', numberOfOccurrences: 2 },
      ),
      '2029-02-28T11:00:00Z',
    );
    // The fourth thursday of November, every other year: 2026-11-26, 2028-11-23, 2030-11-28.
    const s = series(
      '2026-11-26',
      { type: 'relativeYearly', interval: 2, month: 11, daysOfWeek: ['thursday'], index: 'fourth' },
      { type: 'numbered', numberOfOccurrences: 3 },
    );
    expectLastEnd(s, '2030-11-28T11:00:00Z');
    expect(purgeAfterDay(s, null)).toBe('2031-02-28');
  });

  it('a single occurrence ends when the meeting ends', () => {
    const s = series(
      '2026-01-03',
      { type: 'daily', interval: 1 },
      { type: 'numbered', numberOfOccurrences: 1 },
    );
    expect(lastEnd(s).toISOString()).toBe('2026-01-03T11:00:00.000Z');
  });
});

describe('series in a time zone behind UTC', () => {
  it('a Los Angeles series with an end date is open until its last occurrence ends, and kept past it', () => {
    // Tuesdays 17:00–18:00 in Los Angeles (PST, UTC−8): 01:00–02:00Z the next day.
    const start = new Date('2026-12-02T01:00:00Z');
    const end = new Date('2026-12-02T02:00:00Z');
    const recurrence = {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'], firstDayOfWeek: 'sunday' },
      range: {
        type: 'endDate',
        startDate: '2026-12-01',
        endDate: '2027-01-26',
        recurrenceTimeZone: 'Pacific Standard Time',
      },
    };
    const lastOccurrenceEnd = Date.parse('2027-01-27T02:00:00Z'); // 2027-01-26 18:00 PST
    const times = { start, end, timeZone: null, recurrence };
    const w = roomWindow(times, policy);
    expect(w.validUntil.getTime()).toBeGreaterThanOrEqual(lastOccurrenceEnd + 30 * 60_000);
    // The last occurrence placed in its zone, plus 3 hours' margin and the 30 minutes' grace.
    expect(w.validUntil.toISOString()).toBe('2027-01-27T05:30:00.000Z');
    // With the shortest tenant setting, the row outlives the last occurrence (purge day starts after it).
    expect(Date.parse(`${purgeAfterDay(times, 2)}T00:00:00Z`)).toBeGreaterThan(lastOccurrenceEnd);
    expect(purgeAfterDay(times, 2)).toBe('2027-01-29');
    expect(purgeAfterDay(times, null)).toBe('2027-04-27');
  });

  it('a series ahead of UTC is purged 3 months after its last occurrence, not after its end date in UTC−12', () => {
    // Tuesdays 08:00–09:00 in Kiritimati (UTC+14): 18:00–19:00Z the monday before.
    const times = {
      start: new Date('2026-11-30T18:00:00Z'),
      end: new Date('2026-11-30T19:00:00Z'),
      timeZone: 'Pacific/Kiritimati',
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'], firstDayOfWeek: 'sunday' },
        range: { type: 'endDate', startDate: '2026-12-01', endDate: '2027-01-26' },
      },
    };
    // The last occurrence, 2027-01-26 08:00–09:00 local, ends 2027-01-25T19:00Z; 3 hours' margin.
    expect(lastEnd(times).toISOString()).toBe('2027-01-25T22:00:00.000Z');
    expect(purgeAfterDay(times, null)).toBe('2027-04-25');
    expect(purgeAfterDay(times, 2)).toBe('2027-01-27');
    // Without a zone it reads, the end of 2027-01-26 in UTC−12 bounds it: 2 days later.
    expect(purgeAfterDay({ ...times, timeZone: 'Not/A_Zone' }, null)).toBe('2027-04-27');
  });

  it('an occurrence on the end date that runs past local midnight keeps the room open to its end', () => {
    // Tuesdays 23:00–03:00 in Honolulu (UTC−10): 09:00–13:00Z the next day.
    const start = new Date('2026-12-02T09:00:00Z');
    const end = new Date('2026-12-02T13:00:00Z');
    const recurrence = {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] },
      range: { type: 'endDate', startDate: '2026-12-01', endDate: '2027-01-26' },
    };
    const lastOccurrenceEnd = Date.parse('2027-01-27T13:00:00Z'); // 2027-01-27 03:00 HST
    const w = roomWindow({ start, end, timeZone: 'Pacific/Honolulu', recurrence }, policy);
    expect(w.validUntil.getTime()).toBeGreaterThanOrEqual(lastOccurrenceEnd + 30 * 60_000);
    expect(w.validUntil.getTime() - lastOccurrenceEnd).toBeLessThanOrEqual(MARGIN + 30 * 60_000);
  });
});

describe('series beyond Outlook’s limits, as calendar sync stores them from Graph', () => {
  const INT32_MAX = 2 ** 31 - 1;
  const DAY = 24 * HOUR;

  it('every 100 weeks, 3 times: open until the third occurrence, 1,400 days on', () => {
    const s = series(
      '2027-01-04', // a monday
      { type: 'weekly', interval: 100, daysOfWeek: ['monday'] },
      { type: 'numbered', numberOfOccurrences: 3 },
    );
    expectLastEnd(s, new Date(s.end.getTime() + 1400 * DAY).toISOString()); // 2030-11-04
    expect(purgeAfterDay(s, null)).toBe('2031-02-04');
  });

  it('1,500 daily occurrences: open until the 1,500th, not 2 years after the first', () => {
    const s = series(
      '2027-01-04',
      { type: 'daily', interval: 1 },
      { type: 'numbered', numberOfOccurrences: 1500 },
    );
    expectLastEnd(s, new Date(s.end.getTime() + 1499 * DAY).toISOString()); // 2031-02-11
    expect(purgeAfterDay(s, null)).toBe('2031-05-11');
  });

  it('an interval of 100,000 days: the second occurrence, some 274 years on', () => {
    const s = series(
      '2027-01-04',
      { type: 'daily', interval: 100_000 },
      { type: 'numbered', numberOfOccurrences: 2 },
    );
    expectLastEnd(s, new Date(s.end.getTime() + 100_000 * DAY).toISOString());
  });

  it('hostile counts and intervals end at LATEST_BOUND, the latest any meeting may end, at once', () => {
    const patterns = [
      { type: 'daily' },
      { type: 'weekly', daysOfWeek: ['monday'] },
      { type: 'absoluteMonthly', dayOfMonth: 31 },
      { type: 'relativeMonthly', daysOfWeek: ['friday'], index: 'last' },
      { type: 'absoluteYearly', dayOfMonth: 29, month: 2 },
      { type: 'relativeYearly', daysOfWeek: ['monday'], index: 'first', month: 1 },
    ];
    const ranges = [
      { type: 'numbered', numberOfOccurrences: INT32_MAX },
      { type: 'numbered', numberOfOccurrences: 20_000_000 },
      { type: 'endDate', endDate: '9999-12-31' },
    ];
    const YEARLY_LAST_DATES: Record<string, string> = {
      absoluteYearly: '9999-02-28', // 29 February falls on the 28th in common years
      relativeYearly: '9999-01-04', // the first monday of 9999
    };
    // At once: from the pattern, never by walking it (a walk over 2^31 occurrences would not end within
    // the test's timeout; no bound on time here, which would measure the machine).
    for (const pattern of patterns) {
      for (const interval of [1, INT32_MAX]) {
        for (const range of ranges) {
          if (interval === INT32_MAX && range.type === 'endDate') continue; // one occurrence only
          const s = series('2027-01-04', { ...pattern, interval }, range);
          const context = JSON.stringify(s.recurrence);
          // Once a year, the last date up to 9999-12-31 comes before the cap: its 11:00Z end, 3 hours' margin.
          const yearlyLast = YEARLY_LAST_DATES[pattern.type];
          if (range.type === 'endDate' && yearlyLast) {
            expect(lastEnd(s).toISOString(), context).toBe(`${yearlyLast}T14:00:00.000Z`);
            continue;
          }
          expect(lastEnd(s).getTime(), context).toBe(LATEST_BOUND);
          expect(purgeAfterDay(s, null), context).toBe('9999-12-30');
          const w = roomWindow({ ...s, start: new Date('2027-01-04T10:00:00Z') }, policy);
          expect(w.validUntil.getTime(), context).toBe(LATEST_BOUND + 30 * 60_000);
        }
      }
    }
  });
});

describe('series with no end', () => {
  it('keep the 2-year horizon after the first occurrence', () => {
    const s = series('2026-01-03', { type: 'daily', interval: 1 }, { type: 'noEnd' });
    expect(lastEnd(s).toISOString()).toBe('2028-01-03T11:00:00.000Z');
    expect(purgeAfterDay(s, null)).toBe('2028-04-03');
  });

  it('as does a numbered series whose pattern cannot be read', () => {
    const s = series(
      '2026-01-03',
      { type: 'weekly', interval: 1 },
      { type: 'numbered', numberOfOccurrences: 3 },
    );
    expect(lastEnd(s).toISOString()).toBe('2028-01-03T11:00:00.000Z');
  });
});

describe('series with no end that calendar sync keeps seeing', () => {
  const s = series('2026-01-03', { type: 'daily', interval: 1 }, { type: 'noEnd' });

  it('run 2 years from the end of the day sync last saw them', () => {
    expect(lastEnd(s, '2029-06-10').toISOString()).toBe('2031-06-11T00:00:00.000Z');
    expect(purgeAfterDay(s, null, '2029-06-10')).toBe('2031-09-11');
    expect(purgeAfterDay(s, 30, '2029-06-10')).toBe('2031-07-11');
    const w = roomWindow({ ...s, start: new Date('2026-01-03T10:00:00Z') }, policy, '2029-06-10');
    expect(w.validFrom.toISOString()).toBe('2026-01-03T09:45:00.000Z');
    expect(w.validUntil.toISOString()).toBe('2031-06-11T00:30:00.000Z');
  });

  it('never end before 2 years after their first occurrence, whatever day was recorded', () => {
    // Seen before the first occurrence ended (sync linked it ahead of time), or an unreadable day.
    for (const seen of ['2025-12-01', null, '', '2026-02-30', 'yesterday']) {
      expect(lastEnd(s, seen).toISOString()).toBe('2028-01-03T11:00:00.000Z');
    }
    // Seen on the day of the first occurrence: the end of that day is later than 11:00.
    expect(lastEnd(s, '2026-01-03').toISOString()).toBe('2028-01-04T00:00:00.000Z');
  });

  it('a day seen is ignored for series with an end date or a count, and for single meetings', () => {
    const numbered = series(
      '2026-01-03',
      { type: 'daily', interval: 1 },
      { type: 'numbered', numberOfOccurrences: 3 },
    );
    expect(lastEnd(numbered, '2029-06-10')).toEqual(lastEnd(numbered));
    const dated = series(
      '2026-01-03',
      { type: 'daily', interval: 1 },
      { type: 'endDate', endDate: '2026-03-01' },
    );
    expect(lastEnd(dated, '2029-06-10')).toEqual(lastEnd(dated));
    // A count whose pattern cannot be read keeps the fixed horizon after the first occurrence.
    const unreadable = series(
      '2026-01-03',
      { type: 'weekly', interval: 1 },
      { type: 'numbered', numberOfOccurrences: 3 },
    );
    expect(lastEnd(unreadable, '2029-06-10').toISOString()).toBe('2028-01-03T11:00:00.000Z');
    expect(lastEnd({ ...s, recurrence: null }, '2029-06-10')).toEqual(s.end);
    expect(purgeAfterDay({ ...s, recurrence: null }, null, '2029-06-10')).toBe('2026-04-03');
  });

  it('are confirmed again once the recorded day is a week old', () => {
    const at = new Date('2029-06-10T23:59:00Z');
    expect(seriesConfirmationDue(null, at)).toBe(true);
    expect(seriesConfirmationDue('not a day', at)).toBe(true);
    expect(seriesConfirmationDue('2029-06-03', at)).toBe(true);
    expect(seriesConfirmationDue('2029-06-04', at)).toBe(false);
    expect(seriesConfirmationDue('2029-06-10', at)).toBe(false);
    expect(seriesConfirmationDue('2029-06-12', at)).toBe(false);
  });
});

describe('series whose occurrence calendar sync saw moved', () => {
  const s = series(
    '2026-12-01',
    { type: 'daily', interval: 1 },
    { type: 'numbered', numberOfOccurrences: 3 },
  );

  it('are purged 3 months (or the tenant’s days) after an occurrence moved past the last one', () => {
    const moved = new Date('2027-05-02T12:30:00Z');
    expect(purgeAfterDay(s, null, null, moved)).toBe('2027-08-02');
    expect(purgeAfterDay(s, 30, null, moved)).toBe('2027-06-01');
  });

  it('keep the pattern’s day when no occurrence moved past the last one', () => {
    const patternDay = purgeAfterDay(s, null);
    expect(patternDay).toBe('2027-03-03');
    expect(purgeAfterDay(s, null, null, new Date('2026-12-02T15:00:00Z'))).toBe(patternDay);
    expect(purgeAfterDay(s, null, null, new Date(Number.NaN))).toBe(patternDay);
  });
});
