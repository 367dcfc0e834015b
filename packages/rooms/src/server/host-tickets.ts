/**
 * Host links are single use: the hub remembers the ids of tickets it admitted a host with until they
 * expire, in memory. All signalling for a room reaches one process, so one memory is enough. A
 * restart forgets what was spent, so a ticket made before the hub started is refused as if spent:
 * the organizer asks Outlook for a new link (one click), where a used one would otherwise work again
 * for the rest of its 15 minutes.
 *
 * A host who got in (host link or host PIN) gets a rejoin token instead (see RejoinTokens): it gets
 * them back in as host after a lost connection, for the rest of the room's time.
 */
import type { HostTicketClaim } from './directory.js';
import { pinDigest, type RoomGrant, RoomTokens } from './room-tokens.js';

export type TicketVerdict =
  | 'valid'
  | 'expired'
  | 'spent'
  /** Made before this hub started: it may have been spent in the process before (see SpentTickets). */
  | 'before_start'
  /** So many unexpired tickets spent that one more could not be remembered (see SpentTickets). */
  | 'full';

/**
 * Spent ticket ids until their expiry. At `capacity` unexpired ids, new tickets are refused rather
 * than an unexpired id forgotten: forgetting would make a used ticket good again, while a refusal
 * only sends a host to the PIN, which still works. Tickets are issued only to signed-in organizers,
 * and each lives 15 minutes, so the default capacity is far beyond what a deployment spends.
 */
export class SpentTickets {
  /** Ticket id → its expiry (ms). */
  readonly #until = new Map<string, number>();

  /**
   * `startedAt` (ms): when this memory began, i.e. the hub started; tickets made earlier are refused.
   */
  constructor(
    private readonly startedAt: number,
    private readonly capacity = 10_000,
  ) {}

  /** Whether a host may be admitted with `claim` at `now` (ms); spends nothing. */
  judge(claim: HostTicketClaim, now: number): TicketVerdict {
    const expiresAt = claim.expiresAt.getTime();
    // NaN (an invalid date) is expired too.
    if (!(expiresAt > now)) return 'expired';
    // Also NaN: an issue time that cannot be read cannot be shown to come after the start.
    if (!(claim.issuedAt.getTime() >= this.startedAt)) return 'before_start';
    if (this.#until.has(claim.id)) return 'spent';
    if (this.#until.size >= this.capacity) this.prune(now);
    return this.#until.size >= this.capacity ? 'full' : 'valid';
  }

  /** The host was admitted with `claim`: it may not be used again while it is valid. */
  spend(claim: HostTicketClaim): void {
    this.#until.set(claim.id, claim.expiresAt.getTime());
  }

  /** A join spent `claim` but did not get its host in after all (a hand-off that failed). */
  unspend(claim: HostTicketClaim): void {
    this.#until.delete(claim.id);
  }

  /** Forgets the ids of tickets expired at `now` (ms): they are refused as expired anyway. */
  prune(now: number): void {
    for (const [id, until] of this.#until) if (until <= now) this.#until.delete(id);
  }

  get size(): number {
    return this.#until.size;
  }
}

/** What a join's ticket is to the rejoin tokens (see RejoinTokens.judge). */
export type RejoinVerdict =
  /** A rejoin token of this room, still good: a host. */
  | 'valid'
  /**
   * A rejoin token of another room, past its room's closing time, or made for the host PIN the room no
   * longer has: refused, never taken for a host link.
   */
  | 'refused'
  /** No rejoin token this hub gave (a host link's ticket, or one forgotten): for the host link path. */
  | 'unknown';

interface RejoinGrant extends RoomGrant {
  /**
   * A digest of the host PIN its host came in with (the PIN itself is not kept), null for a host
   * link: a host PIN changed since (it leaked, say) stops it, as it stops the old PIN.
   */
  readonly hostPinDigest: string | null;
}

/**
 * Rejoin tokens, in memory: each host the hub admits gets one (in `joined`), good for coming back
 * as host to the same room, as often as needed, until the room's closing time. Unlike a host link's
 * ticket it is not spent by a join: a connection may drop many times in a meeting. It is dropped when
 * a host removes its holder, when the room is closed or cancelled, and once past its time; one made
 * for a host who gave the host PIN stops working once the room's host PIN changes. A token is made at
 * each admission by PIN or host link; past `perRoom` of a room's, its oldest is forgotten, so someone
 * who holds a room's host PIN and joins over and over cannot leave other rooms' hosts without tokens,
 * and a host admitted at `capacity` simply gets none (and comes back with the PIN or a new host link,
 * as before). A restart forgets them all: the page is then refused `host_link_invalid` and shows the
 * PIN field. How a token replaces its holder's dead connection, and why the limits are what they
 * are, is shared with the guests' tickets (see RoomTokens).
 */
export class RejoinTokens extends RoomTokens<RejoinGrant> {
  /**
   * A new token for participant `participant`, a host of `slug` (meeting `meetingId`) who came in with
   * `hostPin` (null: a host link), good until `until` (ms), or null at capacity. It fits a host link's
   * ticket pattern, so the page sends it as `ticket` (see RoomTokens.add).
   */
  issue(
    slug: string,
    meetingId: string,
    hostPin: string | null,
    until: number,
    now: number,
    participant: string,
  ): string | null {
    const hostPinDigest = hostPin === null ? null : pinDigest(hostPin);
    return this.add({ slug, meetingId, until, hostPinDigest, participant }, now);
  }

  /**
   * What `token` is for a join to `slug`, whose host PIN is now `hostPin`, at `now` (ms); uses
   * nothing up.
   */
  judge(token: string, slug: string, hostPin: string, now: number): RejoinVerdict {
    // A host PIN changed since never comes back: it is dropped.
    const grant = this.grantFor(
      token,
      slug,
      now,
      ({ hostPinDigest }) => hostPinDigest === null || hostPinDigest === pinDigest(hostPin),
    );
    return typeof grant === 'string' ? grant : 'valid';
  }
}
