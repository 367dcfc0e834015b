/**
 * Meeting retention in SQL: purging rows whose purge day has come, in small transactions, and
 * shortening purge days when a tenant shortens its retention. Also the audit entries retention and
 * data-subject requests write (ids and counts only).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { Database } from '../schema.js';
import {
  inList,
  lockMeetings,
  type RetentionDatabase,
  type RetentionTables,
  tablesWithColumn,
  tally,
  timedTransaction,
} from './retention-tables.js';

/** What one batch did; `ms` is how long its transaction held the database. */
export interface BatchResult {
  readonly rows: number;
  readonly byTenant: ReadonlyMap<string, number>;
  readonly ms: number;
}

export interface MeetingTimes {
  readonly id: string;
  readonly startCt: string;
  readonly endCt: string;
  /** In clear, as stored: a series' occurrences are placed in it (window.ts, lastEnd). */
  readonly timeZone: string | null;
  readonly recurrenceCt: string | null;
  readonly purgeAfter: string;
  /** An open-ended series: the day calendar sync last saw it (its horizon runs from there). */
  readonly seriesSeenOn: string | null;
  /** When the meeting was cancelled (a cancelled row is never written again), else null. */
  readonly cancelledAt: string | null;
}

export interface TenantRetentionState {
  readonly tenantId: string;
  /** The tenant's setting now; null: the product default. */
  readonly retentionDays: number | null;
  /** What was last applied to existing meetings; undefined: never. */
  readonly appliedDays: number | null | undefined;
}

/**
 * Retention's and data-subject requests' audit actions. `data.purged` is the domain's; the others
 * are written here until the domain's AuditAction names them.
 */
export type RetentionAuditAction =
  | 'data.purged'
  | 'user.exported'
  | 'tenant.exported'
  | 'user.erased'
  | 'tenant.offboarding_scheduled'
  | 'tenant.offboarding_cancelled'
  | 'tenant.readmitted';

export interface RetentionAuditEntry {
  readonly tenantId: string | null;
  readonly actorId: string;
  readonly action: RetentionAuditAction;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export class KyselyRetentionRepository {
  readonly #db: Kysely<RetentionDatabase>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {
    this.#db = db.withTables<RetentionTables>();
  }

