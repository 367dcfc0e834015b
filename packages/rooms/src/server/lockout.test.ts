import { describe, expect, it } from 'vitest';
import type { Role } from '../shared/protocol.js';
import {
  AttemptLimiter,
  clientKey,
  type FailureOutcome,
  lockoutLengths,
  MemoryPinFailureLedger,
  PinGuard,
  type PinTry,
  type RoomPinRecord,
  refundRoomTry,
  roomPinRecordSpent,
  takeRoomTry,
} from './lockout.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

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

/** What the hub does with one PIN (hub.ts #roleByPin): a try from the room, then the client's check. */
async function guess(guard: PinGuard, room: string, client: string, right?: Role): Promise<FailureOutcome> {
  const tried = await guard.take(room, `meeting-of-${room}`);
  if (!tried.taken) return { locked: true, retryAfterMs: 'retryAfterMs' in tried ? tried.retryAfterMs : 0 };
  const mine = guard.clientState(room, client);
  if (mine.locked) {
    await guard.settle(tried);
    return mine;
  }
  if (!right) return guard.fail(room, client, tried);
  await guard.succeed(room, client, right, tried);
  return { locked: false, remainingAttempts: Number.NaN };
}

describe('PinGuard', () => {
  const policy = { attempts: 3, roomAttempts: 5, lockoutMs: 15 * MINUTE };

  it('locks one client out of one room, not the room and not the client elsewhere', async () => {
    const guard = new PinGuard(policy, clock().now);
    await guess(guard, 'room-1', '203.0.113.7');
    await guess(guard, 'room-1', '203.0.113.7');
    expect(await guess(guard, 'room-1', '203.0.113.7')).toMatchObject({ locked: true });
    expect(guard.state('room-1', '203.0.113.7').locked).toBe(true);
    expect(guard.state('room-1', '198.51.100.1').locked).toBe(false);
    expect(guard.state('room-2', '203.0.113.7').locked).toBe(false);
  });

  it('locks the whole room after roomAttempts failures from many clients', async () => {
    const guard = new PinGuard(policy, clock().now);
    for (let i = 0; i < 4; i++) expect((await guess(guard, 'room-1', `198.51.100.${i}`)).locked).toBe(false);
    expect(await guess(guard, 'room-1', '198.51.100.99')).toMatchObject({ locked: true });
    expect(guard.state('room-1', '192.0.2.50').locked).toBe(true);
    expect(guard.state('room-2', '192.0.2.50').locked).toBe(false);
  });

  it('reports the smaller remaining budget and clears a client after a right host PIN', async () => {
    const guard = new PinGuard(policy, clock().now);
    expect(await guess(guard, 'room-1', 'a')).toEqual({ locked: false, remainingAttempts: 2 });
    await guess(guard, 'room-1', 'a', 'host');
    expect(await guess(guard, 'room-1', 'a')).toEqual({ locked: false, remainingAttempts: 2 });
    // The room's own count is not cleared by a success: 2 of 5 used, 3 left.
    await guess(guard, 'room-1', 'b');
    expect(await guess(guard, 'room-1', 'b')).toEqual({ locked: false, remainingAttempts: 1 });
  });

  it('does not clear a client after a right guest PIN: its guesses at the host PIN keep counting', async () => {
    const guard = new PinGuard(policy, clock().now);
    // Wrong, wrong, a guest join, wrong: the third wrong PIN locks, as if there had been no join.
    await guess(guard, 'room-1', 'a');
    await guess(guard, 'room-1', 'a');
    await guess(guard, 'room-1', 'a', 'guest');
    expect(await guess(guard, 'room-1', 'a')).toMatchObject({ locked: true });
    await guess(guard, 'room-1', 'a', 'guest');
    expect(guard.state('room-1', 'a').locked).toBe(true);
  });

  it('counts a PIN before it is checked and gives the try back when it was right or never checked', async () => {
    const ledger = new MemoryPinFailureLedger();
    const guard = new PinGuard({ attempts: 5, roomAttempts: 3, lockoutMs: 15 * MINUTE }, clock().now, ledger);
    const first = await guard.take('room-1', 'm1');
    const second = await guard.take('room-1', 'm1');
    expect([first, second]).toMatchObject([{ remaining: 2 }, { remaining: 1 }]);
    // The first was the host PIN; the second never checked (its socket went away): both come back.
    await guard.succeed('room-1', 'a', 'host', first as PinTry);
    await guard.settle(second);
    // Given back once only.
    await guard.settle(first);
    await guard.settle(second);
    expect(await guard.take('room-1', 'm1')).toMatchObject({ taken: true, remaining: 2 });
  });

  it('turns a client away before the ledger is asked once the ledger said the room is locked', async () => {
    const c = clock();
    const ledger = new MemoryPinFailureLedger();
    const guard = new PinGuard({ attempts: 5, roomAttempts: 2, lockoutMs: 15 * MINUTE }, c.now, ledger);
    expect(guard.state('room-1', 'a').locked).toBe(false);
    await guess(guard, 'room-1', 'a');
    expect(await guess(guard, 'room-1', 'b')).toEqual({ locked: true, retryAfterMs: 15 * MINUTE });
    c.advance(5 * MINUTE);
    // Any client, before any lookup.
    expect(guard.state('room-1', 'c')).toEqual({ locked: true, retryAfterMs: 10 * MINUTE });
    c.advance(10 * MINUTE);
    expect(guard.state('room-1', 'c')).toEqual({ locked: false });
  });

  it('shares one budget between guards on one ledger (processes on one database), and after a restart', async () => {
    const c = clock();
    const ledger = new MemoryPinFailureLedger();
    const policy = { attempts: 5, roomAttempts: 4, lockoutMs: 15 * MINUTE };
    const one = new PinGuard(policy, c.now, ledger);
    const two = new PinGuard(policy, c.now, ledger);
    expect(await guess(one, 'room-1', 'a')).toEqual({ locked: false, remainingAttempts: 3 });
    expect(await guess(two, 'room-1', 'b')).toEqual({ locked: false, remainingAttempts: 2 });
    expect(await guess(one, 'room-1', 'c')).toEqual({ locked: false, remainingAttempts: 1 });
    expect(await guess(two, 'room-1', 'd')).toEqual({ locked: true, retryAfterMs: 15 * MINUTE });
    // The other guard had not heard of the lockout: the ledger tells it, and the PIN is not checked.
    expect(one.state('room-1', 'e').locked).toBe(false);
    expect(await one.take('room-1', 'meeting-of-room-1')).toEqual({
      taken: false,
      retryAfterMs: 15 * MINUTE,
    });
    // A new guard (a restart) on the same ledger.
    c.advance(MINUTE);
    const restarted = new PinGuard(policy, c.now, ledger);
    expect(await guess(restarted, 'room-1', 'f')).toEqual({ locked: true, retryAfterMs: 14 * MINUTE });
  });

  it('says a meeting the ledger does not know is gone', async () => {
    const ledger = { take: async () => null, refund: async () => undefined };
    const guard = new PinGuard(policy, clock().now, ledger);
    expect(await guard.take('room-1', 'deleted')).toEqual({ taken: false, gone: true });
  });
});

