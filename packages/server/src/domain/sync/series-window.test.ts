/**
 * A series' room window, occurrence by occurrence (occurrences.ts, openSchedule): open from
 * openBefore minutes before each occurrence that takes place to closeAfter minutes after it, at the
 * series' wall-clock time in its zone, closed in between and after the last one.
 */
import { roomTiming } from '@roomlink/rooms';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { roomWindow } from '../meetings/window.js';
import {
  MAX_OCCURRENCES_SEARCHED,
  type OccurrenceOverride,
  openAt,
  openSchedule,
  type SeriesTimes,
  type WindowMargins,
} from './occurrences.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const hourly: WindowMargins = { openBeforeMinutes: 60, closeAfterMinutes: 60 };
const ms = (iso: string) => Date.parse(iso);
const iso = (t: number | null | undefined) => (typeof t === 'number' ? new Date(t).toISOString() : t);

function series(
  start: string,
  end: string,
  recurrence: Record<string, unknown>,
  timeZone: string | null = null,
  margins: WindowMargins = hourly,
): SeriesTimes {
  const s = new Date(start);
  const e = new Date(end);
  return {
    status: 'scheduled',
    start: s,
    end: e,
    timeZone,
    recurrence,
    ...roomWindow({ start: s, end: e, timeZone, recurrence }, margins),
  };
}

function schedule(meeting: SeriesTimes, overrides: OccurrenceOverride[] = [], margins = hourly) {
  const s = openSchedule(meeting, overrides, margins);
  if (!s) throw new Error('the series could not be placed in time');
  return {
    open: (at: string) => s.isOpenAt(new Date(at)),
    opensAfter: (at: string) => iso(s.nextChange(ms(at), true)),
    closesAfter: (at: string) => iso(s.nextChange(ms(at), false)),
    schedule: s,
  };
}

/** As the room service sees it: the directory's RoomInfo, and roomTiming's answer. */
function timing(meeting: SeriesTimes, at: string, overrides: OccurrenceOverride[] = [], margins = hourly) {
  const s = openSchedule(meeting, overrides, margins);
  if (!s) throw new Error('the series could not be placed in time');
  const room = {
    status: 'scheduled' as const,
    startsAt: meeting.start,
    endsAt: new Date(meeting.validUntil.getTime() - margins.closeAfterMinutes * MINUTE),
    isOpenAt: (t: Date) => s.isOpenAt(t),
    nextOpenChange: s.nextChange,
  };
  const t = roomTiming(room, new Date(at), margins);
  return { state: t.state, opensAt: t.opensAt?.toISOString() ?? null, closesAt: t.closesAt.toISOString() };
}

const cancelledAt = (start: string, end: string): OccurrenceOverride => ({
  originalStart: new Date(start),
  originalEnd: new Date(end),
  start: new Date(start),
  end: new Date(end),
  cancelled: true,
});

// Saturdays 15:00–16:00 UTC, 10 occurrences: 2026-11-28 … 2027-01-30.
const saturdays = series('2026-11-28T15:00:00Z', '2026-11-28T16:00:00Z', {
  pattern: { type: 'weekly', interval: 1, daysOfWeek: ['saturday'] },
  range: { type: 'numbered', startDate: '2026-11-28', numberOfOccurrences: 10, recurrenceTimeZone: 'UTC' },
});

