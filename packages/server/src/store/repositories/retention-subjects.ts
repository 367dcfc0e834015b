/**
 * Queries for data-subject requests (export, erasure) and the admin console's views of a tenant's
 * users. Everything is scoped to one tenant except the lookup of a user by id (the CLI's).
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { AuditTable, Database, MeetingTable, TenantTable, UserTable } from '../schema.js';
import { payloadUserSql, pgBossJobTables } from './job-payloads.js';
import { deleteMeetingAudit } from './retention.js';
import {
  inList,
  lockMeetings,
  type RetentionDatabase,
  tablesWithColumn,
  timedTransaction,
  withRetentionTables,
} from './retention-tables.js';
import {
  type SyncDatabase,
  type SyncEventTable,
  type SyncOccurrenceTable,
  type SyncUserTable,
  withSyncTables,
} from './sync-tables.js';
import { SIGNED_OUT } from './users.js';

export type MeetingRef = Pick<
  MeetingTable,
  | 'id'
  | 'tenant_id'
  | 'organizer_id'
  | 'status'
  | 'provider'
  | 'slug'
  | 'conference_id'
  | 'provider_ref'
  | 'purge_after'
  | 'series_seen_on'
>;

export interface UserWithCounts extends UserTable {
  readonly meetings: number;
}

/** A queued job whose payload names a user: what it is and since when, never its payload. */
export interface JobNamingUser {
  readonly kind: string;
  readonly status: string;
  readonly createdAt: string;
}

/** Where a page of the admin console's users starts: after this user (ordered by creation, then id). */
export interface UserCursor {
  readonly createdAt: string;
  readonly id: string;
}

/** What retention last applied to a tenant's existing meetings (migration 0004's tenant_retention). */
export interface TenantRetentionApplied {
  /** Days applied; null: the product default (3 months). */
  readonly days: number | null;
  readonly appliedAt: string;
}

/** Where an audit page starts: after this entry (entries are ordered by time, then id). */
export interface AuditCursor {
  readonly createdAt: string;
  readonly id: string;
}

