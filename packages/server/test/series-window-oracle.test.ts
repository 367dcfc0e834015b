/**
 * A series' room window (domain/sync/occurrences.ts, openSchedule) checked against the Graph
 * emulator's expansion of the same series in real time zones: open exactly within
 * [occurrence start − openBefore, occurrence end + closeAfter) of some occurrence (inside the series'
 * window), and the next opening and closing it reports are the oracle's.
 */
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { normalizeRecurrence, occurrenceStarts } from '../../emulators/src/graph/recurrence.js';
import { instantOf, parseDate, wallClock } from '../../emulators/src/graph/time.js';
import {
  DAYS_OF_WEEK as DAYS,
  WEEK_INDEXES as INDEXES,
  PATTERN_TYPES,
} from '../src/domain/meetings/recurrence-rules.js';
import { roomWindow } from '../src/domain/meetings/window.js';
import { occurrenceStartOn, openSchedule } from '../src/domain/sync/occurrences.js';
import { seededRandom } from './support/seeded-random.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Los_Angeles',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Asia/Tokyo',
  'America/Santiago',
];
function randomSeries(seed: number) {
  const r = seededRandom(seed);
  const type = r.pick(PATTERN_TYPES);
  const days = DAYS.filter(() => r.int(0, 2) === 0);
  if (days.length === 0) days.push(r.pick(DAYS));
  const startDate = new Date(Date.UTC(2026, 0, 1) + r.int(0, 3 * 365) * DAY).toISOString().slice(0, 10);
  const zone = r.pick(ZONES);
  const pattern = {
    type,
    interval: r.pick([1, 1, 2, 3]),
    daysOfWeek: days,
    firstDayOfWeek: r.pick(DAYS),
    index: r.pick(INDEXES),
    month: r.int(1, 12),
    dayOfMonth: r.pick([1, 15, 28, 29, 30, 31]),
  };
  const kind = r.pick(['numbered', 'endDate', 'noEnd']);
  const range =
    kind === 'numbered'
      ? { type: 'numbered', startDate, numberOfOccurrences: r.pick([1, 2, 3, 7, 40]) }
      : kind === 'endDate'
        ? {
            type: 'endDate',
            startDate,
            endDate: new Date((parseDate(startDate) as number) + r.int(0, 120) * DAY)
              .toISOString()
              .slice(0, 10),
          }
        : { type: 'noEnd', startDate };
  return {
    recurrence: normalizeRecurrence({ pattern, range }, zone),
    zone,
    // Any quarter hour, those the clocks show twice or skip included.
    minuteOfDay: r.int(0, 95) * 15,
    duration: r.pick([15, 30, 60, 90, 240, 600]) * MINUTE,
    margins: { openBeforeMinutes: r.pick([0, 10, 60, 240]), closeAfterMinutes: r.pick([0, 15, 60]) },
  };
}

