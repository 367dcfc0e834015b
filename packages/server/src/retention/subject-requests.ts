/**
 * Data-subject requests about one user: export everything Roomlink holds about them (decrypted),
 * or erase them (signed out for good first, then their rooms cancelled and their meetings, tokens,
 * sessions and user row deleted).
 * Both are audit-logged by ids and counts.
 *
 * Audit entries about an erased user are kept: they hold ids and counts only, and the user id is a
 * random UUID that, once the user row is gone, links to nobody (docs/privacy.md).
 */
import type { FieldCipher } from '../crypto/envelope.js';
import {
  type Meeting,
  type MeetingRecord,
  meetingRecord,
  type RoomDetails,
} from '../domain/meetings/meeting.js';
import type { MeetingProvider } from '../domain/meetings/provider.js';
import type { MeetingService } from '../domain/meetings/service.js';
import type { KyselyRetentionRepository } from '../store/repositories/retention.js';
import type { KyselySubjectRepository, MeetingRef } from '../store/repositories/retention-subjects.js';
import type { UserTable } from '../store/schema.js';
import { RetentionError } from './errors.js';
import type { RetentionLogger } from './job.js';

export const EXPORT_FORMAT = 'roomlink-user-export/1';

export interface UserExport {
  readonly format: typeof EXPORT_FORMAT;
  readonly exportedAt: string;
  readonly user: {
    readonly id: string;
    readonly tenantId: string;
    readonly name: string | null;
    readonly upn: string | null;
    readonly exchangeId: string | null;
    readonly status: string;
    readonly isTenantAdmin: boolean;
    readonly settings: unknown;
    readonly lastSignInAt: string | null;
    readonly createdAt: string;
  };
  readonly meetings: readonly ExportedMeeting[];
  readonly sessions: readonly { kind: string; createdAt: string; expiresAt: string }[];
  readonly oauthTokens:
    | { readonly held: false }
    | { readonly held: true; readonly updatedAt: string; readonly accessTokenExpiresAt: string | null };
  /** Rows held in other tables about the user (calendar sync state…), by table. */
  readonly otherRecords: Readonly<Record<string, number>>;
  readonly audit: readonly {
    id: string;
    action: string;
    actorId: string | null;
    targetType: string | null;
    targetId: string | null;
    details: unknown;
    createdAt: string;
  }[];
}

export type ExportedMeeting =
  | MeetingRecord
  | { readonly id: string; readonly status: string; readonly unreadable: true };

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

export class SubjectRequestService {
  readonly #now: () => Date;

  constructor(private readonly deps: SubjectRequestDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  async export(userId: string, scope: RequestScope): Promise<UserExport> {
    const user = await this.#user(userId, scope);
    const meetings: ExportedMeeting[] = [];
    await this.#eachMeetingPage(user, async (page) => {
      for (const ref of page) meetings.push(await this.#exportMeeting(ref));
      return page.at(-1)?.id;
    });
    const [sessions, token, held, audit] = await Promise.all([
      this.deps.subjects.sessionsOf(user.id),
      this.deps.subjects.tokenInfo(user.id),
      this.deps.subjects.rowsHeldFor(user.id),
      this.deps.subjects.auditAbout(user.tenant_id, user.id),
    ]);
    const now = this.#now();
    const result: UserExport = {
      format: EXPORT_FORMAT,
      exportedAt: now.toISOString(),
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
      },
      meetings,
      sessions: sessions.map((s) => ({ kind: s.kind, createdAt: s.created_at, expiresAt: s.expires_at })),
      oauthTokens: token
        ? { held: true, updatedAt: token.updated_at, accessTokenExpiresAt: token.access_expires_at }
        : { held: false },
      otherRecords: Object.fromEntries(
        Object.entries(held).filter(([table, n]) => n > 0 && table !== 'sessions' && table !== 'user_tokens'),
      ),
      audit: audit.map((a) => ({
        id: a.id,
        action: a.action,
        actorId: a.actor_id,
        targetType: a.target_type,
        targetId: a.target_id,
        details: JSON.parse(a.details),
        createdAt: a.created_at,
      })),
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
      const page = await this.deps.subjects.meetingsOrganisedBy(user.tenant_id, user.id, after, PAGE);
      if (page.length === 0) return;
      after = (await handle(page)) ?? after;
      if (page.length < PAGE) return;
    }
  }

  async #exportMeeting(ref: MeetingRef): Promise<ExportedMeeting> {
    let m: Meeting;
    try {
      m = await this.deps.meetings.get(organiser(ref), ref.id);
    } catch {
      return { id: ref.id, status: ref.status, unreadable: true };
    }
    return meetingRecord(m);
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

  async #open(user: UserTable, column: string, value: string | null): Promise<string | null> {
    if (value === null) return null;
    return this.deps.cipher.decrypt(
      { tenantId: user.tenant_id, table: 'users', column, rowId: user.id },
      value,
    );
  }
}

function organiser(ref: MeetingRef) {
  return { tenantId: ref.tenant_id, userId: ref.organizer_id, isTenantAdmin: false };
}
