/**
 * Data-subject requests about one user: export everything Roomlink holds about them (decrypted),
 * or erase them (signed out for good first, then their rooms cancelled and their meetings, tokens,
 * sessions and user row deleted). A tenant export holds every user's export, the meetings of
 * organisers whose user row is gone, the tenant's settings and its whole audit log.
 * All are audit-logged by ids and counts.
 *
 * Audit entries about an erased user are kept: they hold ids and counts only, and the user id is a
 * random UUID that, once the user row is gone, links to nobody (docs/privacy.md).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FieldCipher } from '../crypto/envelope.js';
import {
  type Meeting,
  type MeetingRecord,
  meetingRecord,
  type RoomDetails,
} from '../domain/meetings/meeting.js';
import type { MeetingProvider } from '../domain/meetings/provider.js';
import type { MeetingService } from '../domain/meetings/service.js';
import { openLinkField } from '../domain/sync/links.js';
import { openOverride } from '../domain/sync/occurrences.js';
import type { KyselyRetentionRepository } from '../store/repositories/retention.js';
import type {
  JobNamingUser,
  KyselySubjectRepository,
  MeetingRef,
} from '../store/repositories/retention-subjects.js';
import type { SyncOccurrenceTable } from '../store/repositories/sync-tables.js';
import type { AuditTable, UserTable } from '../store/schema.js';
import { RetentionError } from './errors.js';
import type { RetentionLogger } from './job.js';

export const EXPORT_FORMAT = 'roomlink-user-export/1';
export const TENANT_EXPORT_FORMAT = 'roomlink-tenant-export/1';

/** A value held encrypted that no longer decrypts (e.g. its ciphertext was damaged). */
export interface Unreadable {
  readonly unreadable: true;
}

/** What a user export holds, less its format, time and audit entries (a tenant export's unit). */
export interface UserHoldings {
  readonly user: {
    readonly id: string;
    readonly tenantId: string;
    /** Marked unreadable, like a meeting, when it no longer decrypts: the rest is still exported. */
    readonly name: string | null | Unreadable;
    readonly upn: string | null | Unreadable;
    readonly exchangeId: string | null;
    readonly status: string;
    readonly isTenantAdmin: boolean;
    readonly settings: unknown;
    readonly lastSignInAt: string | null;
    readonly createdAt: string;
    /** The claims challenge Microsoft Entra asked the next sign-in to satisfy, as received. */
    readonly pendingClaims: string | null;
  };
  readonly meetings: readonly ExportedMeeting[];
  readonly sessions: readonly { kind: string; createdAt: string; expiresAt: string }[];
  readonly oauthTokens:
    | { readonly held: false }
    | { readonly held: true; readonly updatedAt: string; readonly accessTokenExpiresAt: string | null };
  readonly calendarSync: ExportedCalendarSync;
  /** Queued jobs (calendar sync's) whose payload names the user. */
  readonly queuedJobs: { readonly count: number; readonly jobs: readonly JobNamingUser[] };
  /**
   * Rows held in other tables about the user, by table, whose content is not exported: sign-in
   * handoff codes (secrets, minutes long) and tables this code does not know.
   */
  readonly otherRecords: Readonly<Record<string, number>>;
}

export interface UserExport extends UserHoldings {
  readonly format: typeof EXPORT_FORMAT;
  readonly exportedAt: string;
  readonly audit: readonly ExportedAuditEntry[];
}

export interface ExportedAuditEntry {
  readonly id: string;
  readonly action: string;
  readonly actorId: string | null;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly details: unknown;
  readonly createdAt: string;
}

/** An occurrence of a series that calendar sync saw moved or cancelled in the organiser's calendar. */
export type ExportedOccurrence =
  | {
      readonly originalStart: string;
      readonly originalEnd: string;
      readonly start: string;
      readonly end: string;
      readonly cancelled: boolean;
      readonly updatedAt: string;
    }
  | { readonly unreadable: true; readonly updatedAt: string };

/**
 * What is held about a meeting in clear, beside its encrypted values: exported even when those no
 * longer decrypt.
 */
