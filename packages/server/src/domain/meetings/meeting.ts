import type { Language } from '../tenants/tenant.js';

export type MeetingStatus = 'scheduled' | 'cancelled';

export interface MeetingOptions {
  readonly guestPin: boolean;
  readonly lobby: boolean;
  /** Language of the join instructions; absent means the tenant's default. */
  readonly language?: Language;
}

/** Graph's patternedRecurrence, kept as the add-in sent it (encrypted at rest). */
export type Recurrence = Readonly<Record<string, unknown>>;

/** What is stored of a room. */
export interface RoomCodes {
  readonly slug: string;
  readonly conferenceId: string;
  readonly hostPin: string;
  readonly guestPin: string | null;
  /** Opaque data the provider needs to find its room again (external engines). */
  readonly providerRef: string | null;
}

/** What a meeting platform hands back for a room: everything a participant needs to join. */
export interface RoomDetails extends RoomCodes {
  readonly joinUrl: string;
  /** Null when the platform takes no SIP calls (the built-in one with ROOMLINK_SIP_DOMAIN=none). */
  readonly sipUri: string | null;
  readonly dialIn: string | null;
}

export interface Meeting {
  readonly id: string;
  readonly tenantId: string;
  readonly organizerId: string;
  readonly provider: string;
  readonly status: MeetingStatus;
  readonly subject: string;
  readonly start: Date;
  readonly end: Date;
  readonly timeZone: string | null;
  readonly recurrence: Recurrence | null;
  readonly options: MeetingOptions;
  readonly room: RoomDetails;
  readonly validFrom: Date;
  readonly validUntil: Date;
  /**
   * A series with no end: the UTC day (YYYY-MM-DD) calendar sync last saw it in the organizer's
   * calendar, from which its room and metadata are kept another 2 years; null when never seen.
   */
  readonly seriesSeenOn: string | null;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * A meeting as its organizer sees it, in plain JSON values: what the API answers and what a
 * data-subject export holds, so that both always show the same fields.
 */
export function meetingRecord(m: Meeting) {
  return {
    id: m.id,
    status: m.status,
    subject: m.subject,
    start: m.start.toISOString(),
    end: m.end.toISOString(),
    timeZone: m.timeZone,
    recurrence: m.recurrence,
    options: m.options,
    joinUrl: m.room.joinUrl,
    sipUri: m.room.sipUri,
    conferenceId: m.room.conferenceId,
    hostPin: m.room.hostPin,
    guestPin: m.room.guestPin,
    dialIn: m.room.dialIn,
    validFrom: m.validFrom.toISOString(),
    validUntil: m.validUntil.toISOString(),
    version: m.version,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
}

export type MeetingRecord = ReturnType<typeof meetingRecord>;

/** A meeting row as stored: sensitive values are ciphertext (see crypto/envelope.ts). */
export interface StoredMeeting {
  readonly id: string;
  readonly tenantId: string;
  readonly organizerId: string;
  readonly idempotencyKey: string | null;
  readonly provider: string;
  readonly status: MeetingStatus;
  readonly subjectCt: string;
  readonly startCt: string;
  readonly endCt: string;
  readonly recurrenceCt: string | null;
  readonly timeZone: string | null;
  readonly options: MeetingOptions;
  readonly slug: string;
  readonly conferenceId: string;
  readonly hostPinCt: string;
  readonly guestPinCt: string | null;
  readonly providerRef: string | null;
  readonly purgeAfter: string;
  /** See Meeting.seriesSeenOn; clear, day granularity. */
  readonly seriesSeenOn: string | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What confirming an open-ended series writes (see MeetingService.confirmSeries). */
export interface SeriesConfirmation {
  readonly tenantId: string;
  readonly id: string;
  /** The row's version when read: a meeting updated meanwhile is left alone. */
  readonly version: number;
  readonly seriesSeenOn: string;
  /** The purge day the new horizon implies; the stored day only ever moves later. */
  readonly purgeAfter: string;
}

/** A later purge day for a series whose occurrence was moved (see MeetingService.coverOccurrence). */
export interface PurgeExtension {
  readonly tenantId: string;
  readonly id: string;
  /** The row's version when read: a meeting updated meanwhile is left alone. */
  readonly version: number;
  /** The stored day only ever moves later. */
  readonly purgeAfter: string;
}

export type InsertOutcome = 'inserted' | 'conflict';

/** Which meeting holds an external engine's room. */
export interface ProviderRoomRef {
  readonly meetingId: string;
  readonly slug: string;
}

export interface MeetingRepository {
  /** Never throws on a unique conflict (idempotency key, slug, conference id): returns 'conflict'. */
  insert(meeting: StoredMeeting): Promise<InsertOutcome>;
  findById(tenantId: string, id: string): Promise<StoredMeeting | undefined>;
  findByIdempotencyKey(
    tenantId: string,
    organizerId: string,
    key: string,
  ): Promise<StoredMeeting | undefined>;
  findBySlug(slug: string): Promise<StoredMeeting | undefined>;
  /**
   * The rooms, of any tenant, that `provider` knows by one of `refs` (the engine's meeting ids):
   * their meeting id and slug only. Refs no meeting has (another deployment's on the same engine)
   * are left out.
   */
  findRoomsByProviderRefs(provider: string, refs: readonly string[]): Promise<ProviderRoomRef[]>;
  /** Optimistic: writes only when the stored version is `meeting.version - 1`. */
  update(meeting: StoredMeeting): Promise<boolean>;
  /**
   * Records that an open-ended series was seen on `seriesSeenOn` and moves its purge day later (never
   * earlier), without a new version: only a scheduled meeting still at `version` whose stored day is
   * older. True when it wrote.
   */
  confirmSeries(confirmation: SeriesConfirmation): Promise<boolean>;
  /**
   * Moves the purge day of a scheduled meeting still at `version` later, never earlier, without a
   * new version. True when it wrote.
   */
  extendPurgeAfter(extension: PurgeExtension): Promise<boolean>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /**
   * Moves a meeting to `toUserId` (reclaim.ts) in one guarded statement: only while its organizer is
   * still `fromUserId`, that user is signed out (never from an active or needs-sign-in user), its
   * idempotency key is `key`, and `toUserId` has no meeting with that key. The version is kept: the
   * meeting's content is unchanged. True when it wrote.
   */
  reassignFromSignedOut(reassignment: Reassignment): Promise<boolean>;
}

export interface Reassignment {
  readonly tenantId: string;
  readonly id: string;
  readonly fromUserId: string;
  readonly toUserId: string;
  readonly key: string;
}
