import { describe, expect, it } from 'vitest';
import { roomTiming } from './room-window.js';

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
    expect(timing.opensAt.toISOString()).toBe('2030-01-01T09:45:00.000Z');
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
});
