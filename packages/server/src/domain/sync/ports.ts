/**
 * What calendar sync needs from the store. Records hold ciphertext where a name ends in `Ct`; event
 * ids appear only as hashes or ciphertext, and only for events that carry a Roomlink meeting.
 */
export type SyncStatus = 'active' | 'needs_sign_in' | 'stopped';

export interface SyncUserRecord {
  readonly userId: string;
  readonly tenantId: string;
  readonly status: SyncStatus;
  readonly subscriptionId: string | null;
  readonly clientStateHash: string | null;
  readonly subscriptionExpiresAt: string | null;
  readonly deltaLinkCt: string | null;
  readonly deltaStartedAt: string | null;
  readonly lastChangeAt: string | null;
  readonly lastReconciledAt: string | null;
  /**
   * The contract end day (YYYY-MM-DD) of the user's tenant, read with the record; null or absent when
   * none is recorded. From that day on (contractEnded, domain/tenants/tenant.ts) sync stops for the
   * user: no Graph reads, no subscription kept, notifications dropped (graph/sync-worker.ts).
   */
  readonly contractEnd?: string | null;
}

export interface SyncUserRepository {
  find(userId: string): Promise<SyncUserRecord | undefined>;
  findBySubscription(subscriptionId: string): Promise<SyncUserRecord | undefined>;
  /**
   * Inserts the user as active, or reactivates a stopped one; keeps subscription and delta state.
   * False, and nothing written, when the user has signed out (a sign-out that overtook the sign-in).
   */
  activate(userId: string, tenantId: string, now: Date): Promise<boolean>;
  update(
    userId: string,
    changes: Partial<Omit<SyncUserRecord, 'userId' | 'tenantId' | 'contractEnd'>>,
    now: Date,
  ): Promise<void>;
  /**
   * As update, but only while the user's sync is active: false, and nothing written, once sync was
   * stopped (sign-out, erasure, offboarding) or the row is gone. A new Graph subscription is stored
   * this way, so that one created while sync stopped is known to be nobody's (SubscriptionManager).
   */
  updateIfActive(
    userId: string,
    changes: Partial<Omit<SyncUserRecord, 'userId' | 'tenantId' | 'contractEnd'>>,
    now: Date,
  ): Promise<boolean>;
  remove(userId: string): Promise<void>;
  listActive(): Promise<SyncUserRecord[]>;
  /**
   * Compare-and-set lease so that one worker (in any process) syncs a mailbox at a time. Returns false
   * while another owner holds an unexpired lease.
   */
  acquireLease(userId: string, owner: string, now: Date, ttlMs: number): Promise<boolean>;
  /** Extends a lease this owner still holds; false when it expired and another owner took it. */
  renewLease(userId: string, owner: string, now: Date, ttlMs: number): Promise<boolean>;
  releaseLease(userId: string, owner: string): Promise<void>;
  /** Drops every lease (embedded mode at start: this process is the only worker). */
  releaseAllLeases(): Promise<void>;
}

/**
 * What the linked event is: a single event, a series master, or one occurrence of a series that the
 * add-in gave a meeting of its own (Outlook made it an exception; its master carries no meeting).
 */
export type LinkKind = 'single' | 'series' | 'occurrence';

export interface EventLinkRecord {
  readonly meetingId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly eventHash: string;
  readonly eventIdCt: string;
  readonly kind: LinkKind;
  readonly versionCt: string;
}

export interface EventLinkRepository {
  findByMeeting(meetingId: string): Promise<EventLinkRecord | undefined>;
  findByEvent(userId: string, eventHash: string): Promise<EventLinkRecord | undefined>;
  listByUser(userId: string): Promise<EventLinkRecord[]>;
  upsert(record: EventLinkRecord, now: Date): Promise<void>;
  remove(meetingId: string): Promise<void>;
  removeByUser(userId: string): Promise<void>;
}

export interface OccurrenceRecord {
  readonly meetingId: string;
  readonly tenantId: string;
  readonly occurrenceKey: string;
  readonly windowCt: string;
}

export interface OccurrenceRepository {
  list(meetingId: string): Promise<OccurrenceRecord[]>;
  /** Replaces the meeting's overrides as one unit. */
  replace(meetingId: string, records: readonly OccurrenceRecord[], now: Date): Promise<void>;
}

export interface SyncStore {
  readonly users: SyncUserRepository;
  readonly links: EventLinkRepository;
  readonly occurrences: OccurrenceRepository;
}