describe('a weekly series’ room window', () => {
  it('is open around each occurrence only, not on the days between', () => {
    const s = schedule(saturdays);
    expect(s.open('2026-12-05T13:59:59.999Z')).toBe(false);
    expect(s.open('2026-12-05T14:00:00Z')).toBe(true);
    expect(s.open('2026-12-05T16:59:59.999Z')).toBe(true);
    expect(s.open('2026-12-05T17:00:00Z')).toBe(false);
    // The Monday after the first occurrence, and the Wednesday: closed (they were open before).
    expect(s.open('2026-11-30T03:00:00Z')).toBe(false);
    expect(s.open('2026-12-02T12:00:00Z')).toBe(false);
    expect(s.opensAfter('2026-11-30T03:00:00Z')).toBe('2026-12-05T14:00:00.000Z');
    expect(s.closesAfter('2026-12-05T15:30:00Z')).toBe('2026-12-05T17:00:00.000Z');
  });

  it('between occurrences: not open yet, opening an hour before the next one', () => {
    expect(timing(saturdays, '2026-11-30T03:00:00Z')).toEqual({
      state: 'not_yet_open',
      opensAt: '2026-12-05T14:00:00.000Z',
      closesAt: '2027-01-30T20:00:00.000Z',
    });
    // Open: closing with this occurrence's window (a live call ends there), not with the series.
    expect(timing(saturdays, '2026-12-05T15:30:00Z')).toMatchObject({
      state: 'open',
      closesAt: '2026-12-05T17:00:00.000Z',
    });
  });

  it('keeps a cancelled occurrence closed and opens at the next one, not right after it', () => {
    const overrides = [cancelledAt('2026-12-05T15:00:00Z', '2026-12-05T16:00:00Z')];
    const s = schedule(saturdays, overrides);
    expect(s.open('2026-12-05T15:30:00Z')).toBe(false);
    expect(s.open('2026-12-05T17:30:00Z')).toBe(false);
    expect(s.open('2026-12-12T15:30:00Z')).toBe(true);
    for (const at of ['2026-12-05T15:30:00Z', '2026-12-05T17:30:00Z', '2026-12-01T00:00:00Z']) {
      expect(timing(saturdays, at, overrides), at).toMatchObject({
        state: 'not_yet_open',
        opensAt: '2026-12-12T14:00:00.000Z',
      });
    }
  });

  it('opens a moved occurrence at its new time and keeps its old time closed', () => {
    // 12 December's occurrence moved to Sunday 13 December 10:00–11:30.
    const moved: OccurrenceOverride = {
      originalStart: new Date('2026-12-12T15:00:00Z'),
      originalEnd: new Date('2026-12-12T16:00:00Z'),
      start: new Date('2026-12-13T10:00:00Z'),
      end: new Date('2026-12-13T11:30:00Z'),
      cancelled: false,
    };
    const s = schedule(saturdays, [moved]);
    expect(s.open('2026-12-12T15:30:00Z')).toBe(false);
    expect(s.open('2026-12-13T08:59:59.999Z')).toBe(false);
    expect(s.open('2026-12-13T09:00:00Z')).toBe(true);
    expect(s.open('2026-12-13T12:29:59.999Z')).toBe(true);
    expect(s.open('2026-12-19T15:30:00Z')).toBe(true);
    expect(timing(saturdays, '2026-12-12T15:30:00Z', [moved])).toMatchObject({
      state: 'not_yet_open',
      opensAt: '2026-12-13T09:00:00.000Z',
    });
    expect(timing(saturdays, '2026-12-13T10:30:00Z', [moved])).toMatchObject({
      state: 'open',
      closesAt: '2026-12-13T12:30:00.000Z',
    });
    // The last occurrence moved past the pattern's end: open then, closed before and after it.
    const last: OccurrenceOverride = {
      ...moved,
      originalStart: new Date('2027-01-30T15:00:00Z'),
      originalEnd: new Date('2027-01-30T16:00:00Z'),
      start: new Date('2027-02-10T15:00:00Z'),
      end: new Date('2027-02-10T16:00:00Z'),
    };
    expect(timing(saturdays, '2027-01-30T15:30:00Z', [last])).toMatchObject({
      state: 'not_yet_open',
      opensAt: '2027-02-10T14:00:00.000Z',
    });
    expect(timing(saturdays, '2027-02-10T15:30:00Z', [last])).toMatchObject({
      state: 'open',
      closesAt: '2027-02-10T17:00:00.000Z',
    });
    expect(timing(saturdays, '2027-02-10T17:00:00Z', [last]).state).toBe('closed');
  });

  it('is closed after the last of a numbered series, before the series window’s bound', () => {
    const s = schedule(saturdays);
    expect(s.open('2027-01-30T16:59:59.999Z')).toBe(true);
    expect(s.open('2027-01-30T17:00:00Z')).toBe(false);
    expect(s.open('2027-02-06T15:30:00Z')).toBe(false);
    expect(s.opensAfter('2027-01-30T17:00:00Z')).toBeNull();
    // lastEnd's bound (window.ts) is a few hours later than the last end; the series is over now.
    expect(timing(saturdays, '2027-01-30T17:00:00Z')).toMatchObject({ state: 'closed', opensAt: null });
    expect(timing(saturdays, '2027-02-06T15:30:00Z').state).toBe('closed');
  });

  it('is not open before the first occurrence, and says when it opens', () => {
    expect(timing(saturdays, '2026-11-01T00:00:00Z')).toMatchObject({
      state: 'not_yet_open',
      opensAt: '2026-11-28T14:00:00.000Z',
    });
  });

  it('with every occurrence cancelled, never opens', () => {
    const all = Array.from({ length: 10 }, (_, i) => {
      const start = ms('2026-11-28T15:00:00Z') + i * 7 * DAY;
      return cancelledAt(iso(start) as string, iso(start + HOUR) as string);
    });
    expect(timing(saturdays, '2026-11-20T00:00:00Z', all)).toMatchObject({ state: 'closed', opensAt: null });
  });

  it('never opens a cancelled meeting', () => {
    const s = openSchedule({ ...saturdays, status: 'cancelled' }, [], hourly);
    expect(s?.isOpenAt(new Date('2026-12-05T15:30:00Z'))).toBe(false);
    expect(s?.nextChange(ms('2026-12-01T00:00:00Z'), true)).toBeNull();
  });
});

