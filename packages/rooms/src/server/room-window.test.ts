import { describe, expect, it } from 'vitest';
import { roomTiming, SEARCH_HORIZON_MS } from './room-window.js';

const room = {
  status: 'scheduled' as const,
  startsAt: new Date('2030-01-01T10:00:00Z'),
  endsAt: new Date('2030-01-01T11:00:00Z'),
};
const policy = { openBeforeMinutes: 15, closeAfterMinutes: 30 };
const at = (iso: string) => roomTiming(room, new Date(iso), policy).state;

describe('roomTiming', () => {
  it('opens openBeforeMinutes before the start and closes closeAfterMinutes after the end', () => {
    expect(at('2030-01-01T09:44:59.999Z')).toBe('not_yet_open');
    expect(at('2030-01-01T09:45:00Z')).toBe('open');
    expect(at('2030-01-01T11:29:59.999Z')).toBe('open');
    expect(at('2030-01-01T11:30:00Z')).toBe('closed');
  });

  it('reports the window', () => {
    const timing = roomTiming(room, new Date('2030-01-01T08:00:00Z'), policy);
    expect(timing.opensAt?.toISOString()).toBe('2030-01-01T09:45:00.000Z');
    expect(timing.closesAt.toISOString()).toBe('2030-01-01T11:30:00.000Z');
  });

  it('a cancelled room is cancelled whatever the time', () => {
    const cancelled = { ...room, status: 'cancelled' as const };
    expect(roomTiming(cancelled, new Date('2030-01-01T10:30:00Z'), policy).state).toBe('cancelled');
  });

  it('lets an occurrence-aware predicate decide for series with moved occurrences', () => {
    // The 10:00 occurrence moved to 14:00: closed at its old time, open at its new one.
    const moved = {
      ...room,
      endsAt: new Date('2030-01-05T11:00:00Z'),
      isOpenAt: (t: Date) => t >= new Date('2030-01-01T13:45:00Z') && t < new Date('2030-01-01T15:30:00Z'),
    };
    expect(roomTiming(moved, new Date('2030-01-01T10:30:00Z'), policy).state).toBe('not_yet_open');
    expect(roomTiming(moved, new Date('2030-01-01T14:30:00Z'), policy).state).toBe('open');
    expect(roomTiming(moved, new Date('2030-01-06T09:00:00Z'), policy).state).toBe('closed');
    expect(
      roomTiming({ ...moved, status: 'cancelled' }, new Date('2030-01-01T14:30:00Z'), policy).state,
    ).toBe('cancelled');
  });

  it('keeps a room open until a moved last occurrence ends, past the series end', () => {
    // The last occurrence (by the rule, ending 2030-01-05 11:00) moved to 2030-01-08 10:00-11:00.
    const movedLast = {
      ...room,
      endsAt: new Date('2030-01-05T11:00:00Z'),
      isOpenAt: (t: Date) =>
        (t >= new Date('2030-01-01T09:45:00Z') && t < new Date('2030-01-05T11:30:00Z')) ||
        (t >= new Date('2030-01-08T09:45:00Z') && t < new Date('2030-01-08T11:30:00Z')),
    };
    const during = roomTiming(movedLast, new Date('2030-01-08T10:05:00Z'), policy);
    expect(during.state).toBe('open');
    expect(during.closesAt.toISOString()).toBe('2030-01-08T11:30:00.000Z');
    // An ordinary occurrence closes with the series, as before.
    const before = roomTiming(movedLast, new Date('2030-01-02T10:05:00Z'), policy);
    expect(before.closesAt.toISOString()).toBe('2030-01-05T11:30:00.000Z');
    // Between the series end and the moved occurrence: not open yet, and when it opens.
    const between = roomTiming(movedLast, new Date('2030-01-06T10:00:00Z'), policy);
    expect(between.state).toBe('not_yet_open');
    expect(between.opensAt?.toISOString()).toBe('2030-01-08T09:45:00.000Z');
  });

  it("gives a cancelled occurrence's room the real next opening, not the series' first", () => {
    // The 2030-01-03 10:00-11:00 occurrence was cancelled: closed from 09:45 to 11:30 that day.
    const cancelled = {
      ...room,
      endsAt: new Date('2030-01-05T11:00:00Z'),
      isOpenAt: (t: Date) =>
        t >= new Date('2030-01-01T09:45:00Z') &&
        t < new Date('2030-01-05T11:30:00Z') &&
        !(t >= new Date('2030-01-03T09:45:00Z') && t < new Date('2030-01-03T11:30:00Z')),
    };
    const timing = roomTiming(cancelled, new Date('2030-01-03T10:00:00Z'), policy);
    expect(timing.state).toBe('not_yet_open');
    expect(timing.opensAt?.toISOString()).toBe('2030-01-03T11:30:00.000Z');
  });

  it('reports no opening time when nothing opens within the search horizon', () => {
    const never = { ...room, endsAt: new Date('2030-03-01T11:00:00Z'), isOpenAt: () => false };
    const timing = roomTiming(never, new Date('2030-01-03T10:00:00Z'), policy);
    expect(timing).toMatchObject({ state: 'not_yet_open', opensAt: null });
    expect(roomTiming(never, new Date('2030-04-01T10:00:00Z'), policy).state).toBe('closed');
  });

  it('gives a series that starts beyond the search horizon its first opening, moved occurrences or not', () => {
    // Weekly from 2030-01-15, one occurrence (2030-01-22) cancelled; asked two weeks before the start.
    const later = {
      ...room,
      startsAt: new Date('2030-01-15T10:00:00Z'),
      endsAt: new Date('2030-03-01T11:00:00Z'),
      isOpenAt: (t: Date) =>
        t >= new Date('2030-01-15T09:45:00Z') &&
        t < new Date('2030-03-01T11:30:00Z') &&
        !(t >= new Date('2030-01-22T09:45:00Z') && t < new Date('2030-01-22T11:30:00Z')),
    };
    const timing = roomTiming(later, new Date('2030-01-01T10:00:00Z'), policy);
    expect(timing).toMatchObject({ state: 'not_yet_open' });
    expect(timing.opensAt?.toISOString()).toBe('2030-01-15T09:45:00.000Z');
  });

  it("with the directory's edges, asks the predicate at the edges only, however far the opening", () => {
    // A daily series with 200 cancelled occurrences, asked three days before it starts: a search
    // minute by minute would ask the predicate over 4,000 times.
    const day = 86_400_000;
    const first = Date.parse('2030-01-04T09:45:00Z');
    const cancelled = Array.from({ length: 200 }, (_, i) => first + (i + 1) * day);
    let asked = 0;
    const isOpenAt = (t: Date) => {
      asked += 1;
      const ms = t.getTime();
      return (
        ms >= first && ms < first + 400 * day && !cancelled.some((c) => ms >= c && ms < c + 105 * 60_000)
      );
    };
    const edges = [first, first + 400 * day, ...cancelled, ...cancelled.map((c) => c + 105 * 60_000)].sort(
      (a, b) => a - b,
    );
    const series = {
      ...room,
      startsAt: new Date(first + 15 * 60_000),
      endsAt: new Date(first + 400 * day),
      isOpenAt,
      openEdges: edges,
    };
    const timing = roomTiming(series, new Date(first - 3 * day), policy);
    expect(timing.state).toBe('not_yet_open');
    expect(timing.opensAt?.getTime()).toBe(first);
    expect(asked).toBeLessThan(10);
  });

  describe('with nextOpenChange (a series, occurrence by occurrence)', () => {
    // Weekly on Tuesdays 10:00–11:00 from 2030-01-01, 4 occurrences; the 2030-01-15 one cancelled.
    const windows = ['2030-01-01', '2030-01-08', '2030-01-22'].map((d) => ({
      open: Date.parse(`${d}T09:45:00Z`),
      close: Date.parse(`${d}T11:30:00Z`),
    }));
    let asked = 0;
    const isOpenAt = (t: Date) => {
      asked += 1;
      return windows.some((w) => w.open <= t.getTime() && t.getTime() < w.close);
    };
    const nextOpenChange = (from: number, wanted: boolean) =>
      wanted
        ? (windows.find((w) => w.open > from)?.open ?? null)
        : windows.find((w) => w.open <= from && from < w.close)?.close;
    const series = { ...room, endsAt: new Date('2030-01-22T11:00:00Z'), isOpenAt, nextOpenChange };

    it('closes an open room with its occurrence, not with the series', () => {
      const timing = roomTiming(series, new Date('2030-01-01T10:30:00Z'), policy);
      expect(timing.state).toBe('open');
      expect(timing.closesAt.toISOString()).toBe('2030-01-01T11:30:00.000Z');
    });

    it('between occurrences, is not open yet and opens with the next one that takes place', () => {
      asked = 0;
      for (const at of ['2030-01-03T10:00:00Z', '2030-01-15T10:30:00Z', '2030-01-15T11:45:00Z']) {
        const timing = roomTiming(series, new Date(at), policy);
        expect(timing.state, at).toBe('not_yet_open');
        expect(timing.opensAt?.toISOString(), at).toBe(
          at < '2030-01-08' ? '2030-01-08T09:45:00.000Z' : '2030-01-22T09:45:00.000Z',
        );
      }
      // No minute-by-minute search: the schedule says when.
      expect(asked).toBe(3);
    });

    it('after the last occurrence, is closed, though the series window is a bound that ends later', () => {
      const timing = roomTiming(
        { ...series, endsAt: new Date('2030-01-22T14:00:00Z') },
        new Date('2030-01-22T11:30:00Z'),
        policy,
      );
      expect(timing).toMatchObject({ state: 'closed', opensAt: null });
    });

    it('when its bounded search finds no change: open as far as the search horizon, or no opening time', () => {
      const unknown = {
        isOpenAt: (t: Date) => t.getTime() < Date.parse('2030-01-01T11:30:00Z'),
        nextOpenChange: () => undefined,
      };
      const open = roomTiming({ ...series, ...unknown }, new Date('2030-01-01T10:00:00Z'), policy);
      expect(open.closesAt.getTime()).toBe(Date.parse('2030-01-01T10:00:00Z') + SEARCH_HORIZON_MS);
      const closed = roomTiming({ ...series, ...unknown }, new Date('2030-01-03T10:00:00Z'), policy);
      expect(closed).toMatchObject({ state: 'not_yet_open', opensAt: null });
    });
  });
});
