/**
 * The audit log records security-relevant events by ids and counts only: never a title, a time,
 * an e-mail address or a token.
 */
export type AuditAction =
  | 'session.signed_in'
  | 'session.signed_out'
  | 'meeting.created'
  | 'meeting.updated'
  | 'meeting.cancelled'
  | 'meeting.deleted'
  /** A meeting of a signed-out organizer taken back by its new user row (meetings/reclaim.ts). */
  | 'meeting.reclaimed'
  /** The organizer was given a one-click host link (meetings/host-link.ts); the ticket is not kept. */
  | 'meeting.host_link_issued'
  | 'data.purged'
  | 'keys.rotated'
  | 'tenant.settings_changed';

export interface AuditEntry {
  readonly tenantId: string | null;
  readonly actorId: string | null;
  readonly action: AuditAction;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditRecord extends AuditEntry {
  readonly id: string;
  readonly createdAt: string;
}

export interface AuditRepository {
  append(entry: AuditEntry, now: Date): Promise<void>;
  list(tenantId: string | null, options: { limit: number; before?: string }): Promise<AuditRecord[]>;
}