describe('a series across a change of daylight saving time', () => {
  it('Europe/Paris: each occurrence at its local time, summer time starting and ending', () => {
    // Mondays 09:00–10:00 in Paris: 08:00Z in winter, 07:00Z from 28 March 2027 to 31 October.
    const spring = series('2027-03-15T08:00:00Z', '2027-03-15T09:00:00Z', {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: {
        type: 'numbered',
        startDate: '2027-03-15',
        numberOfOccurrences: 5,
        recurrenceTimeZone: 'Europe/Paris',
      },
    });
    const s = schedule(spring);
    expect(s.open('2027-03-22T06:59:59.999Z')).toBe(false);
    expect(s.open('2027-03-22T07:00:00Z')).toBe(true);
    expect(s.open('2027-03-22T09:59:59.999Z')).toBe(true);
    // After the change: an hour earlier in UTC (a window kept in UTC would open at 07:00Z).
    expect(s.open('2027-03-29T05:59:59.999Z')).toBe(false);
    expect(s.open('2027-03-29T06:00:00Z')).toBe(true);
    expect(s.open('2027-03-29T08:59:59.999Z')).toBe(true);
    expect(s.open('2027-03-29T09:00:00Z')).toBe(false);
    expect(s.opensAfter('2027-03-23T00:00:00Z')).toBe('2027-03-29T06:00:00.000Z');
    expect(s.closesAfter('2027-03-29T07:30:00Z')).toBe('2027-03-29T09:00:00.000Z');

    const autumn = series('2027-10-25T07:00:00Z', '2027-10-25T08:00:00Z', {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: {
        type: 'endDate',
        startDate: '2027-10-25',
        endDate: '2027-11-08',
        recurrenceTimeZone: 'Europe/Paris',
      },
    });
    const a = schedule(autumn);
    expect(a.open('2027-10-25T06:00:00Z')).toBe(true);
    expect(a.opensAfter('2027-10-26T00:00:00Z')).toBe('2027-11-01T07:00:00.000Z');
    expect(a.open('2027-11-01T06:30:00Z')).toBe(false);
    expect(a.open('2027-11-01T09:30:00Z')).toBe(true);
    expect(a.closesAfter('2027-11-01T09:30:00Z')).toBe('2027-11-01T10:00:00.000Z');
  });

  it('America/New_York, from the meeting’s Windows zone name: daily at 18:30 across both changes', () => {
    // No recurrenceTimeZone: the meeting's own zone. 18:30 EST is 23:30Z; 18:30 EDT is 22:30Z.
    const margins = { openBeforeMinutes: 10, closeAfterMinutes: 10 };
    const daily = (start: string, end: string, startDate: string, endDate: string) =>
      series(
        start,
        end,
        { pattern: { type: 'daily', interval: 1 }, range: { type: 'endDate', startDate, endDate } },
        'Eastern Standard Time',
        margins,
      );
    const march = schedule(
      daily('2027-03-12T23:30:00Z', '2027-03-13T00:00:00Z', '2027-03-12', '2027-03-16'),
      [],
      margins,
    );
    expect(march.open('2027-03-13T23:25:00Z')).toBe(true);
    expect(march.open('2027-03-14T22:19:59.999Z')).toBe(false);
    expect(march.open('2027-03-14T22:20:00Z')).toBe(true);
    expect(march.open('2027-03-14T23:15:00Z')).toBe(false);
    expect(march.opensAfter('2027-03-14T00:00:00Z')).toBe('2027-03-14T22:20:00.000Z');
    // The range's end date (16 March, in New York) was the last: closed afterwards.
    expect(march.open('2027-03-16T22:25:00Z')).toBe(true);
    expect(march.opensAfter('2027-03-16T23:10:00Z')).toBeNull();
    expect(march.open('2027-03-17T22:25:00Z')).toBe(false);

    const november = schedule(
      daily('2027-11-05T22:30:00Z', '2027-11-05T23:00:00Z', '2027-11-05', '2027-11-09'),
      [],
      margins,
    );
    expect(november.open('2027-11-06T22:25:00Z')).toBe(true);
    expect(november.open('2027-11-07T22:25:00Z')).toBe(false);
    expect(november.open('2027-11-07T23:25:00Z')).toBe(true);
    expect(november.opensAfter('2027-11-07T00:00:00Z')).toBe('2027-11-07T23:20:00.000Z');
  });

  it('reads a Windows zone name in the recurrence as the IANA zone it stands for', () => {
    const recurrence = (recurrenceTimeZone: string) => ({
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
      range: { type: 'numbered', startDate: '2027-03-15', numberOfOccurrences: 5, recurrenceTimeZone },
    });
    const windows = schedule(
      series('2027-03-15T08:00:00Z', '2027-03-15T09:00:00Z', recurrence('Romance Standard Time')),
    );
    const iana = schedule(series('2027-03-15T08:00:00Z', '2027-03-15T09:00:00Z', recurrence('Europe/Paris')));
    for (let t = ms('2027-03-14T00:00:00Z'); t < ms('2027-04-14T00:00:00Z'); t += 29 * MINUTE) {
      const at = iso(t) as string;
      expect(windows.open(at), at).toBe(iana.open(at));
    }
    expect(windows.open('2027-03-29T06:30:00Z')).toBe(true);
    expect(windows.opensAfter('2027-03-23T00:00:00Z')).toBe('2027-03-29T06:00:00.000Z');
  });
});

