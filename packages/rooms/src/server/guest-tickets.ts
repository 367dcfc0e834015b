/**
 * Guest rejoin tickets, in memory: each guest the hub admits (straight in, or let in from the lobby)
 * gets one in `joined`, which gets that guest back into the same room, as guest, after a lost
 * connection or a reload of the page, as often as needed until the room's closing time. A join with
 * it replaces the guest's old connection if that is still in the room (the hub may take two
 * heartbeats to find it dead), so that the guest's own ghost neither keeps them out of a full room,
 * nor shows them twice, nor sends a guest a host let in back to the lobby.
 *
 * A ticket holds only what the room already knew of its guest: the room (slug and meeting id), when
 * it stops (the room's closing time), the participant it was last handed to, whether a host let that
 * guest in from the lobby, and a digest of the guest PIN the room asked for then (never the PIN).
 * It stops working when a host removes its holder, when the room is closed, cancelled, ended or
 * moved, past its time, and as soon as the guest would no longer qualify under the room's rules: a
 * guest PIN now asked or changed, or a lobby turned on that a host did not let its guest through.
 * Another room's ticket is refused. It never makes a host, and never gets past a removal or a denial
 * (the hub still refuses a removed or denied client's address) or a full room.
 *
 * Kept apart from the hosts' rejoin tokens (see RejoinTokens): guests coming and going (or one who
 * joins over and over) never cost a host their token. A room keeps at most `perRoom` tickets: past
 * that, the oldest whose guest is not in the room now is forgotten (that guest comes back with the
 * PIN, as before). At `capacity` live tickets in all, none is made rather than a live one forgotten.
 * A restart forgets them all.
 */
import { createHash, randomBytes } from 'node:crypto';

interface GuestGrant {
  readonly slug: string;
  readonly meetingId: string;
  /** The room's closing time (ms) as the hub knew it when it last admitted or renewed. */
  until: number;
  /** A digest of the guest PIN the room asked for when the guest got in; null: the room asked none. */
  readonly pinDigest: string | null;
  /** A host let the guest in from the lobby: a lobby still on does not send them back to it. */
  readonly admittedByHost: boolean;
  /** The participant it was last handed to (issued, or came back as): see holder. */
  participant: string;
}

/** What a room asks of a guest now (see GuestTickets.judge). */
export interface GuestRules {
  readonly guestPin: string | null;
  readonly lobby: boolean;
}

/** What a join's ticket is to the guest tickets. */
export type GuestTicketVerdict =
  /** A ticket of this room whose guest still qualifies: a guest, let in without the lobby if so. */
  | { readonly ok: true; readonly admittedByHost: boolean }
  /** Another room's, past its time, or one its guest no longer qualifies with: refused. */
  | 'refused'
  /** No guest ticket this hub gave (or one forgotten). */
  | 'unknown';

export class GuestTickets {
  readonly #grants = new Map<string, GuestGrant>();
  /** A room's tickets by its slug and by its meeting id, oldest first (Sets keep insertion order). */
  readonly #bySlug = new Map<string, Set<string>>();
  readonly #byMeeting = new Map<string, Set<string>>();

  constructor(
    private readonly capacity = 10_000,
    /** Twice the largest room (50): every seat's guest admitted twice over. */
    private readonly perRoom = 100,
  ) {}

  /**
   * A new ticket for participant `participant`, a guest of `slug` (meeting `meetingId`) who got in
   * under `guestPin` (null: none asked), let in by a host from the lobby or not, good until `until`
   * (ms); null at capacity. `inRoom` says whether a participant is in the room now: a full room's
   * oldest ticket whose guest is not is the one forgotten. 128 random bits in base64url (22
   * characters): the page sends it as a join's `ticket`.
   */
  issue(
    slug: string,
    meetingId: string,
    guestPin: string | null,
    admittedByHost: boolean,
    until: number,
    now: number,
    participant: string,
    inRoom: (participant: string) => boolean,
  ): string | null {
    const room = this.#bySlug.get(slug);
    if (room && room.size >= this.perRoom) {
      let oldest: string | undefined;
      for (const token of room) {
        const grant = this.#grants.get(token);
        if (grant && !inRoom(grant.participant)) {
          oldest = token;
          break;
        }
      }
      this.#forget(oldest ?? (room.values().next().value as string));
    } else if (this.#grants.size >= this.capacity) {
      this.prune(now);
      if (this.#grants.size >= this.capacity) return null;
    }
    const token = randomBytes(16).toString('base64url');
    this.#grants.set(token, {
      slug,
      meetingId,
      until,
      pinDigest: guestPin === null ? null : digest(guestPin),
      admittedByHost,
      participant,
    });
    indexed(this.#bySlug, slug).add(token);
    indexed(this.#byMeeting, meetingId).add(token);
    return token;
  }

  /** Whether `token` is one this hub gave a guest (and still remembers). */
  has(token: string): boolean {
    return this.#grants.has(token);
  }

  /**
   * What `token` is for a join to `slug`, whose rules are now `rules`, at `now` (ms); uses nothing up.
   * One past its time, or whose guest no longer qualifies (the rules #enforceRules applies to the
   * guests inside), is forgotten: it would not come back.
   */
  judge(token: string, slug: string, rules: GuestRules, now: number): GuestTicketVerdict {
    const grant = this.#grants.get(token);
    if (!grant) return 'unknown';
    if (grant.slug !== slug) return 'refused';
    // NaN (an invalid date) is past too.
    if (!(grant.until > now) || !qualifies(grant, rules)) {
      this.#forget(token);
      return 'refused';
    }
    return { ok: true, admittedByHost: grant.admittedByHost };
  }

  /** The room's closing time moved (extended, shortened): the ticket follows it. */
  renew(token: string, until: number): void {
    const grant = this.#grants.get(token);
    if (grant) grant.until = until;
  }

  /** The participant `token` was last handed to, null for none. */
  holder(token: string): string | null {
    return this.#grants.get(token)?.participant ?? null;
  }

  /** Its guest came back as participant `participant`: that one is the holder now. */
  bind(token: string, participant: string): void {
    const grant = this.#grants.get(token);
    if (grant) grant.participant = participant;
  }

  /** Its holder was removed by a host, or sent out under new rules: it gets nobody in any more. */
  revoke(token: string): void {
    this.#forget(token);
  }

  /**
   * The room `slug` has new rules (a guest PIN asked or changed, a lobby turned on): its tickets whose
   * guests no longer qualify are forgotten now, so that the rules changing back does not revive them.
   */
  enforce(slug: string, rules: GuestRules): void {
    for (const token of [...(this.#bySlug.get(slug) ?? [])]) {
      const grant = this.#grants.get(token);
      if (grant && !qualifies(grant, rules)) this.#forget(token);
    }
  }

  /** The room whose slug or meeting id is `key` was closed, cancelled, ended or moved. */
  revokeRoom(key: string): void {
    for (const index of [this.#bySlug, this.#byMeeting])
      for (const token of [...(index.get(key) ?? [])]) this.#forget(token);
  }

  /** Forgets tickets past their time at `now` (ms): they are refused anyway. */
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

/** Whether the guest of `grant` would still be let in as it was under `rules` (see RoomHub's #enforceRules). */
function qualifies(grant: GuestGrant, rules: GuestRules): boolean {
  const pinOk = rules.guestPin === null || grant.pinDigest === digest(rules.guestPin);
  return pinOk && (!rules.lobby || grant.admittedByHost);
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

/** Only a digest of the guest PIN is kept with a ticket (the map lives as long as the room). */
function digest(pin: string): string {
  return createHash('sha256').update(pin, 'utf8').digest('base64url');
}
