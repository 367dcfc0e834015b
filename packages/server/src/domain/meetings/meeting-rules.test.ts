import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import {
  EARLIEST_START,
  refuseExpired,
  refuseSeriesWithoutZone,
  validateTimes,
  validateTimeZone,
} from './meeting-rules.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The refusal's detail, checked to be a DomainError with `code`; undefined when `check` passes. */
function detail(check: () => void, code = 'invalid_meeting_times'): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(code);
    return (error as DomainError).message;
  }
}

describe('meeting times', () => {
  it('refuses a start before 1970, so that validFrom (up to 24 h earlier) keeps a 4-digit year', () => {
    const at = (iso: string) => new Date(iso);
    expect(detail(() => validateTimes(at('0000-01-01T00:00:00Z'), at('0000-01-01T01:00:00Z')))).toBe(
      'a meeting may not start before 1970-01-01T00:00:00Z',
    );
    expect(detail(() => validateTimes(at('1969-12-31T23:59:59Z'), at('1970-01-01T01:00:00Z')))).toMatch(
      /before 1970/,
    );
    expect(detail(() => validateTimes(new Date(EARLIEST_START), at('1970-01-01T01:00:00Z')))).toBeUndefined();
    // The earliest validFrom there can be (24 h of open-before, the configuration's maximum).
    expect(new Date(EARLIEST_START - DAY).toISOString()).toBe('1969-12-31T00:00:00.000Z');
  });

  it('keeps the other bounds', () => {
    const start = new Date('2027-01-04T09:00:00Z');
    expect(detail(() => validateTimes(start, start))).toBe('end must be after start');
    expect(detail(() => validateTimes(start, new Date(start.getTime() + 32 * DAY)))).toMatch(/31 days/);
    expect(
      detail(() => validateTimes(new Date('9999-09-30T00:00:00Z'), new Date('9999-10-01T00:00:00Z'))),
    ).toMatch(/9999-09-30/);
    expect(detail(() => validateTimes(new Date(Number.NaN), start))).toMatch(/valid date-times/);
  });
});

describe('time zone', () => {
  it('accepts IANA names and aliases Intl knows, Windows ids, and none', () => {
    for (const zone of [
      'Europe/Paris',
      'UTC',
      'Etc/UTC',
      'Asia/Calcutta',
      'US/Pacific',
      'W. Europe Standard Time',
      'Pacific Standard Time',
      'Romance Standard Time',
      'UTC-11',
      null,
      undefined,
    ]) {
      expect(
        detail(() => validateTimeZone(zone)),
        String(zone),
      ).toBeUndefined();
    }
  });

  it('refuses anything else', () => {
    for (const zone of [
      '',
      'Not/AZone',
      'pacific standard time',
      'GMT+1',
      ' Europe/Paris',
      'x'.repeat(100),
    ]) {
      expect(
        detail(() => validateTimeZone(zone)),
        zone,
      ).toMatch(/^timeZone must be an IANA time zone name/);
    }
  });
});

describe('a purge day already come', () => {
  const today = new Date('2027-06-15T12:00:00Z');
  const single = (end: Date) => ({
    start: new Date(end.getTime() - 3_600_000),
    end,
    timeZone: null,
    recurrence: null,
  });
  const series = (end: Date, recurrence: Record<string, unknown>) => ({
    start: new Date(end.getTime() - 3_600_000),
    end,
    timeZone: 'Europe/Paris',
    recurrence,
  });

  it('refuses times retention would delete at its next run (purge day today or earlier)', () => {
    // 3 calendar months after the end: ended 2027-03-15 → purged on 2027-06-15, today.
    const ended = new Date('2027-03-15T10:00:00Z');
    expect(detail(() => refuseExpired(single(ended), null, null, today))).toBe(
      'the meeting ended too long ago: Roomlink keeps a meeting 3 months after it ends, so it would be ' +
        'deleted at once (purge day 2027-06-15)',
    );
    expect(
      detail(() => refuseExpired(single(new Date('2027-03-16T10:00:00Z')), null, null, today)),
    ).toBeUndefined();
    // The tenant's own retention, in days.
    expect(detail(() => refuseExpired(single(new Date('2027-06-13T10:00:00Z')), 2, null, today))).toMatch(
      /keeps a meeting 2 days after/,
    );
    expect(
      detail(() => refuseExpired(single(new Date('2027-06-14T01:00:00Z')), 2, null, today)),
    ).toBeUndefined();
    // 1 day, stored by an older release, counts as 2 (window.ts, MIN_RETENTION_DAYS).
    expect(
      detail(() => refuseExpired(single(new Date('2027-06-14T01:00:00Z')), 1, null, today)),
    ).toBeUndefined();
  });

  it('counts a series from its last occurrence, and an open-ended one from when sync last saw it', () => {
    const end = new Date('2024-06-03T10:00:00Z');
    const open = {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: { type: 'noEnd', startDate: '2024-06-03' },
    };
    // 2 years after the first occurrence, then 3 months: 2026-09-03.
    expect(detail(() => refuseExpired(series(end, open), null, null, today))).toMatch(
      /^the meeting series ended too long ago/,
    );
    expect(detail(() => refuseExpired(series(end, open), null, '2027-06-01', today))).toBeUndefined();
    const dated = { ...open, range: { type: 'endDate', startDate: '2024-06-03', endDate: '2027-12-31' } };
    expect(detail(() => refuseExpired(series(end, dated), null, null, today))).toBeUndefined();
  });
});

describe('a series names its zone', () => {
  const weekly = { type: 'weekly', interval: 1, daysOfWeek: ['monday'] };
  const series = (range: object = {}) => ({
    pattern: weekly,
    range: { type: 'noEnd', startDate: '2027-01-04', ...range },
  });
  const refusal = (check: () => void) => detail(check, 'invalid_recurrence');

  it('lets a single meeting have no zone', () => {
    expect(refusal(() => refuseSeriesWithoutZone(null, null))).toBeUndefined();
  });

  it('takes the zone from the range, else from the meeting, in IANA or Windows names', () => {
    expect(
      refusal(() => refuseSeriesWithoutZone(series({ recurrenceTimeZone: 'Romance Standard Time' }), null)),
    ).toBeUndefined();
    expect(refusal(() => refuseSeriesWithoutZone(series(), 'Europe/Paris'))).toBeUndefined();
    expect(
      refusal(() => refuseSeriesWithoutZone(series({ recurrenceTimeZone: '' }), 'Tokyo Standard Time')),
    ).toBeUndefined();
  });

  it('refuses a series with no zone it can read in either place', () => {
    for (const [recurrence, timeZone] of [
      [series(), null],
      [series({ recurrenceTimeZone: null }), null],
      [series(), 'Not/AZone'],
      [{ pattern: weekly }, null],
    ] as const) {
      expect(refusal(() => refuseSeriesWithoutZone(recurrence, timeZone))).toMatch(
        /^a recurring meeting needs a time zone/,
      );
    }
  });

  it('refuses a range zone it cannot read, whatever the meeting names', () => {
    expect(
      refusal(() =>
        refuseSeriesWithoutZone(series({ recurrenceTimeZone: 'tzone://Microsoft/Custom' }), 'Europe/Paris'),
      ),
    ).toMatch(/^range\.recurrenceTimeZone must be an IANA time zone name/);
  });
});
