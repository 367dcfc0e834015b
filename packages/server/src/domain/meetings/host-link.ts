/**
 * Host links: a one-click way in as host for the organizer, from the add-in's task pane.
 *
 * Why they exist: the room stops taking PINs for a while after many wrong ones from all addresses
 * together (rooms' lockout.ts), and anyone holding the join link can cause that. A host link carries
 * no PIN, so the lockout cannot keep the organizer out of their own meeting.
 *
 * A ticket is sealed with the tenant's data key, bound to the meeting (tenant id and meeting id are
 * its associated data), so it opens for that meeting only, and only where it was issued. It holds a
 * random id, when it was made and its expiry; nothing is stored. The room service judges the expiry
 * with its own clock and spends a ticket on the one join it admits (all of a room's signalling
 * reaches one process, which remembers the ids it spent until they expire, and refuses tickets made
 * before it started: what an earlier process spent is not kept).
 */
import { randomBytes } from 'node:crypto';
import type { CipherContext, FieldCipher } from '../../crypto/envelope.js';
import { KeyError } from '../../crypto/key-provider.js';
import type { AuditRepository } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Meeting } from './meeting.js';
import type { MeetingAccess } from './reclaim.js';

/** Long enough to go through the join page's camera and microphone check; short enough to leak little. */
export const HOST_LINK_TTL_MS = 15 * 60_000;

/** What a valid ticket says: its id (spent once), when it was made and when it stops working. */
export interface HostTicketClaim {
  readonly id: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export interface HostLink {
  /** The join link with the ticket in its fragment, which browsers never send to a server. */
  readonly url: string;
  readonly expiresAt: Date;
}

/** What the host link needs of the meetings: the organizer's own meeting, as `GET` finds it. */
export interface OwnMeetings {
  get(actor: Principal, id: string, access?: MeetingAccess): Promise<Meeting>;
}

export interface HostLinkDeps {
  readonly meetings: OwnMeetings;
  readonly cipher: FieldCipher;
  readonly audit: AuditRepository;
  readonly now?: () => Date;
}

/** The fragment parameter the join page reads. */
export const HOST_LINK_PARAMETER = 'host';

/** Ciphertext failures that only say the ticket is not one of ours for this meeting. */
const NOT_OURS: ReadonlySet<KeyError['code']> = new Set([
  'malformed_ciphertext',
  'decrypt_failed',
  'no_data_key',
]);

export class HostLinks {
  readonly #now: () => Date;

  constructor(private readonly deps: HostLinkDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** A fresh host link for the actor's own scheduled meeting. */
  async issue(actor: Principal, meetingId: string, access: MeetingAccess = {}): Promise<HostLink> {
    const meeting = await this.deps.meetings.get(actor, meetingId, access);
    if (meeting.status === 'cancelled')
      throw new DomainError('meeting_cancelled', 'the meeting was cancelled; it has no room to join');
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + HOST_LINK_TTL_MS);
    const claim = JSON.stringify({
      id: randomBytes(16).toString('hex'),
      iat: now.getTime(),
      exp: expiresAt.getTime(),
    });
    const ticket = await this.deps.cipher.encrypt(ticketContext(meeting), claim);
    await this.deps.audit.append(
      {
        tenantId: actor.tenantId,
        actorId: actor.userId,
        action: 'meeting.host_link_issued',
        targetType: 'meeting',
        targetId: meeting.id,
      },
      now,
    );
    return { url: `${meeting.room.joinUrl}#${HOST_LINK_PARAMETER}=${ticket}`, expiresAt };
  }

  /**
   * What a ticket presented for this meeting says, or null when it is not a ticket issued for it
   * (forged, damaged, another meeting's or tenant's, or its tenant's key is gone). Expiry and reuse
   * are the room service's to judge. Other failures (the store unreachable) are thrown.
   */
  async read(meeting: Pick<Meeting, 'id' | 'tenantId'>, ticket: string): Promise<HostTicketClaim | null> {
    let plain: string;
    try {
      plain = await this.deps.cipher.decrypt(ticketContext(meeting), ticket);
    } catch (error) {
      if (error instanceof KeyError && NOT_OURS.has(error.code)) return null;
      throw error;
    }
    return parseClaim(plain);
  }
}

function ticketContext(meeting: Pick<Meeting, 'id' | 'tenantId'>): CipherContext {
  return { tenantId: meeting.tenantId, table: 'host_links', column: 'ticket', rowId: meeting.id };
}

/** Only this module seals claims, so a claim that does not parse means a bug; it is refused all the same. */
function parseClaim(plain: string): HostTicketClaim | null {
  try {
    const { id, iat, exp } = JSON.parse(plain) as { id?: unknown; iat?: unknown; exp?: unknown };
    if (typeof id !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp)) return null;
    // A ticket sealed before `iat` was added (an upgrade within its 15 minutes) was made TTL before
    // its expiry.
    const issuedAt = typeof iat === 'number' && Number.isFinite(iat) ? iat : exp - HOST_LINK_TTL_MS;
    return { id, issuedAt: new Date(issuedAt), expiresAt: new Date(exp) };
  } catch {
    return null;
  }
}
