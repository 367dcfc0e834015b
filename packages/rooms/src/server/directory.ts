/**
 * The port the core implements: which room a join link names. The room service never sees the
 * database; it asks this on every join, and about a live room when told its meeting changed
 * (RoomService.recheckRoom), so that cancellations, moves and PIN changes apply at once.
 */
import type { Language } from '../shared/language.js';

export interface RoomInfo {
  readonly meetingId: string;
  readonly tenantId: string;
  readonly status: 'scheduled' | 'cancelled';
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly hostPin: string;
  readonly guestPin: string | null;
  readonly lobby: boolean;
  readonly language: 'en' | 'fr';
  /**
   * For a recurring meeting: whether the room admits people at a given time (around each occurrence
   * that takes place, moved and cancelled ones as the calendar says). When present it decides,
   * instead of startsAt/endsAt.
   */
  readonly isOpenAt?: (at: Date) => boolean;
  /**
   * When `isOpenAt`'s answer next changes, for a series no list of edges can hold (thousands of
   * occurrences) and a search minute by minute cannot reach (the next occurrence a month away).
   * Asked only when `isOpenAt(new Date(from))` is not `wanted`: the first instant (ms) after `from`
   * at which the answer is `wanted`; null when it never is (the series is over); undefined when its
   * bounded search did not reach it.
   */
  readonly nextOpenChange?: (from: number, wanted: boolean) => number | null | undefined;
  /**
   * The instants (ms, sorted) at which `isOpenAt` can change its answer, when there are few. With
   * them (and no nextOpenChange) the room's next opening or closing is found among them; without,
   * by a bounded minute-by-minute search.
   */
  readonly openEdges?: readonly number[];
  /**
   * A host link's ticket (from the join link's `#host=` fragment): the claim when this deployment
   * issued it for this very meeting, null otherwise (forged, garbled, another meeting's). It judges
   * neither expiry nor reuse: the hub does, with its own clock, and remembers spent ids. Without it
   * the room takes no host links (`host_link_invalid`).
   */
  readonly checkHostTicket?: (ticket: string) => Promise<HostTicketClaim | null>;
  /**
   * Present when the meeting runs on an external media engine: the engine's address for one
   * participant the join rules admitted (see the `handoff` message). The hub then holds no live room
   * for it: no lobby, chat or media of its own (the engine's lobby follows the meeting's option).
   */
  readonly handOff?: (participant: RoomHandOff) => Promise<string>;
  /**
   * With `handOff`: ends the engine's call for the room, if one runs (idempotent). The hub calls it
   * when a room it handed people off to is no longer open: moved, cancelled, its window over.
   */
  readonly endEngineCall?: () => Promise<void>;
}

export interface RoomHandOff {
  readonly role: 'host' | 'guest';
  readonly name: string;
  /** The language the participant chose on the join page; absent: the engine's page follows the browser's. */
  readonly language?: Language;
  /** When the room's window closes (null: no end known). */
  readonly closesAt: Date | null;
}

/** What a valid host link's ticket says. */
export interface HostTicketClaim {
  /** Unique per ticket: spent once the host is admitted with it. */
  readonly id: string;
  /**
   * When it was made. One made before this hub started is refused: the process before it may have
   * admitted a host with it, and what it spent was not kept.
   */
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export interface RoomDirectory {
  findBySlug(slug: string): Promise<RoomInfo | null>;
  /**
   * Optional, with external engines: the calls the engines say are running now for rooms of this
   * directory (those of other applications or deployments on the same engine are left out). The
   * room service follows them as if it had sent people there itself: calls stay followed across a
   * restart, and by processes that sent no one to them.
   */
  runningEngineCalls?(): Promise<readonly RunningEngineCall[]>;
}

/** A call an external engine runs for one of the directory's rooms. */
export interface RunningEngineCall {
  readonly slug: string;
  readonly meetingId: string;
}

/**
 * The rules of a room's budget of PIN tries, all clients together (see PinGuard): `attempts` tries
 * lock the room's PINs for `lockoutMs`; each further lockout that starts within `memoryMs` of the
 * previous one's end lasts twice as long as it, up to `maxLockoutMs`. A try counts for `memoryMs`
 * from the first try of its count (a lockout starts a new count).
 */
export interface RoomPinPolicy {
  readonly attempts: number;
  readonly lockoutMs: number;
  readonly maxLockoutMs: number;
  readonly memoryMs: number;
}

/** What the room's budget said to one PIN about to be checked. */
export type RoomPinTake =
  /**
   * Counted. `remaining`: tries left after this one. `lockedForMs` > 0: it was the last one, and the
   * room's PINs are locked for that long from `now` (the PIN is still checked: it may be right).
   */
  | { readonly taken: true; readonly remaining: number; readonly lockedForMs: number }
  /** Not counted: the room's PINs are locked for `retryAfterMs` more; the PIN must not be checked. */
  | { readonly taken: false; readonly retryAfterMs: number };

/**
 * Where a room's budget of PIN tries is kept. Without one the room service keeps it in its own
 * memory (a restart forgets it, and each process has its own); the core keeps it in its database, so
 * that every process on that database, and the next one after a restart, spends the same budget.
 * Keyed by meeting id. Every PIN is counted before it is checked, and given back if it was right
 * (or never checked), so that guesses sent at once to several processes cannot all be checked
 * before any is counted. It holds counts and times only: never a PIN, a name or an address.
 */
export interface PinFailureLedger {
  /**
   * Atomically, as one step for every process sharing the ledger: if the room's PINs are locked at
   * `now` (ms), how much longer; otherwise counts one try under `policy`, locking the room's PINs if
   * it was the last. Null when the ledger knows no such meeting (deleted meanwhile).
   */
  take(meetingId: string, now: number, policy: RoomPinPolicy): Promise<RoomPinTake | null>;
  /**
   * Gives back one try `take` counted, the PIN having been right or never checked. A lockout that
   * try started stays; nothing else is forgiven. If the room's record then counts for nothing at
   * `now` under `policy` (no try counted, no lockout that ended less than `memoryMs` ago: see
   * roomPinRecordSpent), it is deleted: a right PIN leaves no trace of when it was given.
   */
  refund(meetingId: string, now: number, policy: RoomPinPolicy): Promise<void>;
}
