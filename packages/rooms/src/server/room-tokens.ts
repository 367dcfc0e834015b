/**
 * What the hosts' rejoin tokens (see RejoinTokens) and the guests' rejoin tickets (see GuestTickets)
 * have in common: tokens, in memory, each good for coming back to one room, as often as needed, until
 * that room's closing time, each knowing the participant it was last handed to. What a token must
 * still match for a join (a host PIN, a guest PIN, the lobby) is each kind's own. The two are kept
 * apart: guests coming and going (or one who joins over and over) never cost a host their token.
 *
 * A token whose page went away (see park) is good for a grace only: the tab's sessionStorage outlives
 * the page, and a closed tab the browser reopens, or a session it restores, would otherwise bring the
 * token back to whoever uses that browser, until the room's closing time. Left on purpose or lost
 * with the network, the page is still open and holds it: those keep it until the closing time.
 */
import { createHash, randomBytes } from 'node:crypto';

/** What every token holds; each kind adds what its judge asks of it. */
export interface RoomGrant {
  readonly slug: string;
  readonly meetingId: string;
  /** The room's closing time (ms) as the hub knew it when it last admitted or renewed. */
  until: number;
  /**
   * The participant it was last handed to (issued, or came back as): while that one is still in the
   * room, it is its holder's old connection, which a join with the token replaces (see holder).
   */
  participant: string;
}

/** What a join's token is, short of its kind's own rules (see RoomTokens.grantFor). */
export type RoomTokenVerdict = 'refused' | 'unknown';

/**
 * Tokens of rooms, known by both a room's slug and its meeting id (the hub closes a room by either).
 * A join with one replaces the participant it was last handed to rather than being refused the seat
 * that one still holds: the hub may not have noticed yet that that connection is dead (up to two
 * heartbeats). A token is made at each admission, so one room's pile up as people come and go; past
 * `perRoom` of them, one of the room's own is forgotten to make the new one. That keeps someone who
 * joins over and over (rate-limited, but for hours) to their own room: they cannot fill the hub's
 * `capacity` and leave other rooms without tokens. At `capacity` live tokens in all, no new one is
 * made rather than another room's live one forgotten: the one admitted then simply gets none (and
 * comes back as before, with a PIN or a new host link). A restart forgets them all.
 */
export class RoomTokens<G extends RoomGrant> {
  /** Token → the room it is for, until when, and what else its kind asks of it. */
  readonly #grants = new Map<string, G>();
  /** A room's tokens by its slug and by its meeting id, oldest first (Sets keep insertion order). */
  readonly #bySlug = new Map<string, Set<string>>();
  readonly #byMeeting = new Map<string, Set<string>>();
  /** Token → until when (ms) its holder, whose page went away, may come back with it (see park). */
  readonly #parked = new Map<string, number>();

  constructor(
    private readonly capacity = 10_000,
    /** Twice the largest room (50): every seat's host, or guest, admitted twice over. */
    private readonly perRoom = 100,
  ) {}

