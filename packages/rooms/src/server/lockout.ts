/**
 * PIN guessing limits. A client (address) gets `attempts` wrong PINs per room before it is locked
 * out of that room for the lockout period; a room that sees `roomAttempts` wrong PINs from all
 * clients together stops accepting PINs for the same period (a distributed guesser gets no more
 * than that). Counters live in memory: a restart forgives, which costs an attacker a restart.
 */
import { isIP } from 'node:net';
import type { Role } from '../shared/protocol.js';

export interface LockoutPolicy {
  /** Wrong PINs from one client for one room before that client is locked out of it. */
  readonly attempts: number;
  /** Wrong PINs for one room, all clients together, before the room stops taking PINs. */
  readonly roomAttempts: number;
  readonly lockoutMs: number;
}

export type LockState = { readonly locked: false } | { readonly locked: true; readonly retryAfterMs: number };

export type FailureOutcome =
  | { readonly locked: false; readonly remainingAttempts: number }
  | { readonly locked: true; readonly retryAfterMs: number };

interface Counter {
  failures: number;
  windowStart: number;
  lockedUntil: number;
}

/** Counts failures per key in a window of `lockoutMs` from the first one; `limit` of them locks the key. */
export class AttemptLimiter {
  readonly #counters = new Map<string, Counter>();

  constructor(
    private readonly limit: number,
    private readonly lockoutMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  }

  state(key: string): LockState {
    const counter = this.#counters.get(key);
    const now = this.now();
    if (counter && counter.lockedUntil > now)
      return { locked: true, retryAfterMs: counter.lockedUntil - now };
    return { locked: false };
  }

  fail(key: string): FailureOutcome {
    const now = this.now();
    let counter = this.#counters.get(key);
    if (!counter || (counter.lockedUntil <= now && now - counter.windowStart >= this.lockoutMs)) {
      this.#makeRoom(now);
      counter = { failures: 0, windowStart: now, lockedUntil: 0 };
      this.#counters.set(key, counter);
    }
    if (counter.lockedUntil > now) return { locked: true, retryAfterMs: counter.lockedUntil - now };
    counter.failures += 1;
    if (counter.failures >= this.limit) {
      counter.lockedUntil = now + this.lockoutMs;
      return { locked: true, retryAfterMs: this.lockoutMs };
    }
    return { locked: false, remainingAttempts: this.limit - counter.failures };
  }

  reset(key: string): void {
    this.#counters.delete(key);
  }

  get size(): number {
    return this.#counters.size;
  }

  /** Forgets expired counters; if still full, the oldest (insertion order) go first. */
  #makeRoom(now: number): void {
    if (this.#counters.size < this.maxKeys) return;
    for (const [key, counter] of this.#counters) {
      if (counter.lockedUntil <= now && now - counter.windowStart >= this.lockoutMs)
        this.#counters.delete(key);
    }
    for (const key of this.#counters.keys()) {
      if (this.#counters.size < this.maxKeys) break;
      this.#counters.delete(key);
    }
  }
}

export class PinGuard {
  readonly #perClient: AttemptLimiter;
  readonly #perRoom: AttemptLimiter;

  constructor(policy: LockoutPolicy, now: () => number) {
    this.#perClient = new AttemptLimiter(policy.attempts, policy.lockoutMs, now);
    this.#perRoom = new AttemptLimiter(policy.roomAttempts, policy.lockoutMs, now);
  }

  state(roomKey: string, client: string): LockState {
    const room = this.#perRoom.state(roomKey);
    const mine = this.#perClient.state(`${roomKey}\n${client}`);
    if (room.locked && mine.locked)
      return { locked: true, retryAfterMs: Math.max(room.retryAfterMs, mine.retryAfterMs) };
    return room.locked ? room : mine;
  }

  fail(roomKey: string, client: string): FailureOutcome {
    const room = this.#perRoom.fail(roomKey);
    const mine = this.#perClient.fail(`${roomKey}\n${client}`);
    if (room.locked || mine.locked) return this.state(roomKey, client) as FailureOutcome;
    return { locked: false, remainingAttempts: Math.min(room.remainingAttempts, mine.remainingAttempts) };
  }

  /**
   * A right host PIN clears this client's count for the room (never the room's own): a client that
   * holds the host PIN has nothing left to guess, and a host's typos should not add up to a lockout of
   * everyone at that address. A right guest PIN clears nothing: knowing it says nothing about guesses at
   * the host PIN, and clearing on it would let a guest alternate guesses and joins, never locked out.
   */
  succeed(roomKey: string, client: string, role: Role): void {
    if (role === 'host') this.#perClient.reset(`${roomKey}\n${client}`);
  }
}

/**
 * The client key for an address. IPv6 clients usually hold a whole /64, so that is what counts as
 * one client; IPv4-mapped addresses count as their IPv4 address.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]?.split('::') ?? [''];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  return [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right].map((g) =>
    (Number.parseInt(g, 16) || 0).toString(16),
  );
}
