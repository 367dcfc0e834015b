import { describe, expect, it } from 'vitest';
import { type RoomGrant, RoomTokens } from './room-tokens.js';

const start = Date.UTC(2025, 0, 6, 9, 0);
const MINUTE = 60_000;
const until = start + 60 * MINUTE;

/** Tokens with nothing of their own: only the shared mechanics. */
class Tokens extends RoomTokens<RoomGrant> {
  issue(slug: string, closesAt: number, now: number): string | null {
    return this.add({ slug, meetingId: `meeting-${slug}`, until: closesAt, participant: 'p' }, now);
  }
}

describe('RoomTokens', () => {
  it('at capacity, still make a room at its own limit a new one, in place of that room’s oldest', () => {
    const tokens = new Tokens(3, 2);
    const other = tokens.issue('room-b', until, start) as string;
    const [oldest, newer] = [1, 2].map(() => tokens.issue('room-a', until, start) as string);
    expect(tokens.issue('room-c', until, start)).toBeNull();
    expect(tokens.issue('room-a', until, start)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect([oldest, newer, other].map((t) => tokens.has(t as string))).toEqual([false, true, true]);
    expect(tokens.size).toBe(3);
  });

  it('prune by the closing time as last renewed, and take an unreadable one as past', () => {
    const tokens = new Tokens();
    const renewed = tokens.issue('room-a', until, start) as string;
    const unreadable = tokens.issue('room-a', Number.NaN, start) as string;
    tokens.renew(renewed, until + 30 * MINUTE);
    tokens.prune(until);
    expect([tokens.has(renewed), tokens.has(unreadable)]).toEqual([true, false]);
    tokens.prune(until + 30 * MINUTE);
    expect(tokens.size).toBe(0);
  });
});
