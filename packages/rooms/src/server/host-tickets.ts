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
import { createHash, randomBytes } from 'node:crypto';
import type { HostTicketClaim } from './directory.js';

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

interface RejoinGrant {
  readonly slug: string;
  readonly meetingId: string;
  /** The room's closing time (ms) as the hub knew it when it last admitted or renewed. */
  until: number;
  /**
   * A digest of the host PIN its host came in with (the PIN itself is not kept), null for a host
   * link: a host PIN changed since (it leaked, say) stops it, as it stops the old PIN.
   */
  readonly hostPinDigest: string | null;
  /**
   * The participant it was last handed to (issued, or came back as): while that one is still in the
   * room, it is the host's old connection, which a join with the token replaces (see holder).
   */
  participant: string;
}

/**
 * Rejoin tokens, in memory: each host the hub admits gets one (in `joined`), good for coming back
 * as host to the same room, as often as needed, until the room's closing time. Unlike a host link's
 * ticket it is not spent by a join: a connection may drop many times in a meeting. Each token knows
 * the participant it was last handed to: the hub may not have noticed yet that that connection is
 * dead (up to two heartbeats), so a join with the token replaces that participant rather than being
 * refused the seat it still holds. It is dropped when a host removes its holder, when the room is
 * closed or cancelled, and once past its time; one made for a host who gave the host PIN stops
 * working once the room's host PIN changes. A token is made at each admission by PIN or host link,
 * so one room's pile up as its hosts come and go; past `perRoom` of them, the room's oldest is
 * forgotten to make the new one. That keeps someone who holds a room's host PIN and joins over and
 * over (rate-limited, but for hours) to their own room: they cannot fill the hub's `capacity` and
 * leave other rooms' hosts without tokens. At `capacity` live tokens in all, no new one is made
 * rather than another room's live one forgotten: a host admitted then simply gets none (and comes
 * back with the PIN or a new host link, as before). A restart forgets them all: the page is then
 * refused `host_link_invalid` and shows the PIN field.
 */
export class RejoinTokens {
  /** Token → the room it is for and until when. */
  readonly #grants = new Map<string, RejoinGrant>();
  /** A room's tokens by its slug and by its meeting id, oldest first (Sets keep insertion order). */
  readonly #bySlug = new Map<string, Set<string>>();
  readonly #byMeeting = new Map<string, Set<string>>();

  constructor(
    private readonly capacity = 10_000,
    /** Twice the largest room (50): every seat's host admitted twice over. */
    private readonly perRoom = 100,
  ) {}

  /**
   * A new token for participant `participant`, a host of `slug` (meeting `meetingId`) who came in with
   * `hostPin` (null: a host link), good until `until` (ms), or null at capacity. 128 random bits in
   * base64url (22 characters): it fits a host link's ticket pattern, so the page sends it as `ticket`.
   */
  issue(
    slug: string,
    meetingId: string,
    hostPin: string | null,
    until: number,
    now: number,
    participant: string,
  ): string | null {
    const room = this.#bySlug.get(slug);
    if (room && room.size >= this.perRoom) {
      const oldest = room.values().next().value as string;
      this.#forget(oldest);
    } else if (this.#grants.size >= this.capacity) {
      this.prune(now);
      if (this.#grants.size >= this.capacity) return null;
    }
    const token = randomBytes(16).toString('base64url');
    this.#grants.set(token, {
      slug,
      meetingId,
      until,
      hostPinDigest: hostPin === null ? null : digest(hostPin),
      participant,
    });
    indexed(this.#bySlug, slug).add(token);
    indexed(this.#byMeeting, meetingId).add(token);
    return token;
  }

  /** Whether `token` is one this hub gave (and still remembers). */
  has(token: string): boolean {
    return this.#grants.has(token);
  }

  /**
   * What `token` is for a join to `slug`, whose host PIN is now `hostPin`, at `now` (ms); uses
   * nothing up.
   */
  judge(token: string, slug: string, hostPin: string, now: number): RejoinVerdict {
    const grant = this.#grants.get(token);
    if (!grant) return 'unknown';
    if (grant.slug !== slug) return 'refused';
    // NaN (an invalid date) is past too. A host PIN changed since never comes back: drop it.
    if (!(grant.until > now) || (grant.hostPinDigest !== null && grant.hostPinDigest !== digest(hostPin))) {
      this.#forget(token);
      return 'refused';
    }
    return 'valid';
  }

  /** The room's closing time moved (extended, shortened): the token follows it. */
  renew(token: string, until: number): void {
    const grant = this.#grants.get(token);
    if (grant) grant.until = until;
  }

  /** The participant `token` was last handed to (see RejoinGrant.participant), null for none. */
  holder(token: string): string | null {
    return this.#grants.get(token)?.participant ?? null;
  }

  /** Its host came back as participant `participant`: that one is the holder now. */
  bind(token: string, participant: string): void {
    const grant = this.#grants.get(token);
    if (grant) grant.participant = participant;
  }

  /** Its holder was removed by a host: it gets nobody in any more. */
  revoke(token: string): void {
    this.#forget(token);
  }

  /**
   * The room whose slug or meeting id is `key` was closed or cancelled: its tokens are dropped. Costs
   * the room's own tokens, not the hub's (every room closing at once is a restart's worth of work).
   */
  revokeRoom(key: string): void {
    for (const index of [this.#bySlug, this.#byMeeting])
      for (const token of [...(index.get(key) ?? [])]) this.#forget(token);
  }

  /** Forgets tokens past their time at `now` (ms): they are refused anyway. */
  prune(now: number): void {
    for (const [token, grant] of this.#grants) if (!(grant.until > now)) this.#forget(token);
  }

  #forget(token: string): void {
    const grant = this.#grants.get(token);
    if (!grant) return;
    this.#grants.delete(token);
    unindex(this.#bySlug, grant.slug, token);
    unindex(this.#byMeeting, grant.meetingId, token);
  }

  get size(): number {
    return this.#grants.size;
  }
}

function indexed(index: Map<string, Set<string>>, key: string): Set<string> {
  let tokens = index.get(key);
  if (!tokens) {
    tokens = new Set();
    index.set(key, tokens);
  }
  return tokens;
}

function unindex(index: Map<string, Set<string>>, key: string, token: string): void {
  const tokens = index.get(key);
  if (!tokens) return;
  tokens.delete(token);
  if (tokens.size === 0) index.delete(key);
}

/** Only a digest of a host PIN is kept with a token: the map lives as long as the room. */
function digest(pin: string): string {
  return createHash('sha256').update(pin, 'utf8').digest('base64url');
}
