import { describe, expect, it } from 'vitest';
import type { CalendarItem } from '../domain/sync/calendar-item.js';
import { type RoundEvidence, seriesLeftCalendar, singleLeftCalendar } from './calendar-departure.js';

const at = (iso: string) => new Date(iso);

function item(id: string, start: string, end: string, extra: Partial<CalendarItem> = {}): CalendarItem {
  return {
    id,
    type: 'singleInstance',
    subject: 's',
    start: at(start),
    end: at(end),
    isCancelled: false,
    lastModified: '2026-12-01T08:00:00Z',
    changeKey: 'k',
    seriesMasterId: null,
    originalStart: null,
    recurrence: null,
    seriesTimeZone: null,
    cancelledOccurrenceDates: [],
    customMeetingId: null,
    body: null,
    ...extra,
  };
}

const window = { start: at('2026-12-01T00:00:00Z'), end: at('2026-12-31T00:00:00Z') };
const round = (over: Partial<RoundEvidence> = {}): RoundEvidence => ({
  window,
  startedAt: at('2026-12-01T09:00:00Z'),
  removed: new Set(),
  full: false,
  ...over,
});
const inside = item('e1', '2026-12-02T10:00:00Z', '2026-12-02T11:00:00Z');

describe('singleLeftCalendar', () => {
  it('takes an incremental removal of an event inside the window as leaving the calendar', () => {
    expect(singleLeftCalendar(inside, round({ removed: new Set(['e1']) }), true)).toBe(true);
    expect(singleLeftCalendar(inside, round(), false)).toBe(false);
  });

  it('asks about any event an incremental round reports removed, inside the window or not', () => {
    // A move out of the window is reported so too: the calendar view over its own time tells.
    const later = item('e1', '2027-06-02T10:00:00Z', '2027-06-02T11:00:00Z');
    expect(singleLeftCalendar(later, round({ removed: new Set(['e1']) }), true)).toBe(true);
  });

  it('in a full round, does not ask about an unlisted event outside the window', () => {
    const later = item('e1', '2027-06-02T10:00:00Z', '2027-06-02T11:00:00Z');
    expect(singleLeftCalendar(later, round({ full: true }), false)).toBe(false);
  });

  it('in a full round, takes an unlisted event inside the window as gone, a listed one as there', () => {
    expect(singleLeftCalendar(inside, round({ full: true }), false)).toBe(true);
    expect(singleLeftCalendar(inside, round({ full: true }), true)).toBe(false);
  });

  it('proves nothing from an event changed since the round began, or cancelled', () => {
    const restored = item('e1', '2026-12-02T10:00:00Z', '2026-12-02T11:00:00Z', {
      lastModified: '2026-12-01T09:00:00Z',
    });
    expect(singleLeftCalendar(restored, round({ full: true }), false)).toBe(false);
    const cancelled = item('e1', '2026-12-02T10:00:00Z', '2026-12-02T11:00:00Z', { isCancelled: true });
    expect(singleLeftCalendar(cancelled, round({ full: true }), false)).toBe(false);
    const unknownTime = item('e1', '2026-12-02T10:00:00Z', '2026-12-02T11:00:00Z', { lastModified: '' });
    expect(singleLeftCalendar(unknownTime, round({ full: true }), false)).toBe(false);
  });
});

describe('seriesLeftCalendar', () => {
  const master = item('m', '2026-11-20T10:00:00Z', '2026-11-20T11:00:00Z', { type: 'seriesMaster' });
  const occurrence = (id: string, day: string) =>
    item(id, `${day}T10:00:00Z`, `${day}T11:00:00Z`, { type: 'occurrence', seriesMasterId: 'm' });
  const instances = [occurrence('o1', '2026-12-02'), occurrence('o2', '2026-12-03')];

  it('takes a removal of occurrences the series still has, inside the window, as the series leaving', () => {
    expect(seriesLeftCalendar(master, instances, round({ removed: new Set(['o2']) }), true)).toBe(true);
    // A deleted occurrence is no longer among the instances: only that occurrence left.
    expect(seriesLeftCalendar(master, instances, round({ removed: new Set(['o9']) }), true)).toBe(false);
  });

  it('asks about a series whose master an incremental round reports removed', () => {
    expect(seriesLeftCalendar(master, instances, round({ removed: new Set(['m']) }), true)).toBe(true);
  });

  it('in a full round, takes an unlisted series with occurrences inside the window as gone', () => {
    expect(seriesLeftCalendar(master, instances, round({ full: true }), false)).toBe(true);
    expect(seriesLeftCalendar(master, instances, round({ full: true }), true)).toBe(false);
    expect(seriesLeftCalendar(master, [], round({ full: true }), false)).toBe(false);
  });
});