  /**
   * Deletes up to `limit` meetings whose purge day is `day` or earlier, with the rows of other
   * tables that belong to them (by `meeting_id`), in one transaction.
   */
  async purgeMeetingsDue(day: string, limit: number): Promise<BatchResult> {
    const dependents = await tablesWithColumn(this.db, this.dialect, 'meeting_id');
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      const due = await trx
        .selectFrom('meetings')
        .select(['id', 'tenant_id'])
        .where('purge_after', '<=', day)
        .orderBy('purge_after')
        .limit(limit)
        .execute();
      const ids = await lockMeetings(
        trx,
        this.dialect,
        due.map((r) => r.id),
        { purgeAfterAtMost: day },
      );
      if (ids.length === 0) return new Map<string, number>();
      for (const table of dependents) {
        await sql`delete from ${sql.table(table)} where ${inList('meeting_id', ids)}`.execute(trx);
      }
      await trx.deleteFrom('meetings').where('id', 'in', ids).execute();
      await deleteMeetingAudit(trx, ids);
      const byTenant = new Map<string, number>();
      const deleted = new Set(ids);
      for (const r of due) if (deleted.has(r.id)) tally(byTenant, r.tenant_id);
      return byTenant;
    });
    return { rows: sum(result), byTenant: result, ms };
  }

  /** Every tenant's retention setting beside what was last applied to its meetings. */
  async tenantRetentionStates(): Promise<TenantRetentionState[]> {
    const rows = await this.#db
      .selectFrom('tenants')
      .leftJoin('tenant_retention', 'tenant_retention.tenant_id', 'tenants.id')
      .select([
        'tenants.id',
        'tenants.settings',
        'tenant_retention.applied_days',
        'tenant_retention.applied_at',
      ])
      .execute();
    return rows.map((r) => {
      const settings = JSON.parse(r.settings) as { retentionDays?: number | null };
      return {
        tenantId: r.id,
        retentionDays: settings.retentionDays ?? null,
        appliedDays:
          r.applied_at === null ? undefined : r.applied_days === null ? null : Number(r.applied_days),
      };
    });
  }

  /** A page of a tenant's meetings (by id) with what their purge day derives from. */
  async meetingTimes(tenantId: string, afterId: string, limit: number): Promise<MeetingTimes[]> {
    const rows = await this.db
      .selectFrom('meetings')
      .select([
        'id',
        'start_ct',
        'end_ct',
        'time_zone',
        'recurrence_ct',
        'purge_after',
        'series_seen_on',
        'status',
        'updated_at',
      ])
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      startCt: r.start_ct,
      endCt: r.end_ct,
      timeZone: r.time_zone,
      recurrenceCt: r.recurrence_ct,
      purgeAfter: r.purge_after,
      seriesSeenOn: r.series_seen_on,
      cancelledAt: r.status === 'cancelled' ? r.updated_at : null,
    }));
  }

  /** Moves purge days earlier, never later (a concurrent update may have computed an earlier one). */
  async shortenPurgeDays(
    tenantId: string,
    changes: readonly { id: string; purgeAfter: string }[],
  ): Promise<{ rows: number; ms: number }> {
    if (changes.length === 0) return { rows: 0, ms: 0 };
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      let rows = 0;
      for (const change of changes) {
        const r = await trx
          .updateTable('meetings')
          .set({ purge_after: change.purgeAfter })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', change.id)
          .where('purge_after', '>', change.purgeAfter)
          .executeTakeFirst();
        rows += Number(r.numUpdatedRows);
      }
      return rows;
    });
    return { rows: result, ms };
  }

  async markRetentionApplied(tenantId: string, days: number | null, at: Date): Promise<void> {
    await this.#db
      .insertInto('tenant_retention')
      .values({ tenant_id: tenantId, applied_days: days, applied_at: at.toISOString() })
      .onConflict((oc) =>
        oc.column('tenant_id').doUpdateSet({ applied_days: days, applied_at: at.toISOString() }),
      )
      .execute();
  }

  /**
   * How retention handles SQLite's write-ahead log while it deletes (PostgreSQL: nothing to do).
   *
   * - SQLite checkpoints automatically inside the COMMIT that crosses the log's size limit, which
   *   would make one batch in a few several times longer: that is turned off for the duration, and
   *   retention checkpoints between batches instead (PASSIVE: no lock held, writers carry on).
   * - Page images from before a deletion stay in the -wal file until overwritten. At the end,
   *   `truncateOnNextCommit` sets journal_size_limit 0: the first commit after a complete
   *   checkpoint then restarts the log and truncates the file, so they go.
   *   (`wal_checkpoint(TRUNCATE)` would do it in one step, but it holds every writer back while
   *   it runs — up to a second on a busy disk.)
   *
   * Call `close()` when done: it restores the connection's settings.
   */
  async quietLog(): Promise<LogSession> {
    if (this.dialect !== 'sqlite') {
      return {
        checkpoint: async () => ({ ms: 0, complete: true }),
        truncateOnNextCommit: async () => undefined,
        close: async () => undefined,
      };
    }
    // Sessions may overlap (the hourly run and an erasure): the first one in saves the settings,
    // the last one out restores them. A session starting while the last one out is restoring
    // waits for that to finish (saving then would save the zeroed settings and restore those).
    let state = quietSessions.get(this.db);
    while (state?.restoring) {
      await state.restoring.catch(() => undefined);
      state = quietSessions.get(this.db);
    }
    if (!state) {
      const fresh: QuietState = { open: 0, saved: this.#quiet(), restoring: undefined };
      // Could not read (or change) the settings: forget it, so that the next session tries again.
      fresh.saved.catch(() => {
        if (quietSessions.get(this.db) === fresh) quietSessions.delete(this.db);
      });
      quietSessions.set(this.db, fresh);
      state = fresh;
    }
    state.open++;
    try {
      await state.saved;
    } catch (error) {
      state.open--;
      throw error;
    }
    const shared = state;
    let closed = false;
    return {
      checkpoint: async () => {
        const started = performance.now();
        const r = await sql<{ busy: number; log: number; checkpointed: number }>`
          pragma wal_checkpoint(PASSIVE)`.execute(this.db);
        const row = r.rows[0];
        return {
          ms: performance.now() - started,
          complete: !row || (Number(row.busy) === 0 && Number(row.log) === Number(row.checkpointed)),
        };
      },
      truncateOnNextCommit: async () => {
        await sql.raw('pragma journal_size_limit = 0').execute(this.db);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        if (--shared.open > 0) return;
        // The entry stays (marked as restoring) until the settings are back.
        shared.restoring = (async () => {
          const saved = await shared.saved;
          await sql.raw(`pragma wal_autocheckpoint = ${saved.autocheckpoint}`).execute(this.db);
          await sql.raw(`pragma journal_size_limit = ${saved.sizeLimit}`).execute(this.db);
        })().finally(() => {
          if (quietSessions.get(this.db) === shared) quietSessions.delete(this.db);
        });
        await shared.restoring;
      },
    };
  }

  async #quiet(): Promise<{ autocheckpoint: number; sizeLimit: number }> {
    const read = async (name: string, fallback: number) => {
      const r = await sql<Record<string, number>>`${sql.raw(`pragma ${name}`)}`.execute(this.db);
      const value = Number(Object.values(r.rows[0] ?? {})[0] ?? fallback);
      return Number.isInteger(value) ? value : fallback;
    };
    const saved = {
      autocheckpoint: await read('wal_autocheckpoint', 1000),
      sizeLimit: await read('journal_size_limit', -1),
    };
    await sql.raw('pragma wal_autocheckpoint = 0').execute(this.db);
    return saved;
  }

  async appendAudit(entry: RetentionAuditEntry, at: Date): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        id: randomUUID(),
        tenant_id: entry.tenantId,
        actor_id: entry.actorId,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        details: JSON.stringify(entry.details),
        created_at: at.toISOString(),
      })
      .execute();
  }
}

interface QuietState {
  open: number;
  saved: Promise<{ autocheckpoint: number; sizeLimit: number }>;
  /** Set by the last session out while it restores the settings. */
  restoring: Promise<void> | undefined;
}

const quietSessions = new WeakMap<object, QuietState>();

export interface LogSession {
  /** A PASSIVE checkpoint; `complete` when the whole log is now in the database file. */
  checkpoint(): Promise<{ ms: number; complete: boolean }>;
  /**
   * Makes the next commit after a complete checkpoint truncate the log file (until close). Not
   * for the whole run: shrinking and regrowing the file at every batch makes commits stall when
   * other processes write too.
   */
  truncateOnNextCommit(): Promise<void>;
  close(): Promise<void>;
}

/** Audit entries about meetings (created, updated…) go with the meetings. */
export async function deleteMeetingAudit(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  await db
    .deleteFrom('audit_log')
    .where('target_id', 'in', [...ids])
    .where('target_type', '=', 'meeting')
    .execute();
}

function sum(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of counts.values()) n += v;
  return n;
}