describe('ranges', () => {
  it('noEnd: open at an occurrence a year on, closed between, and closed past the 2-year horizon', () => {
    // Wednesdays 12:00–13:00 UTC from 6 January 2027, no end: kept 2 years after the first occurrence.
    const weekly = series('2027-01-06T12:00:00Z', '2027-01-06T13:00:00Z', {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['wednesday'] },
      range: { type: 'noEnd', startDate: '2027-01-06', recurrenceTimeZone: 'UTC' },
    });
    const s = schedule(weekly);
    expect(s.open('2028-06-07T12:30:00Z')).toBe(true);
    expect(s.open('2028-06-08T12:30:00Z')).toBe(false);
    expect(s.opensAfter('2028-06-08T12:30:00Z')).toBe('2028-06-14T11:00:00.000Z');
    expect(weekly.validUntil.toISOString()).toBe('2029-01-06T14:00:00.000Z');
    expect(s.open('2029-01-03T12:30:00Z')).toBe(true);
    expect(s.open('2029-01-10T12:30:00Z')).toBe(false);
    expect(s.opensAfter('2029-01-03T14:00:00Z')).toBeNull();
  });

  it('numbered and endDate ranges of monthly and yearly patterns', () => {
    // The last Friday of every second month, 17:00–18:00 UTC, 3 times: 26 Feb, 30 Apr, 25 Jun 2027.
    const monthly = schedule(
      series('2027-02-26T17:00:00Z', '2027-02-26T18:00:00Z', {
        pattern: { type: 'relativeMonthly', interval: 2, daysOfWeek: ['friday'], index: 'last' },
        range: {
          type: 'numbered',
          startDate: '2027-02-01',
          numberOfOccurrences: 3,
          recurrenceTimeZone: 'UTC',
        },
      }),
    );
    expect(monthly.opensAfter('2027-02-27T00:00:00Z')).toBe('2027-04-30T16:00:00.000Z');
    expect(monthly.open('2027-03-26T17:30:00Z')).toBe(false);
    expect(monthly.open('2027-06-25T17:30:00Z')).toBe(true);
    expect(monthly.opensAfter('2027-06-26T00:00:00Z')).toBeNull();
    // Yearly on 29 February: the last day of February in other years; until an end date.
    const yearly = schedule(
      series('2028-02-29T09:00:00Z', '2028-02-29T10:00:00Z', {
        pattern: { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 },
        range: { type: 'endDate', startDate: '2028-02-29', endDate: '2030-12-31', recurrenceTimeZone: 'UTC' },
      }),
    );
    expect(yearly.opensAfter('2028-03-01T00:00:00Z')).toBe('2029-02-28T08:00:00.000Z');
    expect(yearly.opensAfter('2030-03-01T00:00:00Z')).toBeNull();
  });
});

