import { describe, expect, it } from 'vitest';
import { occurrenceStartOn, openAt, openEdges } from './occurrences.js';

const H = 3_600_000;
const margins = { openBeforeMinutes: 10, closeAfterMinutes: 10 };
const at = (ms: number) => new Date(ms);

describe('openAt', () => {
  const series = { status: 'scheduled', validFrom: at(0), validUntil: at(10 * 24 * H) };
  const moved = {
    originalStart: at(2 * 24 * H),
    originalEnd: at(2 * 24 * H + H),
    start: at(2 * 24 * H + 5 * H),
    end: at(2 * 24 * H + 6 * H),
    cancelled: false,
  };

  it('opens a moved occurrence at its new time and closes its old one, leaving others alone', () => {
    expect(openAt(series, [moved], at(2 * 24 * H + 5 * H), margins)).toBe(true);
    expect(openAt(series, [moved], at(2 * 24 * H), margins)).toBe(false);
    expect(openAt(series, [moved], at(2 * 24 * H - 5 * 60_000), margins)).toBe(false);
    expect(openAt(series, [moved], at(3 * 24 * H), margins)).toBe(true);
  });

  it('lists every instant where the answer can change, and it is constant in between', () => {
    const overrides = [
      moved,
      { ...moved, originalStart: at(4 * 24 * H), originalEnd: at(4 * 24 * H + H), cancelled: true },
    ];
    const edges = openEdges(series, overrides, margins);
    expect(edges).toEqual([...edges].sort((a, b) => a - b));
    expect(edges).toContain(0);
    expect(edges).toContain(2 * 24 * H + 5 * H - 10 * 60_000);
    expect(edges).toContain(4 * 24 * H + H + 10 * 60_000);
    // Probed every 5 minutes across the series: the answer only ever changes at an edge.
    let previous = openAt(series, overrides, at(-5 * 60_000), margins);
    for (let ms = 0; ms <= 11 * 24 * H; ms += 5 * 60_000) {
      const now = openAt(series, overrides, at(ms), margins);
      if (now !== previous) expect(edges.filter((e) => e > ms - 5 * 60_000 && e <= ms)).not.toEqual([]);
      previous = now;
    }
  });

  it('closes a cancelled occurrence and every time of a cancelled meeting', () => {
    expect(openAt(series, [{ ...moved, cancelled: true }], at(2 * 24 * H + 5 * H), margins)).toBe(true);
    expect(openAt(series, [{ ...moved, cancelled: true }], at(2 * 24 * H), margins)).toBe(false);
    expect(openAt({ ...series, status: 'cancelled' }, [], at(H), margins)).toBe(false);
  });
});

describe('occurrenceStartOn', () => {
  it('places the date at the series start time in UTC', () => {
    const series = { start: new Date('2026-03-02T09:30:00Z'), timeZone: 'UTC', rangeStartDate: '2026-03-02' };
    expect(occurrenceStartOn(series, '2026-03-05')?.toISOString()).toBe('2026-03-05T09:30:00.000Z');
  });

  it('keeps the wall-clock time of a Windows or IANA zone across a DST change', () => {
    // 09:00 in Berlin is 08:00Z in winter and 07:00Z after 2026-03-29.
    const start = new Date('2026-03-23T08:00:00Z');
    for (const timeZone of ['W. Europe Standard Time', 'Europe/Berlin']) {
      const series = { start, timeZone, rangeStartDate: '2026-03-23' };
      expect(occurrenceStartOn(series, '2026-03-27')?.toISOString()).toBe('2026-03-27T08:00:00.000Z');
      expect(occurrenceStartOn(series, '2026-03-30')?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
    }
  });

  it('reads the date in the series zone when it differs from the UTC date', () => {
    // 00:30 in Tokyo is 15:30Z the day before.
    const series = {
      start: new Date('2026-05-31T15:30:00Z'),
      timeZone: 'Tokyo Standard Time',
      rangeStartDate: '2026-06-01',
    };
    expect(occurrenceStartOn(series, '2026-06-03')?.toISOString()).toBe('2026-06-02T15:30:00.000Z');
  });

  it('falls back to the UTC start time and the range start day shift for an unknown zone', () => {
    const series = {
      start: new Date('2026-05-31T15:30:00Z'),
      timeZone: 'tzone://Microsoft/Custom',
      rangeStartDate: '2026-06-01',
    };
    expect(occurrenceStartOn(series, '2026-06-03')?.toISOString()).toBe('2026-06-02T15:30:00.000Z');
    expect(occurrenceStartOn({ ...series, rangeStartDate: null }, '2026-06-03')?.toISOString()).toBe(
      '2026-06-03T15:30:00.000Z',
    );
  });

  it('answers undefined for a malformed date', () => {
    const series = { start: new Date('2026-03-02T09:30:00Z'), timeZone: 'UTC', rangeStartDate: null };
    expect(occurrenceStartOn(series, '2026-02-30')).toBeUndefined();
    expect(occurrenceStartOn(series, 'tomorrow')).toBeUndefined();
  });
});