export interface MeetingBookkeeping {
  readonly organizerId: string;
  /** The meeting provider that holds its room (`builtin`, or a configured one). */
  readonly provider: string;
  /** The day (YYYY-MM-DD, UTC) from which retention deletes the meeting and what belongs to it. */
  readonly purgeOn: string;
  /** A series with no end: the day (UTC) calendar sync last saw it in the organiser's calendar. */
  readonly seriesSeenOn: string | null;
}

export type ExportedMeeting = (
  | MeetingRecord
  | { readonly id: string; readonly status: string; readonly unreadable: true }
) &
  MeetingBookkeeping & { readonly occurrences: readonly ExportedOccurrence[] };

/**
 * Calendar sync's records about the user's mailbox. Secrets are shown as held or not only: the
 * subscription's client state and the delta link (a cursor into the mailbox's changes).
 */
export interface ExportedCalendarSync {
  readonly mailbox: {
    readonly status: string;
    readonly subscription: {
      readonly id: string;
      readonly expiresAt: string | null;
      readonly clientStateHeld: boolean;
    } | null;
    readonly deltaLink: { readonly held: boolean; readonly startedAt: string | null };
    readonly lastChangeAt: string | null;
    readonly lastReconciledAt: string | null;
    readonly createdAt: string;
    readonly updatedAt: string;
  } | null;
  /** Calendar events linked to Roomlink meetings: the Outlook event id and the version applied. */
  readonly events: readonly (
    | {
        readonly meetingId: string;
        readonly kind: string;
        readonly eventId: string;
        readonly appliedVersion: unknown;
        readonly updatedAt: string;
      }
    | {
        readonly meetingId: string;
        readonly kind: string;
        readonly unreadable: true;
        readonly updatedAt: string;
      }
  )[];
}

export interface TenantExportHead {
  readonly format: typeof TENANT_EXPORT_FORMAT;
  readonly exportedAt: string;
  readonly tenant: {
    readonly id: string;
    readonly settings: unknown;
    readonly contractEnd: string | null;
    /**
     * The retention period last applied to the tenant's existing meetings (after it was shortened),
     * or null when none was ever applied. `days` null: the default, 3 months.
     */
    readonly retentionApplied: { readonly days: number | null; readonly appliedAt: string } | null;
    readonly createdAt: string;
    readonly updatedAt: string;
  };
}

/**
 * A tenant export: `TenantExportHead` and then `users` (UserHoldings each), `meetingsWithoutUser`
 * and `audit` (the tenant's whole log, oldest first), as JSON text in chunks: a tenant's data need
 * not fit in memory, one page of it at a time does.
 */
export type TenantExport = AsyncIterable<string>;

export interface ErasureResult {
  readonly userId: string;
  readonly tenantId: string;
  readonly meetings: number;
  readonly rows: Readonly<Record<string, number>>;
  /** Late meetings (deleted with the user row) whose room could not be ended; absent when none. */
  readonly roomsNotEnded?: number;
}

export interface SubjectRequestDeps {
  readonly subjects: KyselySubjectRepository;
  readonly audit: Pick<KyselyRetentionRepository, 'appendAudit' | 'quietLog'>;
  readonly meetings: MeetingService;
  readonly providers: ReadonlyMap<string, MeetingProvider>;
  readonly cipher: FieldCipher;
  /** Runs before an erasure deletes anything, e.g. to delete the user's Graph subscription. */
  readonly beforeErase?: (userId: string) => Promise<void>;
  /** Told, without personal data, of rooms an erasure could not end. */
  readonly logger?: Pick<RetentionLogger, 'warn'>;
  readonly now?: () => Date;
}

export interface RequestScope {
  /** Who asks: an admin's user id, or `cli`. */
  readonly actor: string;
  /** The admin's tenant: a user of another tenant is answered as unknown. Absent for operators. */
  readonly tenantId?: string;
}

const PAGE = 200;

/**
 * Lets the event loop run before the export goes on. On SQLite every query is synchronous
 * (better-sqlite3) and so is decryption: an export awaiting only those never gives other requests a
 * turn, and a tenant of thousands of users would stall the server for seconds. Exports call this
 * between users and between pages.
 */