  /**
   * A new token for `grant`, made at `now` (ms), or null at capacity. At its room's limit, the room's
   * oldest token whose grant `spare` does not spare is the one forgotten (its oldest of all when every
   * one is spared). 128 random bits in base64url (22 characters): it fits a host link's ticket
   * pattern, so the page sends it as a join's `ticket`.
   */
  protected add(grant: G, now: number, spare: (grant: G) => boolean = () => false): string | null {
    const room = this.#bySlug.get(grant.slug);
    if (room && room.size >= this.perRoom) {
      this.#forget(this.#firstUnspared(room, spare) ?? (room.values().next().value as string));
    } else if (this.#grants.size >= this.capacity) {
      this.prune(now);
      if (this.#grants.size >= this.capacity) return null;
    }
    const token = randomBytes(16).toString('base64url');
    this.#grants.set(token, grant);
    indexed(this.#bySlug, grant.slug).add(token);
    indexed(this.#byMeeting, grant.meetingId).add(token);
    return token;
  }

  /**
   * The grant of `token` for a join to `slug` at `now` (ms) while it still `holds`; uses nothing up.
   * One past its time, or that no longer holds, is forgotten: it would not come back.
   */
  protected grantFor(
    token: string,
    slug: string,
    now: number,
    holds: (grant: G) => boolean,
  ): G | RoomTokenVerdict {
    const grant = this.#grants.get(token);
    if (!grant) return 'unknown';
    if (grant.slug !== slug) return 'refused';
    // NaN (an invalid date) is past too.
    if (!(grant.until > now) || this.#parkedOut(token, now) || !holds(grant)) {
      this.#forget(token);
      return 'refused';
    }
    return grant;
  }

  /**
   * Forgets the tokens of room `slug` whose grants no longer hold (its rules changed), so that the
   * rules changing back does not revive them.
   */
  protected forgetUnless(slug: string, holds: (grant: G) => boolean): void {
    for (const token of [...(this.#bySlug.get(slug) ?? [])]) {
      const grant = this.#grants.get(token);
      if (grant && !holds(grant)) this.#forget(token);
    }
  }

  /** The grant of `token`, for its kind to change what it may change; undefined for none. */
  protected held(token: string): G | undefined {
    return this.#grants.get(token);
  }

  /** Whether `token` is one of these this hub gave (and still remembers). */
  has(token: string): boolean {
    return this.#grants.has(token);
  }

  /** The room's closing time moved (extended, shortened): the token follows it. */
  renew(token: string, until: number): void {
    const grant = this.#grants.get(token);
    if (grant) grant.until = until;
  }

  /** The participant `token` was last handed to (see RoomGrant.participant), null for none. */
  holder(token: string): string | null {
    return this.#grants.get(token)?.participant ?? null;
  }

  /** Its holder came back as participant `participant`: that one is the holder now. */
  bind(token: string, participant: string): void {
    const grant = this.#grants.get(token);
    if (!grant) return;
    grant.participant = participant;
    this.#parked.delete(token);
  }

  /**
   * The page of `participant`, the holder of `token`, went away without leaving (its socket closed: a
   * reload, a closed tab): the token gets its holder back until `until` (ms) only, unless a join with it
   * comes first. A token handed on since (the reload's join came before the old socket's close) is not
   * that participant's any more, and stays as it is.
   */
  park(token: string, participant: string, until: number): void {
    if (this.#grants.get(token)?.participant === participant) this.#parked.set(token, until);
  }

  /** Its holder was removed by a host (or sent out under new rules): it gets nobody in any more. */
  revoke(token: string): void {
    this.#forget(token);
  }

  /**
   * The room whose slug or meeting id is `key` was closed, cancelled, ended or moved: its tokens are
   * dropped. Costs the room's own tokens, not the hub's (every room closing at once is a restart's
   * worth of work).
   */
  revokeRoom(key: string): void {
    for (const index of [this.#bySlug, this.#byMeeting])
      for (const token of [...(index.get(key) ?? [])]) this.#forget(token);
  }

  /** Forgets tokens past their time at `now` (ms): they are refused anyway. */
  prune(now: number): void {
    for (const [token, grant] of this.#grants)
      if (!(grant.until > now) || this.#parkedOut(token, now)) this.#forget(token);
  }

  get size(): number {
    return this.#grants.size;
  }

  #firstUnspared(room: Set<string>, spare: (grant: G) => boolean): string | undefined {
    for (const token of room) {
      const grant = this.#grants.get(token);
      if (grant && !spare(grant)) return token;
    }
    return undefined;
  }

  /** Whether `token`'s holder went away longer ago than its grace at `now` (ms). */
  #parkedOut(token: string, now: number): boolean {
    const until = this.#parked.get(token);
    return until !== undefined && !(until > now);
  }

  #forget(token: string): void {
    const grant = this.#grants.get(token);
    if (!grant) return;
    this.#grants.delete(token);
    this.#parked.delete(token);
    unindex(this.#bySlug, grant.slug, token);
    unindex(this.#byMeeting, grant.meetingId, token);
  }
}

/** Only a digest of a PIN is kept with a token, never the PIN: the map lives as long as the room. */
export function pinDigest(pin: string): string {
  return createHash('sha256').update(pin, 'utf8').digest('base64url');
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
