/**
 * PIN guessing limits. A client (address) gets `attempts` wrong PINs per room before it is locked
 * out of that room for the lockout period; those counters live in this process's memory. A room has
 * a budget of `roomAttempts` PIN tries from all clients together: used up, the room stops taking
 * PINs for the lockout period, each further lockout within a day of the previous one's end twice as
 * long (at most a day), and tries count for a day. That budget lives in a PinFailureLedger: the
 * core's database (shared by its processes, kept across restarts), or this process's memory.
 */
import { isIP } from 'node:net';
import type { Role } from '../shared/protocol.js';
import type { PinFailureLedger, RoomPinPolicy, RoomPinTake } from './directory.js';

export interface LockoutPolicy {
  /** Wrong PINs from one client for one room before that client is locked out of it. */
  readonly attempts: number;
  /** PIN tries for one room, all clients together, before the room stops taking PINs. */
  readonly roomAttempts: number;
  /** A client's lockout, and a room's first one (see RoomPinPolicy). */
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

/** How long a room's tries count, and how long after a lockout ends the next one still doubles. */
export const ROOM_MEMORY_MS = 24 * 60 * 60_000;
/** The longest room lockout. */
export const MAX_ROOM_LOCKOUT_MS = 24 * 60 * 60_000;

/** A room's budget as a ledger keeps it; times in ms. */
export interface RoomPinRecord {
  /** Tries counted since `countStartedAt` (0: none, the next starts a new count). */
  readonly failures: number;
  readonly countStartedAt: number;
  /** Lockouts in a row, each within `memoryMs` of the previous one's end. */
  readonly lockouts: number;
  /** End of the last lockout (past or not); null: never locked. */
  readonly lockedUntil: number | null;
}

/**
 * The lengths of a room's lockouts in a row: the first `lockoutMs`, each next one twice the one
 * before, the last `maxLockoutMs` (which every later one keeps).
 */
export function lockoutLengths(policy: RoomPinPolicy): number[] {
  if (!(policy.lockoutMs > 0)) throw new RangeError('lockoutMs must be positive');
  const lengths: number[] = [];
  for (let length = policy.lockoutMs; length < policy.maxLockoutMs; length *= 2) lengths.push(length);
  lengths.push(policy.maxLockoutMs);
  return lengths;
}

/**
 * One try at a room's budget (see PinFailureLedger.take), as a pure step: the record after it, and
 * the answer. A locked room's record is returned unchanged. SQL ledgers do the same in one statement
 * (the server's room-pin-failures repository; a test holds both to the same answers).
 */
export function takeRoomTry(
  record: RoomPinRecord | undefined,
  now: number,
  policy: RoomPinPolicy,
): { readonly record: RoomPinRecord; readonly take: RoomPinTake } {
  const was = record ?? { failures: 0, countStartedAt: now, lockouts: 0, lockedUntil: null };
  if (was.lockedUntil !== null && was.lockedUntil > now)
    return { record: was, take: { taken: false, retryAfterMs: was.lockedUntil - now } };
  const fresh = was.failures === 0 || now - was.countStartedAt >= policy.memoryMs;
  const failures = (fresh ? 0 : was.failures) + 1;
  const countStartedAt = fresh ? now : was.countStartedAt;
  // A day without a lockout since the last one ended: the next one is a first one again.
  const inRow = was.lockedUntil !== null && now - was.lockedUntil < policy.memoryMs ? was.lockouts : 0;
  if (failures < policy.attempts)
    return {
      record: { failures, countStartedAt, lockouts: inRow, lockedUntil: was.lockedUntil },
      take: { taken: true, remaining: policy.attempts - failures, lockedForMs: 0 },
    };
  const lengths = lockoutLengths(policy);
  const length = lengths[Math.min(inRow, lengths.length - 1)] as number;
  return {
    record: { failures: 0, countStartedAt, lockouts: inRow + 1, lockedUntil: now + length },
    take: { taken: true, remaining: 0, lockedForMs: length },
  };
}

/**
 * Whether a room's record counts for nothing at `now`: no try of its count counts any more (none
 * counted, or the first one `memoryMs` ago or more) and no lockout ended less than `memoryMs` ago (or
 * is under way). takeRoomTry then answers as it would with no record, now and at any later time (a
 * lockout end that old never makes the next lockout longer, and the next try starts a new count), so
 * a ledger deletes such a record: it would only keep times of tries that no longer matter.
 */
export function roomPinRecordSpent(record: RoomPinRecord, now: number, policy: RoomPinPolicy): boolean {
  const countOver = record.failures === 0 || now - record.countStartedAt >= policy.memoryMs;
  const lockoutOver = record.lockedUntil === null || now - record.lockedUntil >= policy.memoryMs;
  return countOver && lockoutOver;
}

/**
 * A try given back (see PinFailureLedger.refund), as a pure step: the record after it, or undefined
 * when it then counts for nothing (roomPinRecordSpent) and is deleted. A count already at 0 gives
 * nothing back (the try was the one that locked the room, and the lockout stays). A count back at 0
 * in a record kept for its lockout no longer says when it started: that was the time of a try
 * given back (a right PIN), and with no try counted the start of the count means nothing (the next
 * try starts a new one), so it becomes the lockout's end, which the record holds anyway. SQL ledgers
 * do the same (the server's room-pin-failures repository; a test holds both to the same records).
 */
export function refundRoomTry(
  record: RoomPinRecord | undefined,
  now: number,
  policy: RoomPinPolicy,
): RoomPinRecord | undefined {
  if (!record) return undefined;
  let after = record;
  if (record.failures > 1) after = { ...record, failures: record.failures - 1 };
  else if (record.failures === 1)
    after = { ...record, failures: 0, countStartedAt: record.lockedUntil ?? record.countStartedAt };
  return roomPinRecordSpent(after, now, policy) ? undefined : after;
}

/** The ledger of a room service composed without one: this process's memory, bounded. */
export class MemoryPinFailureLedger implements PinFailureLedger {
  readonly #records = new Map<string, RoomPinRecord>();

