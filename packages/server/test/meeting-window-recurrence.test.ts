/**
 * The room window's series end (domain/meetings/window.ts) checked against the Graph emulator's
 * expansion of the same series in real time zones (Intl's tz database): never before the last
 * occurrence ends; placed in the series' zone, at most the 3 hours' margin later; without a zone it
 * reads, for numbered series at most the days between the range's start date and the first occurrence
 * plus a few hours (the margin for a change of UTC offset) later.
 */
import { describe, expect, it } from 'vitest';
import { normalizeRecurrence, occurrenceStarts } from '../../emulators/src/graph/recurrence.js';
import { instantOf, parseDate, wallClock } from '../../emulators/src/graph/time.js';
import {
  DAYS_OF_WEEK as DAYS,
  WEEK_INDEXES as INDEXES,
  PATTERN_TYPES,
} from '../src/domain/meetings/recurrence-rules.js';
import { lastEnd } from '../src/domain/meetings/window.js';
import { seededRandom } from './support/seeded-random.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ZONES = [
  'UTC',
  'America/Los_Angeles',
  'Pacific/Honolulu',
  'Etc/GMT+12',
  'Pacific/Kiritimati',
  'Europe/Berlin',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Antarctica/Troll',
  'America/Santiago',
];
function randomSeries(seed: number) {
  const r = seededRandom(seed);
  const type = r.pick(PATTERN_TYPES);
  const days = DAYS.filter(() => r.int(0, 2) === 0);
  if (days.length === 0) days.push(r.pick(DAYS));
  const startDate = new Date(Date.UTC(2026, 0, 1) + r.int(0, 3 * 365) * DAY).toISOString().slice(0, 10);
  const numbered = r.int(0, 1) === 0;
  const zone = r.pick(ZONES);
  const pattern = {
    type,
    interval: r.pick([1, 1, 2, 3, 5]),
    daysOfWeek: days,
    firstDayOfWeek: r.pick(DAYS),
    index: r.pick(INDEXES),
    month: r.int(1, 12),
    dayOfMonth: r.pick([1, 15, 28, 29, 30, 31]),
  };
  const range = numbered
    ? { type: 'numbered', startDate, numberOfOccurrences: r.pick([1, 2, 3, 7, 40, 160, 400]) }
    : {
        type: 'endDate',
        startDate,
        endDate: new Date((parseDate(startDate) as number) + r.int(0, 1200) * DAY).toISOString().slice(0, 10),
      };
  return {
    recurrence: normalizeRecurrence({ pattern, range }, zone),
    zone,
    minuteOfDay: r.int(0, 24 * 60 - 1),
    duration: r.pick([15, 60, 90, 240, 600, 26 * 60]) * 60_000,
    masterOnFirstOccurrence: r.int(0, 1) === 0,
  };
}

/** Each seed's series, its master and its last occurrence as the emulator expands them. */
function* expandedSeries(seeds: number) {
  for (let seed = 1; seed <= seeds; seed++) {
    const s = randomSeries(seed);
    const { recurrence, zone, duration } = s;
    const startDay = parseDate(recurrence.range.startDate) as number;
    const onStartDate = instantOf(startDay + s.minuteOfDay * 60_000, zone);
    const timing = { recurrence, zone, duration, seriesStart: onStartDate };
    const starts = occurrenceStarts(timing, -Infinity, Infinity);
    const first = starts[0];
    const last = starts.at(-1);
    if (first === undefined || last === undefined) continue; // a range with no occurrence
    // Graph's series master starts on the range's start date; Exchange may move it to the first occurrence.
    const masterStart = s.masterOnFirstOccurrence ? first : onStartDate;
    yield {
      ...s,
      startDay,
      first,
      lastEnd: last + duration,
      master: { start: new Date(masterStart), end: new Date(masterStart + duration) },
      context: JSON.stringify({ seed, zone, recurrence, minuteOfDay: s.minuteOfDay, duration }),
    };
  }
}

describe('series end against the Graph emulator’s expansion', () => {
  it('in its zone: never before the last occurrence ends, and at most the 3 hours’ margin after', () => {
    let checked = 0;
    for (const s of expandedSeries(2000)) {
      // The zone as the add-in sends it: the recurrence's recurrenceTimeZone.
      const bound = lastEnd({ ...s.master, timeZone: null, recurrence: s.recurrence as never }).getTime();
      expect(bound, s.context).toBeGreaterThanOrEqual(s.lastEnd);
      expect(bound - s.lastEnd, s.context).toBeLessThanOrEqual(3 * HOUR);
      // Named by the meeting's timeZone instead, the same.
      const { recurrenceTimeZone: _zone, ...range } = s.recurrence.range;
      const byMeetingZone = {
        ...s.master,
        timeZone: s.zone,
        recurrence: { ...s.recurrence, range } as never,
      };
      expect(lastEnd(byMeetingZone).getTime(), s.context).toBe(bound);
      checked++;
    }
    expect(checked).toBeGreaterThan(1600);
  });

  it('with no zone it reads: never before the last occurrence ends, and tight for numbered series', () => {
    let checked = 0;
    for (const s of expandedSeries(2000)) {
      const { recurrenceTimeZone: _zone, ...range } = s.recurrence.range;
      const times = { ...s.master, timeZone: 'Not/A_Zone', recurrence: { ...s.recurrence, range } as never };
      const bound = lastEnd(times).getTime();
      expect(bound, s.context).toBeGreaterThanOrEqual(s.lastEnd);
      if (range.type === 'numbered') {
        const firstDay = wallClock(s.first, s.zone) - (wallClock(s.first, s.zone) % DAY);
        expect(bound - s.lastEnd, s.context).toBeLessThanOrEqual(firstDay - s.startDay + 6 * HOUR);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(1600);
  });
});