describe('the bounded search', () => {
  afterEach(() => vi.restoreAllMocks());

  // Daily 08:00–08:30 UTC from 1 January 2027, no end.
  const daily = series('2027-01-01T08:00:00Z', '2027-01-01T08:30:00Z', {
    pattern: { type: 'daily', interval: 1 },
    range: { type: 'noEnd', startDate: '2027-01-01', recurrenceTimeZone: 'UTC' },
  });
  const cancelledDays = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const start = ms('2027-01-01T08:00:00Z') + (from + i) * DAY;
      return cancelledAt(iso(start) as string, iso(start + 30 * MINUTE) as string);
    });

  it('steps over a long run of cancelled occurrences, and gives up past its bound', () => {
    const weeks = schedule(daily, cancelledDays(1, 60));
    expect(weeks.opensAfter('2027-01-01T10:00:00Z')).toBe('2027-03-03T07:00:00.000Z');
    const many = openSchedule(daily, cancelledDays(1, MAX_OCCURRENCES_SEARCHED + 5), hourly);
    expect(many?.nextChange(ms('2027-01-01T10:00:00Z'), true)).toBeUndefined();
    // The room service then says "not open yet", with no time.
    expect(
      timing(daily, '2027-01-01T10:00:00Z', cancelledDays(1, MAX_OCCURRENCES_SEARCHED + 5)),
    ).toMatchObject({
      state: 'not_yet_open',
      opensAt: null,
    });
  });

  it('expands only the dates near the instant asked, however long the series', () => {
    const huge = series('2027-01-01T08:00:00Z', '2027-01-01T08:30:00Z', {
      pattern: { type: 'daily', interval: 1 },
      range: {
        type: 'numbered',
        startDate: '2027-01-01',
        numberOfOccurrences: 2_147_483_647,
        recurrenceTimeZone: 'Europe/Paris',
      },
    });
    const s = openSchedule(huge, [], hourly);
    const conversions = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    expect(s?.isOpenAt(new Date('2500-06-01T07:30:00Z'))).toBe(true);
    expect(s?.nextChange(ms('2500-06-01T10:00:00Z'), true)).toBe(ms('2500-06-02T06:00:00Z'));
    // A handful of time zone conversions (about four per date looked at), not one per occurrence.
    expect(conversions.mock.calls.length).toBeLessThan(60);
  });
});