describe('room lockouts in a row', () => {
  const room = { attempts: 50, lockoutMs: 15 * MINUTE, maxLockoutMs: DAY, memoryMs: DAY };

  /** Tries until the room locks, from `record` at `now`: how many, and the lockout. */
  function exhaust(record: RoomPinRecord | undefined, now: number) {
    let current = record;
    for (let tries = 1; ; tries++) {
      const { record: next, take } = takeRoomTry(current, now, room);
      current = next;
      if (!take.taken) throw new Error('locked already');
      if (take.lockedForMs > 0) return { record: current, tries, lockedForMs: take.lockedForMs };
    }
  }

  it('lasts 15, 30, 60 … minutes, each twice the one before, at most a day', () => {
    expect(lockoutLengths(room).map((ms) => ms / MINUTE)).toEqual([15, 30, 60, 120, 240, 480, 960, 1440]);
    let now = 0;
    let record: RoomPinRecord | undefined;
    const lengths: number[] = [];
    for (let i = 0; i < 10; i++) {
      const locked = exhaust(record, now);
      expect(locked.tries).toBe(50);
      lengths.push(locked.lockedForMs / MINUTE);
      record = locked.record;
      // While locked, a try is refused and changes nothing.
      const during = takeRoomTry(record, now + locked.lockedForMs - 1, room);
      expect(during).toEqual({ record, take: { taken: false, retryAfterMs: 1 } });
      now += locked.lockedForMs;
    }
    expect(lengths).toEqual([15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440]);
  });

  it('starts again from 15 minutes once a day has passed without a lockout since the last one ended', () => {
    const first = exhaust(undefined, 0);
    const second = exhaust(first.record, 15 * MINUTE + 23 * 60 * MINUTE);
    expect(second.lockedForMs).toBe(30 * MINUTE);
    const end = 15 * MINUTE + 23 * 60 * MINUTE + 30 * MINUTE;
    expect(exhaust(second.record, end + DAY - 1).lockedForMs).toBe(60 * MINUTE);
    expect(exhaust(second.record, end + DAY).lockedForMs).toBe(15 * MINUTE);
  });

  it('counts tries for a day, so a guesser who keeps under the budget per 15 minutes is locked out too', () => {
    let record: RoomPinRecord | undefined;
    let now = 0;
    // 49 tries every 15 minutes: today's counter forgot them; this one locks on the 50th.
    const first = takeRoomTry(record, now, room);
    record = first.record;
    for (let i = 1; i < 50; i++) {
      now += MINUTE;
      const step = takeRoomTry(record, now, room);
      record = step.record;
      if (i < 49) expect(step.take).toEqual({ taken: true, remaining: 50 - i - 1, lockedForMs: 0 });
      else expect(step.take).toEqual({ taken: true, remaining: 0, lockedForMs: 15 * MINUTE });
    }
    // Tries older than a day no longer count.
    const fresh = exhaust(undefined, 0).record;
    const { record: one } = takeRoomTry({ ...fresh, lockedUntil: null, lockouts: 0 }, 0, room);
    expect(takeRoomTry(one, DAY, room).take).toEqual({ taken: true, remaining: 49, lockedForMs: 0 });
  });

  it('lets a room hear at most 350 PINs in its first day and 50 a day after that, however fast they come', () => {
    // The fastest guesser: every try as soon as the room takes one again.
    let record: RoomPinRecord | undefined;
    let now = 0;
    const checked: number[] = [];
    while (now < 7 * DAY) {
      const locked = exhaust(record, now);
      checked.push(now);
      record = locked.record;
      now += locked.lockedForMs;
    }
    const inDay = (from: number) => checked.filter((t) => t >= from && t < from + DAY).length * 50;
    expect(inDay(0)).toBe(350);
    for (let day = 2; day < 7; day++) expect(inDay(day * DAY)).toBeLessThanOrEqual(50);
    // No 24 hours anywhere hear more than the first day.
    expect(Math.max(...checked.map((t) => inDay(t)))).toBe(350);
  });

  it('gives back a try without undoing the lockout it started', async () => {
    const ledger = new MemoryPinFailureLedger();
    const tiny = { ...room, attempts: 2 };
    expect(await ledger.take('m', 0, tiny)).toEqual({ taken: true, remaining: 1, lockedForMs: 0 });
    await ledger.refund('m', 0, tiny);
    expect(await ledger.take('m', 0, tiny)).toEqual({ taken: true, remaining: 1, lockedForMs: 0 });
    expect(await ledger.take('m', 0, tiny)).toEqual({ taken: true, remaining: 0, lockedForMs: 15 * MINUTE });
    await ledger.refund('m', 0, tiny);
    expect(await ledger.take('m', MINUTE, tiny)).toEqual({ taken: false, retryAfterMs: 14 * MINUTE });
  });

  it('keeps no record of a right PIN: its try given back, nothing says when it was given', async () => {
    const ledger = new MemoryPinFailureLedger();
    expect(await ledger.take('m', 5 * MINUTE, room)).toMatchObject({ taken: true, remaining: 49 });
    await ledger.refund('m', 5 * MINUTE, room);
    expect(ledger.record('m')).toBeUndefined();
    expect(ledger.size).toBe(0);
    // A wrong PIN, then a right one: the wrong one's count stays, from the wrong one's time.
    await ledger.take('m', 10 * MINUTE, room);
    await ledger.take('m', 11 * MINUTE, room);
    await ledger.refund('m', 11 * MINUTE, room);
    expect(ledger.record('m')).toEqual({
      failures: 1,
      countStartedAt: 10 * MINUTE,
      lockouts: 0,
      lockedUntil: null,
    });
  });

  it('never forgets a lockout that must still double the next one, nor the count of a locked room', async () => {
    const ledger = new MemoryPinFailureLedger();
    const tiny = { ...room, attempts: 2 };
    await ledger.take('m', 0, tiny);
    expect(await ledger.take('m', 0, tiny)).toMatchObject({ lockedForMs: 15 * MINUTE });
    // The locking try given back (its PIN was right): the lockout stays.
    await ledger.refund('m', 0, tiny);
    const locked = { failures: 0, countStartedAt: 0, lockouts: 1, lockedUntil: 15 * MINUTE };
    expect(ledger.record('m')).toEqual(locked);
    // Hours after the lockout ended, a right PIN: its try comes back, the lockout is kept (the next
    // one must last 30 minutes), and the count no longer holds the right PIN's time.
    const later = 15 * MINUTE + 5 * 60 * MINUTE;
    await ledger.take('m', later, tiny);
    expect(ledger.record('m')).toMatchObject({ failures: 1, countStartedAt: later });
    await ledger.refund('m', later, tiny);
    expect(ledger.record('m')).toEqual({ ...locked, countStartedAt: 15 * MINUTE });
    await ledger.take('m', later + MINUTE, tiny);
    expect(await ledger.take('m', later + MINUTE, tiny)).toMatchObject({ lockedForMs: 30 * MINUTE });
    // A right PIN a day after that lockout ended: the record counts for nothing, and goes.
    const dayAfter = later + MINUTE + 30 * MINUTE + DAY;
    await ledger.take('m', dayAfter, tiny);
    await ledger.refund('m', dayAfter, tiny);
    expect(ledger.record('m')).toBeUndefined();
    // The next lockout is a first one again, as it would have been with the record.
    await ledger.take('m', dayAfter, tiny);
    expect(await ledger.take('m', dayAfter, tiny)).toMatchObject({ lockedForMs: 15 * MINUTE });
  });

  it('forgets only records that answer every later try as no record would', () => {
    // Every record a few steps of tries and give-backs reach, at times around the rules' edges.
    const times = [0, 1, 15 * MINUTE, DAY - 1, DAY, DAY + 15 * MINUTE, 2 * DAY, 3 * DAY];
    const tiny = { ...room, attempts: 2 };
    let records: RoomPinRecord[] = [{ failures: 0, countStartedAt: 0, lockouts: 0, lockedUntil: null }];
    for (let depth = 0; depth < 4; depth++) {
      const next: RoomPinRecord[] = [];
      for (const record of records)
        for (const at of times) {
          next.push(takeRoomTry(record, at, tiny).record);
          const back = refundRoomTry(record, at, tiny);
          if (back) next.push(back);
        }
      records = next.slice(0, 400);
    }
    let spent = 0;
    for (const record of records)
      for (const at of times) {
        if (!roomPinRecordSpent(record, at, tiny)) continue;
        spent++;
        // Any run of tries from `at` on: the same answers with the record as without it.
        let kept: RoomPinRecord | undefined = record;
        let none: RoomPinRecord | undefined;
        for (const later of [at, at, at + 15 * MINUTE, at + DAY, at + DAY, at + 2 * DAY]) {
          const a = takeRoomTry(kept, later, tiny);
          const b = takeRoomTry(none, later, tiny);
          expect(a.take).toEqual(b.take);
          kept = a.record;
          none = b.record;
        }
      }
    expect(spent).toBeGreaterThan(0);
  });

  it('stays bounded in memory', async () => {
    const ledger = new MemoryPinFailureLedger(100);
    for (let i = 0; i < 1000; i++) await ledger.take(`meeting-${i}`, i, room);
    expect(ledger.size).toBeLessThanOrEqual(100);
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
