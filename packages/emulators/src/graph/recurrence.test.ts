/**
 * The expansion converts only the occurrences near the requested window to instants, and the zone
 * conversions are memoized. Both must answer exactly what expanding every occurrence with Temporal
 * answered: these tests compare them over patterns, ranges, zones (DST gaps and overlaps, skipped
 * and repeated days, the largest offsets tzdata has) and windows.
 */
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { isOccurrenceStart, occurrenceStarts, type SeriesTiming } from './recurrence.js';
import { instantOf, wallClock } from './time.js';
import type { DayOfWeek, PatternedRecurrence, RecurrencePattern } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const ZONES = [
  'UTC',
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Kiritimati',
  'Etc/GMT+12',
  'Pacific/Apia',
  'Asia/Kolkata',
  'America/St_Johns',
  'Asia/Manila',
];

const WEEKDAYS: DayOfWeek[] = ['monday', 'wednesday', 'friday'];
const PATTERNS: RecurrencePattern[] = [
  { type: 'daily', interval: 1 },
  { type: 'daily', interval: 3 },
  { type: 'weekly', interval: 1, daysOfWeek: WEEKDAYS, firstDayOfWeek: 'sunday' },
  { type: 'weekly', interval: 2, daysOfWeek: ['saturday', 'sunday'], firstDayOfWeek: 'monday' },
  { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
  { type: 'absoluteMonthly', interval: 2, dayOfMonth: 15 },
  { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' },
  { type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday', 'thursday'], index: 'second' },
  { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 },
  { type: 'relativeYearly', interval: 1, month: 3, daysOfWeek: ['sunday'], index: 'last' },
  { type: 'relativeYearly', interval: 2, month: 11, daysOfWeek: ['monday'], index: 'first' },
];

/** Wall times of a series' first occurrence: clock changes in either hemisphere, and odd days. */
const STARTS = [
  '2025-03-08T02:30', // the next day's 02:30 does not exist in the US
  '2025-10-25T01:30', // the next day's 01:30 happens twice in Europe
  '2025-04-05T02:30', // Sydney's clocks go back on the 6th
  '2024-12-31T23:45',
  '2025-01-01T00:00',
  '2011-12-27T09:00', // Samoa skipped 30 December 2011
  '1844-12-28T12:00', // Manila skipped 31 December 1844, from −15:56 to +8:04
];

/** A small seeded generator, so that a failure can be reproduced. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const temporalWall = (instant: number, zone: string): number => {
  const t = Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(zone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
};

const temporalInstant = (wall: number, zone: string): number => {
  const d = new Date(wall);
  return Temporal.PlainDateTime.from({
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  }).toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds;
};

/**
 * What a window showed when every occurrence from the first on was converted: the series' instants
 * in pattern order, cut at the first one at or past the window's end.
 */
function windowOf(
  all: readonly number[],
  duration: number,
  windowStart: number,
  windowEnd: number,
): number[] {
  const result: number[] = [];
  for (const start of all) {
    if (start >= windowEnd) break;
    if (start + duration > windowStart) result.push(start);
  }
  return result;
}

describe('recurrence expansion', () => {
  it('answers every window as the expansion of the whole series does', () => {
    const next = random(20_251_203);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
    let compared = 0;
    let nonEmpty = 0;
    for (let n = 0; n < 120; n++) {
      const zone = pick(ZONES);
      const startWall = Date.parse(`${pick(STARTS)}:00Z`);
      const startDate = new Date(startWall).toISOString().slice(0, 10);
      const range = pick<PatternedRecurrence['range']>([
        { type: 'noEnd', startDate },
        { type: 'endDate', startDate, endDate: new Date(startWall + 200 * DAY).toISOString().slice(0, 10) },
        { type: 'numbered', startDate, numberOfOccurrences: 1 + Math.floor(next() * 120) },
      ]);
      const timing: SeriesTiming = {
        recurrence: { pattern: pick(PATTERNS), range },
        seriesStart: temporalInstant(startWall, zone),
        duration: pick([0, 30 * MINUTE, 25 * HOUR]),
        zone,
      };
      // Windows end before startWall + 500 days; the whole series is expanded well past that, and
      // from -Infinity, so that no occurrence is left out.
      const all = occurrenceStarts(timing, -Infinity, startWall + 600 * DAY);
      const near = all.filter((start) => start < startWall + 400 * DAY);
      for (let w = 0; w < 12; w++) {
        // Edges on, next to and between occurrences, on either side of the series' start.
        const edge = (): number =>
          next() < 0.5 && near.length > 0
            ? pick(near) + pick([0, 1, -1, HOUR, -HOUR, DAY - 1])
            : startWall - 30 * DAY + Math.floor(next() * 430 * 96) * 15 * MINUTE;
        const windowStart = edge();
        const windowEnd = pick([
          windowStart,
          windowStart + 1,
          windowStart + HOUR,
          edge(),
          windowStart + 90 * DAY,
        ]);
        const expected = windowOf(all, timing.duration, windowStart, windowEnd);
        expect(
          occurrenceStarts(timing, windowStart, windowEnd),
          `${JSON.stringify(timing)} [${windowStart}, ${windowEnd})`,
        ).toEqual(expected);
        compared++;
        if (expected.length > 0) nonEmpty++;
      }
      for (const instant of all.slice(0, 20).flatMap((s) => [s, s + 1, s - 1, s + HOUR, s - HOUR])) {
        const nonZero = Math.max(timing.duration, 1);
        expect(isOccurrenceStart(timing, instant)).toBe(
          windowOf(all, nonZero, instant, instant + 1).includes(instant),
        );
      }
    }
    // The comparisons are worth something only if many windows hold occurrences.
    expect(nonEmpty).toBeGreaterThan(compared / 3);
  });

  it('keeps the occurrences of zones at the largest distances from UTC tzdata has', () => {
    const cases: [string, string][] = [
      ['Asia/Manila', '1844-12-26T12:00'], // −15:56 until 1844, then +8:04
      ['America/Metlakatla', '1867-10-12T12:00'], // +15:14 until Alaska's repeated day in 1867
      ['Pacific/Kiritimati', '2025-01-01T00:30'],
      ['Etc/GMT+12', '2025-01-01T23:30'],
    ];
    for (const [zone, first] of cases) {
      const startWall = Date.parse(`${first}:00Z`);
      for (const duration of [0, HOUR]) {
        const timing: SeriesTiming = {
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'noEnd', startDate: first.slice(0, 10) },
          },
          seriesStart: temporalInstant(startWall, zone),
          duration,
          zone,
        };
        const all = occurrenceStarts(timing, -Infinity, startWall + 30 * DAY);
        for (const start of all.slice(0, 12)) {
          for (const offset of [-DAY, -16 * HOUR, -HOUR, -1, 0, 1, HOUR, 16 * HOUR]) {
            const windowStart = start + offset;
            for (const windowEnd of [windowStart + 1, windowStart + HOUR, windowStart + DAY]) {
              expect(occurrenceStarts(timing, windowStart, windowEnd)).toEqual(
                windowOf(all, duration, windowStart, windowEnd),
              );
            }
          }
        }
      }
    }
  });

  it('gives a skipped day the instant of the day after, as Temporal does (Samoa, 30 December 2011)', () => {
    const zone = 'Pacific/Apia';
    const timing: SeriesTiming = {
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'noEnd', startDate: '2011-12-28' },
      },
      seriesStart: temporalInstant(Date.UTC(2011, 11, 28, 9), zone),
      duration: HOUR,
      zone,
    };
    const thirtyFirst = Date.parse('2011-12-30T19:00:00Z');
    const starts = occurrenceStarts(
      timing,
      Date.parse('2011-12-29T00:00:00Z'),
      Date.parse('2011-12-31T12:00:00Z'),
    );
    expect(starts).toEqual([Date.parse('2011-12-29T19:00:00Z'), thirtyFirst, thirtyFirst]);
  });
});

describe('zone conversions', () => {
  /** Days on which some of ZONES change their clocks, and days on which none does. */
  const PERIODS = [
    '2025-03-08',
    '2025-03-29',
    '2025-04-05',
    '2025-09-27',
    '2025-10-25',
    '2025-11-01',
    '2011-12-29',
    '1844-12-30',
  ];

  it('answer what Temporal answers, before and after the answers are remembered', () => {
    const expected: [number, string, number, number][] = [];
    for (const day of PERIODS) {
      const from = Date.parse(`${day}T00:00:00Z`) - DAY / 2;
      for (let t = from; t < from + 2 * DAY; t += 89 * MINUTE + 7_001) {
        for (const zone of ZONES) expected.push([t, zone, temporalWall(t, zone), temporalInstant(t, zone)]);
      }
    }
    for (let round = 0; round < 2; round++) {
      // Zones interleaved, so that one zone's remembered answer could not pass for another's.
      for (const [t, zone, wall, instant] of expected) {
        expect(wallClock(t, zone)).toBe(wall);
        expect(instantOf(t, zone)).toBe(instant);
      }
    }
  });
});