describe('a series that cannot be placed in time', () => {
  it('keeps the whole series’ window, as before: no zone, or a pattern that cannot be read', () => {
    const noZone = series('2026-11-28T15:00:00Z', '2026-11-28T16:00:00Z', {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['saturday'] },
      range: { type: 'numbered', startDate: '2026-11-28', numberOfOccurrences: 10 },
    });
    expect(openSchedule(noZone, [], hourly)).toBeUndefined();
    expect(openAt(noZone, [], new Date('2026-11-30T03:00:00Z'), hourly)).toBe(true);
    const unknownPattern = series(
      '2026-11-28T15:00:00Z',
      '2026-11-28T16:00:00Z',
      { pattern: { type: 'hourly' }, range: { type: 'noEnd', startDate: '2026-11-28' } },
      'UTC',
    );
    expect(openSchedule(unknownPattern, [], hourly)).toBeUndefined();
    // A zone that is known: occurrence by occurrence, through openAt as well.
    expect(openAt({ ...noZone, timeZone: 'UTC' }, [], new Date('2026-11-30T03:00:00Z'), hourly)).toBe(false);
  });
});

describe('the night the clocks change', () => {
  const none: WindowMargins = { openBeforeMinutes: 0, closeAfterMinutes: 0 };
  // Daily at 02:30 in Paris, 30 minutes, from 2026-10-24 (clocks go back on the 25th at 03:00 CEST)
  // and from 2026-03-28 (they go forward on the 29th at 02:00 CET: 02:30 is skipped).
  const daily = (startDate: string, start: string, end: string) =>
    series(
      start,
      end,
      {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate, numberOfOccurrences: 3 },
      },
      'Europe/Paris',
      none,
    );

  it('is open at both showings of a repeated time: Exchange may mean either', () => {
    const s = schedule(
      daily('2026-10-24', '2026-10-24T02:30:00+02:00', '2026-10-24T03:00:00+02:00'),
      [],
      none,
    );
    expect(s.open('2026-10-25T02:35:00+02:00')).toBe(true); // the first showing (RFC 5545's reading)
    expect(s.open('2026-10-25T02:35:00+01:00')).toBe(true); // the second (standard time)
    expect(s.open('2026-10-25T02:25:00+02:00')).toBe(false);
    expect(s.opensAfter('2026-10-25T00:00:00+02:00')).toBe('2026-10-25T00:30:00.000Z');
    expect(s.closesAfter('2026-10-25T02:35:00+02:00')).toBe('2026-10-25T02:00:00.000Z');
  });

  it('is open at both readings of a skipped time, an hour back and an hour on', () => {
    const s = schedule(
      daily('2026-03-28', '2026-03-28T02:30:00+01:00', '2026-03-28T03:00:00+01:00'),
      [],
      none,
    );
    expect(s.open('2026-03-29T01:35:00+01:00')).toBe(true); // moved back by the gap
    expect(s.open('2026-03-29T03:35:00+02:00')).toBe(true); // moved on by the gap (RFC 5545's reading)
    expect(s.open('2026-03-29T01:25:00+01:00')).toBe(false);
    expect(s.open('2026-03-29T04:05:00+02:00')).toBe(false);
    // The other days keep 02:30 local time.
    expect(s.open('2026-03-30T02:35:00+02:00')).toBe(true);
    expect(s.open('2026-03-30T01:35:00+02:00')).toBe(false);
  });
});
