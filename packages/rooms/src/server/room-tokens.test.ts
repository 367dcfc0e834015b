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

  judge(token: string, slug: string, now: number): 'valid' | 'refused' | 'unknown' {
    const grant = this.grantFor(token, slug, now, () => true);
    return typeof grant === 'string' ? grant : 'valid';
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

  it('whose holder’s page went away are good until the grace given, unless a join hands them on first', () => {
    const tokens = new Tokens();
    const issue = () => {
      const token = tokens.issue('room-a', until, start);
      if (token === null) throw new Error('no token');
      return token;
    };
    const [reopened, reloaded, handedOn] = [issue(), issue(), issue()];
    for (const token of [reopened, reloaded]) tokens.park(token, 'p', start + MINUTE);
    expect(tokens.judge(reopened, 'room-a', start + MINUTE - 1)).toBe('valid');
    expect(tokens.judge(reopened, 'room-a', start + MINUTE)).toBe('refused');
    expect(tokens.has(reopened)).toBe(false);
    // The reload's join came in time: the new connection holds it, with no grace running.
    tokens.bind(reloaded, 'q');
    expect(tokens.judge(reloaded, 'room-a', start + 30 * MINUTE)).toBe('valid');
    // The old socket's close comes after the reload's join: the token is not its holder's any more.
    tokens.bind(handedOn, 'q');
    tokens.park(handedOn, 'p', start + MINUTE);
    expect(tokens.judge(handedOn, 'room-a', start + 30 * MINUTE)).toBe('valid');
    // Pruned once past the grace, like one past its time.
    tokens.park(reloaded, 'q', start + 31 * MINUTE);
    tokens.prune(start + 31 * MINUTE);
    expect([tokens.has(reloaded), tokens.has(handedOn)]).toEqual([false, true]);
  });
});