const yieldToOthers = (): Promise<void> => nextTurn();

/** Tables with a `user_id` column whose content the export shows, so not counted in otherRecords. */
const EXPORTED_TABLES = new Set(['sessions', 'user_tokens', 'sync_users', 'sync_events']);

export class SubjectRequestService {
  readonly #now: () => Date;

  constructor(private readonly deps: SubjectRequestDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  async export(userId: string, scope: RequestScope): Promise<UserExport> {
    const user = await this.#user(userId, scope);
    const meetings: ExportedMeeting[] = [];
    await this.#eachMeetingPage(user, async (page) => {
      meetings.push(...(await this.#exportMeetings(page)));
      return page.at(-1)?.id;
    });
    const [holdings, audit] = await Promise.all([
      this.#holdings(user),
      this.deps.subjects.auditAbout(user.tenant_id, user.id),
    ]);
    const now = this.#now();
    const { user: profile, ...rest } = holdings;
    const result: UserExport = {
      format: EXPORT_FORMAT,
      exportedAt: now.toISOString(),
      user: profile,
      meetings,
      ...rest,
      audit: audit.map(auditEntry),
    };
    await this.deps.audit.appendAudit(
      {
        tenantId: user.tenant_id,
        actorId: scope.actor,
        action: 'user.exported',
        targetType: 'user',
        targetId: user.id,
        details: { meetings: meetings.length },
      },
      now,
    );
    return result;
  }

  /**
   * Everything held about a tenant. Resolves once the tenant is known and the export audit-logged
   * (before any data leaves: a download cut short was still an export); the body is then read page
   * by page as it is consumed, so it is not a point-in-time snapshot of a tenant in use.
   */
  async exportTenant(tenantId: string, scope: RequestScope): Promise<TenantExport> {
    const tenant =
      scope.tenantId === undefined || scope.tenantId === tenantId
        ? await this.deps.subjects.findTenant(tenantId)
        : undefined;
    if (!tenant) throw new RetentionError('tenant_not_found', `no tenant ${tenantId}`);
    const now = this.#now();
    const [users, meetings, retention] = await Promise.all([
      this.deps.subjects.userCount(tenant.id),
      this.deps.subjects.meetingCounts(tenant.id),
      this.deps.subjects.tenantRetention(tenant.id),
    ]);
    await this.deps.audit.appendAudit(
      {
        tenantId: tenant.id,
        actorId: scope.actor,
        action: 'tenant.exported',
        targetType: 'tenant',
        targetId: tenant.id,
        details: { users, meetings: meetings.scheduled + meetings.cancelled },
      },
      now,
    );
    const head: TenantExportHead = {
      format: TENANT_EXPORT_FORMAT,
      exportedAt: now.toISOString(),
      tenant: {
        id: tenant.id,
        settings: JSON.parse(tenant.settings),
        contractEnd: tenant.contract_end,
        retentionApplied: retention ? { days: retention.days, appliedAt: retention.appliedAt } : null,
        createdAt: tenant.created_at,
        updatedAt: tenant.updated_at,
      },
    };
    return this.#tenantChunks(head);
  }

  async *#tenantChunks(head: TenantExportHead): AsyncGenerator<string> {
    const tenantId = head.tenant.id;
    yield `${JSON.stringify(head).slice(0, -1)},\n"users":[`;
    let first = true;
    for (let after = ''; ; ) {
      const users = await this.deps.subjects.usersPage(tenantId, after, PAGE);
      for (const user of users) {
        await yieldToOthers();
        yield `${first ? '' : ','}\n`;
        first = false;
        yield* this.#userChunks(user);
      }
      const last = users.at(-1);
      if (!last || users.length < PAGE) break;
      after = last.id;
    }
    yield '\n],\n"meetingsWithoutUser":[';
    yield* this.#meetingItems((after) => this.deps.subjects.meetingsWithoutUser(tenantId, after, PAGE));
    yield '\n],\n"audit":[';
    first = true;
    for (let after: AuditTable | undefined; ; ) {
      await yieldToOthers();
      const page = await this.deps.subjects.auditPage(
        tenantId,
        after && { createdAt: after.created_at, id: after.id },
        PAGE,
      );
      for (const entry of page) {
        yield `${first ? '' : ','}\n${JSON.stringify(auditEntry(entry))}`;
        first = false;
      }
      after = page.at(-1);
      if (!after || page.length < PAGE) break;
    }
    yield '\n]}\n';
  }

