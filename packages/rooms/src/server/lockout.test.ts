import { describe, expect, it } from 'vitest';
import { AttemptLimiter, clientKey, PinGuard } from './lockout.js';

const MINUTE = 60_000;

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('AttemptLimiter', () => {
  it('locks a key after `limit` failures, for the lockout period', () => {
    const c = clock();
    const limiter = new AttemptLimiter(3, 15 * MINUTE, c.now);
    expect(limiter.fail('k')).toEqual({ locked: false, remainingAttempts: 2 });
    expect(limiter.fail('k')).toEqual({ locked: false, remainingAttempts: 1 });
    expect(limiter.fail('k')).toEqual({ locked: true, retryAfterMs: 15 * MINUTE });
    c.advance(14 * MINUTE);
    expect(limiter.state('k')).toEqual({ locked: true, retryAfterMs: MINUTE });
    expect(limiter.fail('k')).toEqual({ locked: true, retryAfterMs: MINUTE });
    c.advance(MINUTE);
    expect(limiter.state('k')).toEqual({ locked: false });
    expect(limiter.fail('k')).toEqual({ locked: false, remainingAttempts: 2 });
  });

  it('forgets failures older than the window', () => {
    const c = clock();
    const limiter = new AttemptLimiter(3, 15 * MINUTE, c.now);
    limiter.fail('k');
    limiter.fail('k');
    c.advance(15 * MINUTE);
    expect(limiter.fail('k')).toEqual({ locked: false, remainingAttempts: 2 });
  });

  it('keeps keys apart and can be reset', () => {
    const c = clock();
    const limiter = new AttemptLimiter(2, MINUTE, c.now);
    limiter.fail('a');
    expect(limiter.fail('b')).toEqual({ locked: false, remainingAttempts: 1 });
    limiter.reset('a');
    expect(limiter.fail('a')).toEqual({ locked: false, remainingAttempts: 1 });
  });

  it('stays bounded in memory', () => {
    const c = clock();
    const limiter = new AttemptLimiter(5, MINUTE, c.now, 100);
    for (let i = 0; i < 1000; i++) limiter.fail(`client-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });
});

describe('PinGuard', () => {
  const policy = { attempts: 3, roomAttempts: 5, lockoutMs: 15 * MINUTE };

  it('locks one client out of one room, not the room and not the client elsewhere', () => {
    const guard = new PinGuard(policy, clock().now);
    guard.fail('room-1', '203.0.113.7');
    guard.fail('room-1', '203.0.113.7');
    expect(guard.fail('room-1', '203.0.113.7')).toMatchObject({ locked: true });
    expect(guard.state('room-1', '203.0.113.7').locked).toBe(true);
    expect(guard.state('room-1', '198.51.100.1').locked).toBe(false);
    expect(guard.state('room-2', '203.0.113.7').locked).toBe(false);
  });

  it('locks the whole room after roomAttempts failures from many clients', () => {
    const guard = new PinGuard(policy, clock().now);
    for (let i = 0; i < 4; i++) expect(guard.fail('room-1', `198.51.100.${i}`).locked).toBe(false);
    expect(guard.fail('room-1', '198.51.100.99')).toMatchObject({ locked: true });
    expect(guard.state('room-1', '192.0.2.50').locked).toBe(true);
    expect(guard.state('room-2', '192.0.2.50').locked).toBe(false);
  });

  it('reports the smaller remaining budget and clears a client after a right host PIN', () => {
    const guard = new PinGuard(policy, clock().now);
    expect(guard.fail('room-1', 'a')).toEqual({ locked: false, remainingAttempts: 2 });
    guard.succeed('room-1', 'a', 'host');
    expect(guard.fail('room-1', 'a')).toEqual({ locked: false, remainingAttempts: 2 });
    // The room's own count is not cleared by a success: 2 of 5 used, 3 left.
    guard.fail('room-1', 'b');
    expect(guard.fail('room-1', 'b')).toEqual({ locked: false, remainingAttempts: 1 });
  });

  it('does not clear a client after a right guest PIN: its guesses at the host PIN keep counting', () => {
    const guard = new PinGuard(policy, clock().now);
    // Wrong, wrong, a guest join, wrong: the third wrong PIN locks, as if there had been no join.
    guard.fail('room-1', 'a');
    guard.fail('room-1', 'a');
    guard.succeed('room-1', 'a', 'guest');
    expect(guard.fail('room-1', 'a')).toMatchObject({ locked: true });
    guard.succeed('room-1', 'a', 'guest');
    expect(guard.state('room-1', 'a').locked).toBe(true);
  });
});

describe('clientKey', () => {
  it('counts an IPv6 /64 as one client and mapped IPv4 as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});