describe('a series’ room window against the Graph emulator’s expansion', () => {
  it('is open exactly around the occurrences, and reports the oracle’s next opening and closing', () => {
    let checked = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const s = randomSeries(seed);
      const { recurrence, zone, duration, margins } = s;
      const before = margins.openBeforeMinutes * MINUTE;
      const after = margins.closeAfterMinutes * MINUTE;
      const onStartDate = instantOf(
        (parseDate(recurrence.range.startDate) as number) + s.minuteOfDay * MINUTE,
        zone,
      );
      const timing = { recurrence, zone, duration, seriesStart: onStartDate };
      const first = occurrenceStarts(timing, -Infinity, onStartDate + 5 * 366 * DAY)[0];
      if (first === undefined) continue; // a range with no occurrence
      const start = new Date(first);
      const end = new Date(first + duration);
      const meeting = {
        status: 'scheduled',
        start,
        end,
        timeZone: null,
        recurrence: recurrence as unknown as Record<string, unknown>,
        ...roomWindow({ start, end, timeZone: null, recurrence: recurrence as never }, margins),
      };
      const schedule = openSchedule(meeting, [], margins);
      const context = JSON.stringify({
        seed,
        zone,
        recurrence,
        minuteOfDay: s.minuteOfDay,
        duration,
        margins,
      });
      expect(schedule, context).toBeDefined();
      if (!schedule) continue;
      // The oracle: every occurrence's window, clipped to the series' window, from 2 days before the
      // first occurrence on. Probed every 5 h 47 min over 60 days, and at each edge of the first 30.
      const from = first - 2 * DAY;
      const to = from + 60 * DAY;
      const validFrom = meeting.validFrom.getTime();
      const validUntil = meeting.validUntil.getTime();
      // An occurrence at a wall time shown twice or skipped is open for both readings (Temporal's
      // 'earlier' and 'later'): Exchange's own is not documented.
      const seriesWall = wallClock(onStartDate, zone);
      const timeOfDay = seriesWall - Math.floor(seriesWall / DAY) * DAY;
      const readings = (o: number) => {
        const day = Math.floor(wallClock(o, zone) / DAY) * DAY;
        const local = Temporal.PlainDateTime.from(new Date(day + timeOfDay).toISOString().slice(0, 23));
        const at = (disambiguation: 'earlier' | 'later') =>
          local.toZonedDateTime(zone, { disambiguation }).epochMilliseconds;
        return { earliest: at('earlier'), latest: at('later') };
      };
      const windows = occurrenceStarts(timing, from - duration - after, to + 8 * 366 * DAY)
        .map(readings)
        .map(({ earliest, latest }) => ({
          open: Math.max(earliest - before, validFrom),
          close: Math.min(latest + duration + after, validUntil),
        }))
        .filter((w) => w.open < w.close);
      const openAt = (t: number) => windows.some((w) => w.open <= t && t < w.close);
      const probes: number[] = [];
      for (let t = from; t < to; t += 347 * MINUTE) probes.push(t);
      for (const w of windows.filter((x) => x.open < from + 30 * DAY))
        probes.push(w.open - 1, w.open, w.close - 1, w.close);
      for (const t of probes) {
        const expected = openAt(t);
        expect(schedule.isOpenAt(new Date(t)), `${context} at ${new Date(t).toISOString()}`).toBe(expected);
        if (expected) {
          // Closing: the end of the run of windows that overlap or touch.
          let close = t;
          for (let w = windows.find((x) => x.open <= close && close < x.close); w; ) {
            close = w.close;
            w = windows.find((x) => x.open <= close && close < x.close);
          }
          expect(schedule.nextChange(t, false), `${context} closing after ${new Date(t).toISOString()}`).toBe(
            close,
          );
        } else {
          const next = windows.find((w) => w.open > t)?.open ?? null;
          // (The oracle looks 8 years ahead: past the last occurrence, or a `noEnd` series' horizon.)
          expect(schedule.nextChange(t, true), `${context} opening after ${new Date(t).toISOString()}`).toBe(
            next,
          );
        }
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('an occurrence’s start on a day the clocks change, against the Graph emulator’s expansion', () => {
  // Days on which the clocks go back (a wall time is shown twice) or forward (one is skipped).
  const CHANGES = [
    { zone: 'Europe/Paris', startDate: '2026-10-23' },
    { zone: 'Europe/Paris', startDate: '2026-03-27' },
    { zone: 'America/New_York', startDate: '2026-10-30' },
    { zone: 'America/New_York', startDate: '2026-03-06' },
    { zone: 'Australia/Sydney', startDate: '2026-04-03' },
    { zone: 'Australia/Lord_Howe', startDate: '2026-10-02' },
  ];

  it('is the same instant at every quarter hour of the night, east and west of UTC', () => {
    const mismatches: string[] = [];
    for (const { zone, startDate } of CHANGES) {
      for (let minuteOfDay = 0; minuteOfDay < 4 * 60; minuteOfDay += 15) {
        const recurrence = normalizeRecurrence(
          {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'numbered', startDate, numberOfOccurrences: 4 },
          },
          zone,
        );
        const seriesStart = instantOf((parseDate(startDate) as number) + minuteOfDay * MINUTE, zone);
        const oracle = occurrenceStarts(
          { recurrence, zone, duration: 30 * MINUTE, seriesStart },
          -Infinity,
          Infinity,
        );
        expect(oracle).toHaveLength(4);
        oracle.forEach((expected, day) => {
          const date = new Date((parseDate(startDate) as number) + day * DAY).toISOString().slice(0, 10);
          const got = occurrenceStartOn(
            { start: new Date(seriesStart), timeZone: zone, rangeStartDate: startDate },
            date,
          );
          if (got?.getTime() !== expected) {
            mismatches.push(
              `${zone} ${date} minute ${minuteOfDay}: ${got?.toISOString()} ≠ ${new Date(expected).toISOString()}`,
            );
          }
        });
      }
    }
    expect(mismatches).toEqual([]);
  });
});