  /** One user of a tenant export: UserHoldings, its meetings a page at a time. */
  async *#userChunks(user: UserTable): AsyncGenerator<string> {
    const { user: profile, ...rest } = await this.#holdings(user);
    yield `{"user":${JSON.stringify(profile)},"meetings":[`;
    yield* this.#meetingItems((after) =>
      this.deps.subjects.meetingsOrganisedBy(user.tenant_id, user.id, after, PAGE),
    );
    yield `],${JSON.stringify(rest).slice(1)}`;
  }

  /** A JSON array's items: the meetings `pageOf` gives, by id after `after`, a page at a time. */
  async *#meetingItems(pageOf: (after: string) => Promise<MeetingRef[]>): AsyncGenerator<string> {
    let first = true;
    for (let after = ''; ; ) {
      await yieldToOthers();
      const page = await pageOf(after);
      for (const meeting of await this.#exportMeetings(page)) {
        yield `${first ? '' : ','}\n${JSON.stringify(meeting)}`;
        first = false;
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) return;
      after = last.id;
    }
  }

  /** What is held about the user besides meetings and audit entries. */
  async #holdings(user: UserTable): Promise<Omit<UserHoldings, 'meetings'>> {
    const [sessions, token, held, calendarSync, jobs] = await Promise.all([
      this.deps.subjects.sessionsOf(user.id),
      this.deps.subjects.tokenInfo(user.id),
      this.deps.subjects.rowsHeldFor(user.id),
      this.#calendarSync(user),
      this.deps.subjects.jobsNaming(user.id),
    ]);
    return {
      user: {
        id: user.id,
        tenantId: user.tenant_id,
        name: await this.#open(user, 'display_name', user.display_name_ct),
        upn: await this.#open(user, 'upn', user.upn_ct),
        exchangeId: user.exchange_id,
        status: user.status,
        isTenantAdmin: Number(user.is_admin) === 1,
        settings: JSON.parse(user.settings),
        lastSignInAt: user.last_sign_in_at,
        createdAt: user.created_at,
        pendingClaims: user.pending_claims,
      },
      sessions: sessions.map((s) => ({ kind: s.kind, createdAt: s.created_at, expiresAt: s.expires_at })),
      oauthTokens: token
        ? { held: true, updatedAt: token.updated_at, accessTokenExpiresAt: token.access_expires_at }
        : { held: false },
      calendarSync,
      queuedJobs: { count: jobs.length, jobs },
      otherRecords: Object.fromEntries(
        Object.entries(held).filter(([table, n]) => n > 0 && !EXPORTED_TABLES.has(table)),
      ),
    };
  }

  async #calendarSync(user: UserTable): Promise<ExportedCalendarSync> {
    const [mailbox, events] = await Promise.all([
      this.deps.subjects.syncUserOf(user.id),
      this.deps.subjects.syncEventsOf(user.id),
    ]);
    return {
      mailbox: mailbox
        ? {
            status: mailbox.status,
            subscription: mailbox.subscription_id
              ? {
                  id: mailbox.subscription_id,
                  expiresAt: mailbox.subscription_expires_at,
                  clientStateHeld: mailbox.client_state_hash !== null,
                }
              : null,
            deltaLink: { held: mailbox.delta_link_ct !== null, startedAt: mailbox.delta_started_at },
            lastChangeAt: mailbox.last_change_at,
            lastReconciledAt: mailbox.last_reconciled_at,
            createdAt: mailbox.created_at,
            updatedAt: mailbox.updated_at,
          }
        : null,
      events: await Promise.all(
        events.map(async (e) => {
          const link = { tenantId: e.tenant_id, meetingId: e.meeting_id };
          try {
            const [eventId, version] = await Promise.all([
              openLinkField(this.deps.cipher, link, 'event_id', e.event_id_ct),
              openLinkField(this.deps.cipher, link, 'version', e.version_ct),
            ]);
            return {
              meetingId: e.meeting_id,
              kind: e.kind,
              eventId,
              appliedVersion: JSON.parse(version) as unknown,
              updatedAt: e.updated_at,
            };
          } catch {
            return {
              meetingId: e.meeting_id,
              kind: e.kind,
              unreadable: true as const,
              updatedAt: e.updated_at,
            };
          }
        }),
      ),
    };
  }

  async erase(userId: string, scope: RequestScope): Promise<ErasureResult> {
    const user = await this.#user(userId, scope);
    await this.deps.beforeErase?.(user.id);
    // SQLite: deleted rows' old page images must not stay in the write-ahead log (see quietLog).
    const log = await this.deps.audit.quietLog();
    try {
      // First the user can no longer act: sessions of both kinds (and every other row of theirs)
      // deleted and the user marked signed out, before any meeting is deleted. A create that
      // authenticated earlier writes nothing once its session is gone (MeetingService.create). As a
      // backstop, a meeting inserted meanwhile by a caller without a session is deleted by the last
      // step with the user row, in one transaction, so no meeting outlives its erased organiser.
      const signedOut = await this.deps.subjects.signOutForErasure(user.tenant_id, user.id);
      let meetings = 0;
      await this.#eachMeetingPage(user, async (page) => {
        for (const ref of page) await this.#endRoom(ref);
        meetings += (
          await this.deps.subjects.deleteMeetings(
            user.tenant_id,
            page.map((m) => m.id),
          )
        ).rows;
        return page.at(-1)?.id;
      });
      const last = await this.deps.subjects.deleteUser(user.tenant_id, user.id);
      // Their rows are gone already: the room is ended from the meeting's clear-text codes. Best
      // effort: the user row is gone too, so a failure here must not keep the audit entry from
      // being written (a retry would find no user); it is counted and logged instead.
      let roomsNotEnded = 0;
      for (const ref of last.meetings) {
        try {
          await this.#endRoom(ref);
        } catch (error) {
          roomsNotEnded++;
          this.deps.logger?.warn(
            {
              tenantId: ref.tenant_id,
              meetingId: ref.id,
              provider: ref.provider,
              error: error instanceof Error ? error.name : typeof error,
            },
            'erasure: the room of a meeting deleted with its erased organiser could not be ended',
          );
        }
      }
      meetings += last.meetings.length;
      const counts: Record<string, number> = {};
      for (const rows of [signedOut.rows, last.rows]) {
        for (const [table, n] of Object.entries(rows)) if (n > 0) counts[table] = (counts[table] ?? 0) + n;
      }
      await log.checkpoint();
      await log.truncateOnNextCommit();
      await this.deps.audit.appendAudit(
        {
          tenantId: user.tenant_id,
          actorId: scope.actor,
          action: 'user.erased',
          targetType: 'user',
          targetId: user.id,
          details: { meetings, ...counts, ...(roomsNotEnded > 0 ? { roomsNotEnded } : {}) },
        },
        this.#now(),
      );
      await log.checkpoint();
      return {
        userId: user.id,
        tenantId: user.tenant_id,
        meetings,
        rows: counts,
        ...(roomsNotEnded > 0 ? { roomsNotEnded } : {}),
      };
    } finally {
      await log.close();
    }
  }

  async #user(userId: string, scope: RequestScope): Promise<UserTable> {
    const user = await this.deps.subjects.findUser(userId);
    // Another tenant's user is answered exactly like a missing one.
    if (!user || (scope.tenantId !== undefined && user.tenant_id !== scope.tenantId)) {
      throw new RetentionError('user_not_found', `no user ${userId}`);
    }
    return user;
  }

  async #eachMeetingPage(
    user: UserTable,
    handle: (page: MeetingRef[]) => Promise<string | undefined>,
  ): Promise<void> {
    let after = '';
    for (;;) {
      await yieldToOthers();
      const page = await this.deps.subjects.meetingsOrganisedBy(user.tenant_id, user.id, after, PAGE);
      if (page.length === 0) return;
      after = (await handle(page)) ?? after;
      if (page.length < PAGE) return;
    }
  }

  /** A page of meetings with their occurrence overrides (one query for the page's overrides). */
  async #exportMeetings(page: readonly MeetingRef[]): Promise<ExportedMeeting[]> {
    const tenantId = page[0]?.tenant_id;
    if (tenantId === undefined) return [];
    const overrides = new Map<string, SyncOccurrenceTable[]>();
    for (const row of await this.deps.subjects.occurrencesOf(
      tenantId,
      page.map((m) => m.id),
    )) {
      overrides.set(row.meeting_id, [...(overrides.get(row.meeting_id) ?? []), row]);
    }
    const meetings: ExportedMeeting[] = [];
    for (const ref of page) {
      const occurrences = await Promise.all((overrides.get(ref.id) ?? []).map((o) => this.#occurrence(o)));
      const bookkeeping: MeetingBookkeeping = {
        organizerId: ref.organizer_id,
        provider: ref.provider,
        purgeOn: ref.purge_after,
        seriesSeenOn: ref.series_seen_on,
      };
      let m: Meeting;
      try {
        m = await this.deps.meetings.get(organiser(ref), ref.id);
      } catch {
        meetings.push({ id: ref.id, status: ref.status, unreadable: true, ...bookkeeping, occurrences });
        continue;
      }
      meetings.push({ ...meetingRecord(m), ...bookkeeping, occurrences });
    }
    return meetings;
  }

  async #occurrence(row: SyncOccurrenceTable): Promise<ExportedOccurrence> {
    try {
      const o = await openOverride(this.deps.cipher, {
        meetingId: row.meeting_id,
        tenantId: row.tenant_id,
        occurrenceKey: row.occurrence_key,
        windowCt: row.window_ct,
      });
      return {
        originalStart: o.originalStart.toISOString(),
        originalEnd: o.originalEnd.toISOString(),
        start: o.start.toISOString(),
        end: o.end.toISOString(),
        cancelled: o.cancelled,
        updatedAt: row.updated_at,
      };
    } catch {
      return { unreadable: true, updatedAt: row.updated_at };
    }
  }

  /** Ends the room for good; a row that no longer decrypts is ended by its clear-text codes. */
  async #endRoom(ref: MeetingRef): Promise<void> {
    const provider = this.deps.providers.get(ref.provider);
    if (!provider) throw new Error(`meeting provider "${ref.provider}" is not configured`);
    if (ref.status !== 'scheduled' && !provider.deleteRoom) return;
    let room: RoomDetails;
    try {
      room = (await this.deps.meetings.get(organiser(ref), ref.id)).room;
    } catch {
      room = provider.describeRoom({
        slug: ref.slug,
        conferenceId: ref.conference_id,
        hostPin: '',
        guestPin: null,
        providerRef: ref.provider_ref,
      });
    }
    if (ref.status === 'scheduled') await provider.cancelRoom(room, ref.id);
    await provider.deleteRoom?.(room, ref.id);
  }

  async #open(user: UserTable, column: string, value: string | null): Promise<string | null | Unreadable> {
    if (value === null) return null;
    try {
      return await this.deps.cipher.decrypt(
        { tenantId: user.tenant_id, table: 'users', column, rowId: user.id },
        value,
      );
    } catch {
      // One user's damaged name must not cut a whole tenant's export short.
      return { unreadable: true };
    }
  }
}

function auditEntry(a: AuditTable): ExportedAuditEntry {
  return {
    id: a.id,
    action: a.action,
    actorId: a.actor_id,
    targetType: a.target_type,
    targetId: a.target_id,
    details: JSON.parse(a.details),
    createdAt: a.created_at,
  };
}

function organiser(ref: MeetingRef) {
  return { tenantId: ref.tenant_id, userId: ref.organizer_id, isTenantAdmin: false };
}