export class KyselySubjectRepository {
  readonly #sync: Kysely<SyncDatabase>;
  readonly #retention: Kysely<RetentionDatabase>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    /** PostgreSQL: the schema of calendar sync's pg-boss queue, whose tables hold its job payloads. */
    private readonly pgBossSchema?: string,
  ) {
    this.#sync = withSyncTables(db);
    this.#retention = withRetentionTables(db);
  }

  async findTenant(tenantId: string): Promise<TenantTable | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
  }

  /** The retention period last applied to the tenant's meetings; undefined when never applied. */
  async tenantRetention(tenantId: string): Promise<TenantRetentionApplied | undefined> {
    const row = await this.#retention
      .selectFrom('tenant_retention')
      .select(['applied_days', 'applied_at'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return (
      row && {
        days: row.applied_days === null ? null : Number(row.applied_days),
        appliedAt: row.applied_at,
      }
    );
  }

  /** A page (by id) of the tenant's users, whatever their status. */
  async usersPage(tenantId: string, afterId: string, limit: number): Promise<UserTable[]> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * A page (by id) of the tenant's meetings whose organiser has no user row any more: nobody's
   * user export holds them, a tenant export must.
   */
  async meetingsWithoutUser(tenantId: string, afterId: string, limit: number): Promise<MeetingRef[]> {
    return this.db
      .selectFrom('meetings')
      .select(MEETING_REF)
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('users')
              .select('users.id')
              .whereRef('users.id', '=', 'meetings.organizer_id')
              .whereRef('users.tenant_id', '=', 'meetings.tenant_id'),
          ),
        ),
      )
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** A page of the tenant's whole audit log, oldest first. */
  async auditPage(tenantId: string, after: AuditCursor | undefined, limit: number): Promise<AuditTable[]> {
    let query = this.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    return query.orderBy('created_at').orderBy('id').limit(limit).execute();
  }

  async userCount(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Calendar sync's state of the user's mailbox, if sync knows the user. */
  async syncUserOf(userId: string): Promise<SyncUserTable | undefined> {
    return this.#sync.selectFrom('sync_users').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  /** The calendar events sync linked to meetings, for the user's mailbox. */
  async syncEventsOf(userId: string): Promise<SyncEventTable[]> {
    return this.#sync
      .selectFrom('sync_events')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('meeting_id')
      .execute();
  }

  /** Occurrence overrides sync recorded for these meetings (one page of them). */
  async occurrencesOf(tenantId: string, meetingIds: readonly string[]): Promise<SyncOccurrenceTable[]> {
    if (meetingIds.length === 0) return [];
    return this.#sync
      .selectFrom('sync_occurrences')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('meeting_id', 'in', [...meetingIds])
      .orderBy('meeting_id')
      .orderBy('updated_at')
      .orderBy('occurrence_key')
      .execute();
  }

  /**
   * Jobs waiting, running or dead-lettered whose payload names the user: the embedded queue's
   * `jobs` table and, on PostgreSQL, pg-boss's job and archive tables (matched as
   * KyselySyncRetentionRepository.deleteJobsOfUser matches them).
   */
  async jobsNaming(userId: string): Promise<JobNamingUser[]> {
    const rows = await this.#sync
      .selectFrom('jobs')
      .select(['kind', 'status', 'created_at'])
      .where(sql<boolean>`${payloadUserSql(this.dialect)} = ${userId}`)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const jobs: JobNamingUser[] = rows.map((r) => ({
      kind: r.kind,
      status: r.status,
      createdAt: r.created_at,
    }));
    for (const table of await this.#pgBossTables()) {
      const found = await sql<{ name: string; state: string; created_on: Date | string }>`
        select name, state, created_on from ${sql.table(table)}
        where data ->> 'userId' = ${userId} order by created_on, id`.execute(this.db);
      for (const r of found.rows) {
        jobs.push({ kind: r.name, status: r.state, createdAt: new Date(r.created_on).toISOString() });
      }
    }
    return jobs;
  }

  #pgBossTables(): Promise<string[]> {
    return pgBossJobTables(this.db, this.dialect, this.pgBossSchema);
  }

  async findUser(userId: string): Promise<UserTable | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  }

  /**
   * A page of the tenant's users for the admin console, in the order they were created (ties by
   * id): those after `after`, at most `limit`, each with the number of meetings they organise.
   * Keyset paging: a page costs the same wherever it is, and users created meanwhile are not
   * listed twice.
   */
  async usersByCreation(
    tenantId: string,
    after: UserCursor | undefined,
    limit: number,
  ): Promise<UserWithCounts[]> {
    let query = this.db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
        ]),
      );
    }
    const users = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
    if (users.length === 0) return [];
    const counts = await this.db
      .selectFrom('meetings')
      .select(['organizer_id', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('tenant_id', '=', tenantId)
      .where(
        'organizer_id',
        'in',
        users.map((u) => u.id),
      )
      .groupBy('organizer_id')
      .execute();
    const byOrganizer = new Map(counts.map((c) => [c.organizer_id, Number(c.n)]));
    return users.map((u) => ({ ...u, meetings: byOrganizer.get(u.id) ?? 0 }));
  }

  /** How many of the tenant's users have each status (without reading their rows). */
  async userStatusCounts(tenantId: string): Promise<Record<UserTable['status'], number>> {
    const rows = await this.db
      .selectFrom('users')
      .select(['status', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('tenant_id', '=', tenantId)
      .groupBy('status')
      .execute();
    const counts: Record<UserTable['status'], number> = { active: 0, needs_sign_in: 0, signed_out: 0 };
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  async meetingCounts(tenantId: string): Promise<{ scheduled: number; cancelled: number }> {
    const rows = await this.db
      .selectFrom('meetings')
      .select(['status', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('tenant_id', '=', tenantId)
      .groupBy('status')
      .execute();
    const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { scheduled: of('scheduled'), cancelled: of('cancelled') };
  }

  /** A page (by id) of the meetings a user organises. */
  async meetingsOrganisedBy(
    tenantId: string,
    userId: string,
    afterId: string,
    limit: number,
  ): Promise<MeetingRef[]> {
    return this.db
      .selectFrom('meetings')
      .select(MEETING_REF)
      .where('tenant_id', '=', tenantId)
      .where('organizer_id', '=', userId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Deletes meetings (and rows of other tables that belong to them) in one transaction. */
  async deleteMeetings(tenantId: string, ids: readonly string[]): Promise<{ rows: number; ms: number }> {
    if (ids.length === 0) return { rows: 0, ms: 0 };
    const dependents = await tablesWithColumn(this.db, this.dialect, 'meeting_id');
    const { result, ms } = await timedTransaction(this.db, this.dialect, (trx) =>
      deleteMeetingsIn(trx, this.dialect, dependents, tenantId, ids),
    );
    return { rows: result, ms };
  }

  /** Audit entries the user made or that are about the user, oldest first. */
  async auditAbout(tenantId: string, userId: string): Promise<AuditTable[]> {
    return this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('actor_id', '=', userId), eb('target_id', '=', userId)]))
      .orderBy('created_at')
      .execute();
  }

  async sessionsOf(userId: string): Promise<{ kind: string; created_at: string; expires_at: string }[]> {
    return this.db
      .selectFrom('sessions')
      .select(['kind', 'created_at', 'expires_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  async tokenInfo(
    userId: string,
  ): Promise<{ updated_at: string; access_expires_at: string | null } | undefined> {
    return this.db
      .selectFrom('user_tokens')
      .select(['updated_at', 'access_expires_at'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  /** How many rows each table with a `user_id` column holds for the user. */
  async rowsHeldFor(userId: string): Promise<Record<string, number>> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const held: Record<string, number> = {};
    for (const table of tables) {
      const r = await sql<{ n: string | number }>`
        select count(*) as n from ${sql.table(table)} where user_id = ${userId}`.execute(this.db);
      held[table] = Number(r.rows[0]?.n ?? 0);
    }
    return held;
  }

  /**
   * An erasure's first step, before any meeting is deleted: the user can no longer act. In one
   * transaction, every row of a table with a `user_id` column goes (sessions of both kinds, handoff
   * codes, tokens, sync state…) and the user row is marked signed out, its identifiers cleared. From
   * its commit on no request authenticates as the user (the authenticator refuses a signed-out
   * user's session, even one created later from a handoff code) and no sign-in reaches the row again
   * (a sign-in matches users by Exchange id; without one it creates a new user).
   */
  async signOutForErasure(
    tenantId: string,
    userId: string,
  ): Promise<{ rows: Record<string, number>; ms: number }> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      // The user row first, as sign-out does: a sign-in's token write holds that row (FOR SHARE on
      // PostgreSQL) before it writes its token, so taking the rows in the other order deadlocks.
      await trx
        .updateTable('users')
        .set(SIGNED_OUT)
        .where('tenant_id', '=', tenantId)
        .where('id', '=', userId)
        .execute();
      return deleteUserRows(trx, tables, userId);
    });
    return { rows: result, ms };
  }

  /**
   * An erasure's last step, in one transaction: any meeting the user still organises (a backstop: a
   * create made with a session writes nothing once `signOutForErasure` deleted it, but a caller
   * without a session could still insert one after the erasure's meeting pages), with the rows that
   * belong to it, then every row of a table with a `user_id` column and the user row. The late
   * meetings are returned so that their rooms can be ended.
   */
  async deleteUser(
    tenantId: string,
    userId: string,
  ): Promise<{ rows: Record<string, number>; meetings: MeetingRef[]; ms: number }> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const dependents = await tablesWithColumn(this.db, this.dialect, 'meeting_id');
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      const late = await trx
        .selectFrom('meetings')
        .select(MEETING_REF)
        .where('tenant_id', '=', tenantId)
        .where('organizer_id', '=', userId)
        .orderBy('id')
        .execute();
      await deleteMeetingsIn(
        trx,
        this.dialect,
        dependents,
        tenantId,
        late.map((m) => m.id),
      );
      const rows = await deleteUserRows(trx, tables, userId);
      const user = await trx
        .deleteFrom('users')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', userId)
        .executeTakeFirst();
      rows.users = Number(user.numDeletedRows);
      return { rows, meetings: late };
    });
    return { ...result, ms };
  }
}

const MEETING_REF = [
  'id',
  'tenant_id',
  'organizer_id',
  'status',
  'provider',
  'slug',
  'conference_id',
  'provider_ref',
  'purge_after',
  'series_seen_on',
] as const satisfies readonly (keyof MeetingRef)[];

/** Deletes meetings, the rows of other tables that belong to them and their audit trail. */
async function deleteMeetingsIn(
  trx: Kysely<Database>,
  dialect: DialectName,
  dependents: readonly string[],
  tenantId: string,
  requested: readonly string[],
): Promise<number> {
  const ids = await lockMeetings(trx, dialect, requested);
  if (ids.length === 0) return 0;
  for (const table of dependents) {
    await sql`delete from ${sql.table(table)} where ${inList('meeting_id', ids)}`.execute(trx);
  }
  const r = await trx
    .deleteFrom('meetings')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...ids])
    .executeTakeFirst();
  await deleteMeetingAudit(trx, ids);
  return Number(r.numDeletedRows);
}

/** Deletes the user's rows of every table with a `user_id` column; counts by table. */
async function deleteUserRows(
  trx: Kysely<Database>,
  tables: readonly string[],
  userId: string,
): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const table of tables) {
    const r = await sql`delete from ${sql.table(table)} where user_id = ${userId}`.execute(trx);
    rows[table] = Number(r.numAffectedRows ?? 0n);
  }
  return rows;
}
