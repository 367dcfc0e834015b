/**
 * Retention's view of calendar sync's tables (migration 0003_sync): the sync status the admin
 * console shows, the users whose sync offboarding must stop, and the job queue's leftovers.
 *
 * Meeting- and user-owned sync rows (sync_events, sync_occurrences, sync_users) need nothing here:
 * they have `meeting_id`, `user_id` and `tenant_id` columns, so the generic purges delete them with
 * their meeting, user or tenant (retention-tables.ts). The embedded queue's `jobs` table has none of
 * these columns: its payloads name a user id (and, for change jobs, a Graph event id), so it is swept
 * by payload.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { Database } from '../schema.js';
import { payloadUserSql, pgBossJobTables } from './job-payloads.js';
import { deleteSome, timedTransaction } from './retention-tables.js';
import { type SyncDatabase, type SyncUserTable, withSyncTables } from './sync-tables.js';

export interface SyncStatusRow {
  readonly userId: string;
  readonly status: SyncUserTable['status'];
  readonly lastChangeAt: string | null;
  readonly lastReconciledAt: string | null;
}

/** Dead-lettered jobs are kept this long for an operator to see why, then deleted. */
export const DEAD_JOB_RETENTION_DAYS = 7;
/** pg-boss's dead-letter queues are named `<kind>__dead` (jobs/pg-boss-queue.ts). */
const PG_BOSS_DEAD_SUFFIX = '__dead';

export class KyselySyncRetentionRepository {
  readonly #db: Kysely<SyncDatabase>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    /**
     * PostgreSQL: the schema of calendar sync's pg-boss queue, whose job tables hold the payloads
     * there (the `jobs` table then stays empty).
     */
    private readonly pgBossSchema?: string,
  ) {
    this.#db = withSyncTables(db);
  }

  /**
   * Calendar sync's state for each of the tenant's users that has any; with `userIds`, for those
   * users only (the admin console's page of users).
   */
  async syncStatuses(tenantId: string, userIds?: readonly string[]): Promise<Map<string, SyncStatusRow>> {
    if (userIds?.length === 0) return new Map();
    let query = this.#db
      .selectFrom('sync_users')
      .select(['user_id', 'status', 'last_change_at', 'last_reconciled_at'])
      .where('tenant_id', '=', tenantId);
    if (userIds) query = query.where('user_id', 'in', [...userIds]);
    const rows = await query.execute();
    return new Map(
      rows.map((r) => [
        r.user_id,
        {
          userId: r.user_id,
          status: r.status,
          lastChangeAt: r.last_change_at,
          lastReconciledAt: r.last_reconciled_at,
        },
      ]),
    );
  }

  /** The tenant's users that calendar sync knows (their subscriptions must be deleted first). */
  async syncedUsers(tenantId: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('sync_users')
      .select('user_id')
      .where('tenant_id', '=', tenantId)
      .orderBy('user_id')
      .execute();
    return rows.map((r) => r.user_id);
  }

  /** Deletes the jobs waiting (or dead-lettered) for one user; a running one finishes first. */
  async deleteJobsOfUser(userId: string): Promise<number> {
    const r = await this.#db
      .deleteFrom('jobs')
      .where('status', '<>', 'running')
      .where(sql<boolean>`${payloadUserSql(this.dialect)} = ${userId}`)
      .executeTakeFirst();
    let n = Number(r.numDeletedRows);
    // pg-boss's tables: its queues, the dead letters it copies a failed job's payload into, and the
    // archive of finished jobs.
    for (const table of await this.#pgBossTables()) {
      const done = await sql`delete from ${sql.table(table)}
        where state <> 'active' and data ->> 'userId' = ${userId}`.execute(this.db);
      n += Number(done.numAffectedRows ?? 0n);
    }
    return n;
  }

  /**
   * Deletes up to `limit` jobs that no longer need to exist: those about a user calendar sync no
   * longer knows (signed out, erased, offboarded tenant) and dead letters older than
   * DEAD_JOB_RETENTION_DAYS. Running jobs are left to finish.
   */
  async deleteStaleJobs(asOf: Date, limit: number): Promise<{ rows: number; ms: number }> {
    const deadBefore = new Date(asOf.getTime() - DEAD_JOB_RETENTION_DAYS * 86_400_000).toISOString();
    const user = payloadUserSql(this.dialect);
    const stale = sql`status <> 'running' and (
      (status = 'dead' and updated_at <= ${deadBefore})
      or (${user} is not null and not exists (select 1 from sync_users s where s.user_id = ${user})))`;
    const { result, ms } = await timedTransaction(this.db, this.dialect, (trx) =>
      deleteSome(trx, this.dialect, 'jobs', stale, limit),
    );
    let rows = result;
    let took = ms;
    // pg-boss keeps a dead letter (with the failed job's payload) for weeks unless told otherwise,
    // and its waiting jobs about users sync no longer knows would wait for nothing.
    for (const table of await this.#pgBossTables()) {
      const started = performance.now();
      const done = await sql`delete from ${sql.table(table)} j where j.id in (
          select id from ${sql.table(table)} where state <> 'active' and (
            (right(name, ${PG_BOSS_DEAD_SUFFIX.length}) = ${PG_BOSS_DEAD_SUFFIX} and created_on <= ${deadBefore})
            or (data ->> 'userId' is not null
              and not exists (select 1 from sync_users s where s.user_id = data ->> 'userId')))
          limit ${limit})`.execute(this.db);
      rows += Number(done.numAffectedRows ?? 0n);
      took += performance.now() - started;
    }
    return { rows, ms: took };
  }

  #pgBossTables(): Promise<string[]> {
    return pgBossJobTables(this.db, this.dialect, this.pgBossSchema);
  }
}
