import { describe, expect, it } from 'vitest';
import type { CalendarItem } from './calendar-item.js';
import { seriesOverrides } from './sync-service.js';

const H = 3_600_000;
const DAY = 24 * H;
const first = new Date('2026-03-02T09:00:00Z');
const nth = (n: number) => new Date(first.getTime() + n * DAY);

function item(overrides: Partial<CalendarItem>): CalendarItem {
  return {
    id: 'master',
    type: 'seriesMaster',
    subject: 'Stand-up',
    start: first,
    end: new Date(first.getTime() + H / 2),
    isCancelled: false,
    lastModified: '2026-03-01T00:00:00.000Z',
    changeKey: 'ck',
    seriesMasterId: null,
    originalStart: null,
    recurrence: {
      pattern: { type: 'daily', interval: 1 },
      range: { type: 'numbered', startDate: '2026-03-02', numberOfOccurrences: 5, recurrenceTimeZone: 'UTC' },
    },
    seriesTimeZone: 'UTC',
    cancelledOccurrenceDates: [],
    customMeetingId: null,
    body: null,
    ...overrides,
  };
}

const occurrence = (n: number, start = nth(n)): CalendarItem =>
  item({
    id: `occ-${n}`,
    type: start.getTime() === nth(n).getTime() ? 'occurrence' : 'exception',
    start,
    end: new Date(start.getTime() + H / 2),
    seriesMasterId: 'master',
    originalStart: nth(n),
    recurrence: null,
    seriesTimeZone: null,
  });

const summary = (master: CalendarItem, instances: CalendarItem[]) =>
  seriesOverrides(master, instances)
    .map((o) => ({
      originalStart: o.originalStart.toISOString(),
      originalEnd: o.originalEnd.toISOString(),
      start: o.start.toISOString(),
      cancelled: o.cancelled,
    }))
    .sort((a, b) => a.originalStart.localeCompare(b.originalStart));

describe('seriesOverrides', () => {
  it('turns cancelledOccurrences dates into cancelled overrides at the series time', () => {
    const master = item({ cancelledOccurrenceDates: ['2026-03-04'] });
    expect(summary(master, [occurrence(0), occurrence(1), occurrence(3), occurrence(4)])).toEqual([
      {
        originalStart: '2026-03-04T09:00:00.000Z',
        originalEnd: '2026-03-04T09:30:00.000Z',
        start: '2026-03-04T09:00:00.000Z',
        cancelled: true,
      },
    ]);
  });

  it('keeps moved exceptions as they were, next to cancelled occurrences', () => {
    const moved = new Date(nth(1).getTime() + 5 * H);
    const master = item({ cancelledOccurrenceDates: ['2026-03-04'] });
    expect(summary(master, [occurrence(0), occurrence(1, moved), occurrence(3)])).toEqual([
      {
        originalStart: '2026-03-03T09:00:00.000Z',
        originalEnd: '2026-03-03T09:30:00.000Z',
        start: '2026-03-03T14:00:00.000Z',
        cancelled: false,
      },
      {
        originalStart: '2026-03-04T09:00:00.000Z',
        originalEnd: '2026-03-04T09:30:00.000Z',
        start: '2026-03-04T09:00:00.000Z',
        cancelled: true,
      },
    ]);
  });

  it('never marks an occurrence that is an instance (moved or re-instated) as cancelled', () => {
    const moved = new Date(nth(2).getTime() + 2 * H);
    const master = item({ cancelledOccurrenceDates: ['2026-03-03', '2026-03-04', '2026-03-04'] });
    expect(summary(master, [occurrence(1), occurrence(2, moved)])).toEqual([
      {
        originalStart: '2026-03-04T09:00:00.000Z',
        originalEnd: '2026-03-04T09:30:00.000Z',
        start: '2026-03-04T11:00:00.000Z',
        cancelled: false,
      },
    ]);
  });

  it('places cancelled occurrences in the series zone across DST', () => {
    // 10:00 Berlin: 09:00Z before 2026-03-29, 08:00Z after.
    const master = item({
      seriesTimeZone: 'W. Europe Standard Time',
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
        range: { type: 'noEnd', startDate: '2026-03-02', recurrenceTimeZone: 'W. Europe Standard Time' },
      },
      cancelledOccurrenceDates: ['2026-03-23', '2026-03-30'],
    });
    expect(summary(master, []).map((o) => o.originalStart)).toEqual([
      '2026-03-23T09:00:00.000Z',
      '2026-03-30T08:00:00.000Z',
    ]);
  });

  it('changes nothing for a series without cancelled or moved occurrences', () => {
    expect(seriesOverrides(item({}), [occurrence(0), occurrence(1)])).toEqual([]);
  });
});
