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
import { pinDigest, type RoomGrant, RoomTokens } from './room-tokens.js';

interface GuestGrant extends RoomGrant {
  /** A digest of the guest PIN the room asked for when the guest got in; null: the room asked none. */
  readonly pinDigest: string | null;
  /** A host let the guest in from the lobby: a lobby still on does not send them back to it. */
  readonly admittedByHost: boolean;
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

/** The mechanics are shared with the hosts' rejoin tokens (see RoomTokens). */
export class GuestTickets extends RoomTokens<GuestGrant> {
  /**
   * A new ticket for participant `participant`, a guest of `slug` (meeting `meetingId`) who got in
   * under `guestPin` (null: none asked), let in by a host from the lobby or not, good until `until`
   * (ms); null at capacity. `inRoom` says whether a participant is in the room now: a full room's
   * oldest ticket whose guest is not is the one forgotten. The page sends it as a join's `ticket`
   * (see RoomTokens.add).
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
    const digest = guestPin === null ? null : pinDigest(guestPin);
    const grant = { slug, meetingId, until, pinDigest: digest, admittedByHost, participant };
    return this.add(grant, now, (held) => inRoom(held.participant));
  }

  /**
   * What `token` is for a join to `slug`, whose rules are now `rules`, at `now` (ms); uses nothing up.
   * One past its time, or whose guest no longer qualifies (the rules #enforceRules applies to the
   * guests inside), is forgotten: it would not come back.
   */
  judge(token: string, slug: string, rules: GuestRules, now: number): GuestTicketVerdict {
    const grant = this.grantFor(token, slug, now, (held) => qualifies(held, rules));
    return typeof grant === 'string' ? grant : { ok: true, admittedByHost: grant.admittedByHost };
  }

  /**
   * The room `slug` has new rules (a guest PIN asked or changed, a lobby turned on): its tickets whose
   * guests no longer qualify are forgotten now, so that the rules changing back does not revive them.
   */
  enforce(slug: string, rules: GuestRules): void {
    this.forgetUnless(slug, (held) => qualifies(held, rules));
  }
}

/** Whether the guest of `grant` would still be let in as it was under `rules` (see RoomHub's #enforceRules). */
function qualifies(grant: GuestGrant, rules: GuestRules): boolean {
  const pinOk = rules.guestPin === null || grant.pinDigest === pinDigest(rules.guestPin);
  return pinOk && (!rules.lobby || grant.admittedByHost);
}
