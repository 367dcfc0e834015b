/**
 * Guest rejoin tickets, in memory: each guest the hub lets in (straight in, or let in from the lobby)
 * gets one in `joined`, and each guest who waits in the lobby gets one in `waiting`. A ticket gets
 * that guest back to the same room, as guest, after a lost connection or a reload of the page, as
 * often as needed until the room's closing time, as far as they had got: into the call, or to the
 * lobby only. A join with it replaces the guest's old connection if that is still in the room or the
 * lobby (the hub may take two heartbeats to find it dead), so that the guest's own ghost neither keeps
 * them out of a full room, nor shows them twice, nor sends a guest a host let in back to the lobby,
 * nor puts a waiting guest behind themselves in the lobby.
 *
 * A ticket holds only what the room already knew of its guest: the room (slug and meeting id), when
 * it stops (the room's closing time), the participant it was last handed to, how far that guest got
 * (see GuestStanding), and a digest of the guest PIN the room asked for then (never the PIN). A lobby
 * waiter's ticket carries no host's admission: it gets its guest back to the lobby (or, with the
 * lobby off, in as the PIN would), never past it; only when a host lets its guest in (or the lobby is
 * turned off and they walk in) does the same ticket go as far (see passed), so that a guest let in
 * while their connection was dead still comes back in. It stops working when a host removes or denies
 * its holder, when the room is closed, cancelled, ended or moved, past its time, and as soon as the
 * guest would no longer qualify under the room's rules: a guest PIN now asked or changed, or a lobby
 * turned on that a guest inside did not pass. Another room's ticket is refused. It never makes a host,
 * and never gets past a removal or a denial (the hub still refuses a removed or denied client's
 * address) or a full room.
 *
 * Kept apart from the hosts' rejoin tokens (see RejoinTokens): guests coming and going (or one who
 * joins over and over) never cost a host their token. A room keeps at most `perRoom` tickets: past
 * that, the oldest whose guest is not in the room (nor its lobby) now is forgotten (that guest comes
 * back with the PIN, as before). At `capacity` live tickets in all, none is made rather than a live one
 * forgotten. A restart forgets them all.
 */
import { pinDigest, type RoomGrant, RoomTokens } from './room-tokens.js';

/**
 * How far a ticket's guest got: `lobby`, waiting there (back to the lobby, never past it); `walkedIn`,
 * into the call without a lobby (none was on); `letIn`, let in by a host, so that a lobby still on does
 * not send them back to it.
 */
export type GuestStanding = 'lobby' | 'walkedIn' | 'letIn';

interface GuestGrant extends RoomGrant {
  /** A digest of the guest PIN the room asked for when the guest got in; null: the room asked none. */
  readonly pinDigest: string | null;
  /** Only ever goes further (see passed). */
  standing: GuestStanding;
}

/** Whom a new ticket is for: a guest of `slug` (meeting `meetingId`), participant `participant`. */
export interface NewGuestTicket {
  readonly slug: string;
  readonly meetingId: string;
  /** The guest PIN the guest got in under (only its digest is kept); null: the room asked none. */
  readonly guestPin: string | null;
  /** How far the guest got: waiting in the lobby, in without one, or let in by a host. */
  readonly standing: GuestStanding;
  /** The room's closing time (ms), as the hub knows it. */
  readonly until: number;
  readonly participant: string;
}

/** What a room asks of a guest now (see GuestTickets.judge). */
export interface GuestRules {
  readonly guestPin: string | null;
  readonly lobby: boolean;
}

/** What a join's ticket is to the guest tickets. */
export type GuestTicketVerdict =
  /**
   * A ticket of this room whose guest still qualifies: a guest, let in past the lobby if a host let
   * them in (else to the lobby if it is on, as with the PIN).
   */
  | { readonly ok: true; readonly admittedByHost: boolean }
  /** Another room's, past its time, or one its guest no longer qualifies with: refused. */
  | 'refused'
  /** No guest ticket this hub gave (or one forgotten). */
  | 'unknown';

/** The mechanics are shared with the hosts' rejoin tokens (see RoomTokens). */
export class GuestTickets extends RoomTokens<GuestGrant> {
  /**
   * A new ticket for `guest`, good until `guest.until` (ms), or null at capacity. `inRoom` says
   * whether a participant is in the room (or its lobby) now: a full room's oldest ticket whose guest
   * is not is the one forgotten. The page sends it as a join's `ticket` (see RoomTokens.add).
   */
  issue(guest: NewGuestTicket, now: number, inRoom: (participant: string) => boolean): string | null {
    const { guestPin, ...grant } = guest;
    const digest = guestPin === null ? null : pinDigest(guestPin);
    return this.add({ ...grant, pinDigest: digest }, now, (held) => inRoom(held.participant));
  }

  /**
   * The guest of `token`, waiting in the lobby, got into the call: let in by a host (`letIn`) or, the
   * lobby turned off, walked in (`walkedIn`). The ticket now goes as far; it never goes back (a guest
   * a host let in and who came back stays let in).
   */
  passed(token: string, standing: Exclude<GuestStanding, 'lobby'>): void {
    const grant = this.held(token);
    if (grant && grant.standing !== 'letIn') grant.standing = standing;
  }

  /**
   * What `token` is for a join to `slug`, whose rules are now `rules`, at `now` (ms); uses nothing up.
   * One past its time, or whose guest no longer qualifies (the rules #enforceRules applies to the
   * guests inside), is forgotten: it would not come back.
   */
  judge(token: string, slug: string, rules: GuestRules, now: number): GuestTicketVerdict {
    const grant = this.grantFor(token, slug, now, (held) => qualifies(held, rules));
    return typeof grant === 'string' ? grant : { ok: true, admittedByHost: grant.standing === 'letIn' };
  }

  /**
   * The room `slug` has new rules (a guest PIN asked or changed, a lobby turned on): its tickets whose
   * guests no longer qualify are forgotten now, so that the rules changing back does not revive them.
   */
  enforce(slug: string, rules: GuestRules): void {
    this.forgetUnless(slug, (held) => qualifies(held, rules));
  }
}

/**
 * Whether the guest of `grant` would still be let in as far as it got under `rules` (see RoomHub's
 * #enforceRules): a lobby turned on sends out only those inside who did not pass it; those waiting
 * in it wait on.
 */
function qualifies(grant: GuestGrant, rules: GuestRules): boolean {
  const pinOk = rules.guestPin === null || grant.pinDigest === pinDigest(rules.guestPin);
  return pinOk && (!rules.lobby || grant.standing !== 'walkedIn');
}