  constructor(private readonly maxRooms = 100_000) {}

  async take(meetingId: string, now: number, policy: RoomPinPolicy): Promise<RoomPinTake> {
    const before = this.#records.get(meetingId);
    const { record, take } = takeRoomTry(before, now, policy);
    if (!before) this.#makeRoom(now, policy);
    this.#records.set(meetingId, record);
    return take;
  }

  async refund(meetingId: string, now: number, policy: RoomPinPolicy): Promise<void> {
    const before = this.#records.get(meetingId);
    if (!before) return;
    const after = refundRoomTry(before, now, policy);
    if (after) this.#records.set(meetingId, after);
    else this.#records.delete(meetingId);
  }

  /** The room's record as this ledger keeps it; undefined: none (as for a room never tried). */
  record(meetingId: string): RoomPinRecord | undefined {
    return this.#records.get(meetingId);
  }

  get size(): number {
    return this.#records.size;
  }

  /** Forgets rooms whose tries and lockouts no longer count; if still full, the oldest go first. */
  #makeRoom(now: number, policy: RoomPinPolicy): void {
    if (this.#records.size < this.maxRooms) return;
    for (const [id, r] of this.#records) if (roomPinRecordSpent(r, now, policy)) this.#records.delete(id);
    for (const id of this.#records.keys()) {
      if (this.#records.size < this.maxRooms) break;
      this.#records.delete(id);
    }
  }
}

/**
 * A PIN's try, taken from its room's budget before the PIN is checked (PinGuard.take). Spent on a
 * wrong PIN (PinGuard.fail); otherwise given back, once (PinGuard.succeed, PinGuard.settle).
 */
export interface PinTry {
  readonly taken: true;
  readonly meetingId: string;
  /** Tries the room has left should this PIN be wrong. */
  readonly remaining: number;
  /** > 0: the room's last try, which locked its PINs for this long. */
  readonly lockedForMs: number;
}

/** What the room's budget said to a PIN: a try, no try (its PINs are locked), or no such meeting. */
export type RoomTry =
  | PinTry
  | { readonly taken: false; readonly retryAfterMs: number }
  | { readonly taken: false; readonly gone: true };

export class PinGuard {
  readonly #perClient: AttemptLimiter;
  readonly #room: RoomPinPolicy;
  readonly #ledger: PinFailureLedger;
  /**
   * Slug → until when the room's PINs are locked, as this process last heard from the ledger: a
   * client is turned away before the directory or the ledger is asked.
   */
  readonly #roomLocks = new Map<string, number>();
  /** Tries not yet spent or given back. */
  readonly #open = new WeakSet<PinTry>();

  constructor(
    policy: LockoutPolicy,
    private readonly now: () => number,
    ledger: PinFailureLedger = new MemoryPinFailureLedger(),
    private readonly maxRoomLocks = 100_000,
  ) {
    this.#perClient = new AttemptLimiter(policy.attempts, policy.lockoutMs, now);
    if (!Number.isInteger(policy.roomAttempts) || policy.roomAttempts < 1)
      throw new RangeError('roomAttempts must be a positive integer');
    this.#room = {
      attempts: policy.roomAttempts,
      lockoutMs: policy.lockoutMs,
      maxLockoutMs: Math.max(policy.lockoutMs, MAX_ROOM_LOCKOUT_MS),
      memoryMs: ROOM_MEMORY_MS,
    };
    this.#ledger = ledger;
  }

  /**
   * Whether `client` may give a PIN for the room `slug` now, as this process knows: its own lockout,
   * or the room's as the ledger last told this process. (The ledger has the last word: see take.)
   */
  state(slug: string, client: string): LockState {
    const mine = this.#perClient.state(`${slug}\n${client}`);
    const until = this.#roomLocks.get(slug) ?? 0;
    const now = this.now();
    if (until <= now) {
      if (until !== 0) this.#roomLocks.delete(slug);
      return mine;
    }
    const room = until - now;
    return { locked: true, retryAfterMs: mine.locked ? Math.max(room, mine.retryAfterMs) : room };
  }

  /** The client's own lockout for the room, whatever the room's. */
  clientState(slug: string, client: string): LockState {
    return this.#perClient.state(`${slug}\n${client}`);
  }

  /**
   * Takes one try from the budget of the room `slug` (meeting `meetingId`) for a PIN about to be
   * checked: every process sharing the ledger counts it before any checks the next. Rejects when the
   * ledger does.
   */
  async take(slug: string, meetingId: string): Promise<RoomTry> {
    const now = this.now();
    const take = await this.#ledger.take(meetingId, now, this.#room);
    if (take === null) return { taken: false, gone: true };
    if (!take.taken) {
      this.#lockRoom(slug, now + take.retryAfterMs);
      return take;
    }
    if (take.lockedForMs > 0) this.#lockRoom(slug, now + take.lockedForMs);
    const tried: PinTry = { ...take, meetingId };
    this.#open.add(tried);
    return tried;
  }

  /** A wrong PIN: spends its try, counts it against the client; whether either is now locked. */
  fail(slug: string, client: string, tried: PinTry): FailureOutcome {
    this.#open.delete(tried);
    const mine = this.#perClient.fail(`${slug}\n${client}`);
    const room: FailureOutcome =
      tried.lockedForMs > 0
        ? { locked: true, retryAfterMs: tried.lockedForMs }
        : { locked: false, remainingAttempts: tried.remaining };
    if (room.locked && mine.locked)
      return { locked: true, retryAfterMs: Math.max(room.retryAfterMs, mine.retryAfterMs) };
    if (room.locked || mine.locked) return room.locked ? room : mine;
    return { locked: false, remainingAttempts: Math.min(room.remainingAttempts, mine.remainingAttempts) };
  }

  /**
   * A right PIN: its try is given back. A right host PIN also clears this client's count for the room
   * (never the room's own): a client that holds the host PIN has nothing left to guess, and a host's
   * typos should not add up to a lockout of everyone at that address. A right guest PIN clears nothing:
   * knowing it says nothing about guesses at the host PIN, and clearing on it would let a guest
   * alternate guesses and joins, never locked out. Settles once the ledger has the try back.
   */
  succeed(slug: string, client: string, role: Role, tried: PinTry): Promise<void> {
    if (role === 'host') this.#perClient.reset(`${slug}\n${client}`);
    return this.settle(tried);
  }

  /** Gives back a try that was neither spent nor given back yet (its PIN was never checked). */
  settle(tried: RoomTry | undefined): Promise<void> {
    if (!tried?.taken || !this.#open.delete(tried)) return Promise.resolve();
    return this.#ledger.refund(tried.meetingId, this.now(), this.#room);
  }

  #lockRoom(slug: string, until: number): void {
    if (until <= (this.#roomLocks.get(slug) ?? 0)) return;
    // Only a cache of the ledger's answers: forgetting them costs a ledger read per room, no more.
    if (this.#roomLocks.size >= this.maxRoomLocks) this.#roomLocks.clear();
    this.#roomLocks.set(slug, until);
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
