/**
 * The jobs table behind SqlJobQueue. Claiming is one UPDATE … WHERE id IN (SELECT … status='ready'
 * …) RETURNING: a single statement, so with SQLite's single writer no job is claimed twice.
 */
import type { Insertable, Kysely } from 'kysely';
import type { JobCount, JobState } from '../../jobs/queue.js';
import type { ClaimedJob, JobStore, NewJob } from '../../jobs/sql-queue.js';
import { Precompiled } from '../precompiled.js';
import type { Database } from '../schema.js';
import { type WriteBatcher, writeBatcherOf } from '../write-batcher.js';
import { type JobTable, type SyncDatabase, withSyncTables } from './sync-tables.js';

const JOB_COLUMNS = [
  'kind',
  'payload',
  'dedupe_key',
  'status',
  'attempts',
  'max_attempts',
  'run_at',
  'locked_by',
  'last_error',
  'created_at',
  'updated_at',
] as const satisfies readonly Exclude<keyof JobTable, 'id'>[];

// A waiting job with the same (kind, dedupe key) makes the new one redundant. One job per enqueue
// is the webhook's hot path: that insert is compiled once (see ../precompiled.ts).
const INSERT_ONE = new Precompiled<SyncDatabase, unknown[]>(
  JOB_COLUMNS.length,
  (db: Kysely<SyncDatabase>, marks) =>
    db
      .insertInto('jobs')
      .values(Object.fromEntries(JOB_COLUMNS.map((c, i) => [c, marks[i]])) as unknown as Insertable<JobTable>)
      .onConflict((oc) => oc.doNothing()),
);

export class KyselyJobStore implements JobStore {
  readonly #db: Kysely<SyncDatabase>;
  /** SQLite: every job write of the running queue is group-committed with other writes (one fsync for many). */
  readonly #batcher: WriteBatcher<Kysely<Database>> | undefined;

  constructor(db: Kysely<Database>) {
    this.#db = withSyncTables(db);
    this.#batcher = writeBatcherOf(db);
  }

  /**
   * Runs one SQL statement as a unit of the group commit when there is one (no savepoint needed,
   * see write-batcher.ts); settles once it is durable.
   */
  #writeStatement<T>(statement: (db: Kysely<SyncDatabase>) => Promise<T>): Promise<T> {
    // withTables only widens the type; the connection-bound instance is used as it is.
    return this.#batcher
      ? this.#batcher.run((connection) => statement(connection as unknown as Kysely<SyncDatabase>), {
          singleStatement: true,
        })
      : statement(this.#db);
  }

  async insert(jobs: readonly NewJob[], now: Date): Promise<void> {
    if (jobs.length === 0) return;
    const at = now.toISOString();
    const rows: Insertable<JobTable>[] = jobs.map((j) => ({
      kind: j.kind,
      payload: JSON.stringify(j.payload),
      dedupe_key: j.dedupeKey ?? null,
      status: 'ready',
      attempts: 0,
      max_attempts: j.maxAttempts,
      // (Formatting a date is a tenth of this row's cost: most jobs run at once, at `at`.)
      run_at: j.delayMs ? new Date(now.getTime() + j.delayMs).toISOString() : at,
      locked_by: null,
      last_error: null,
      created_at: at,
      updated_at: at,
    }));
    const [only] = rows;
    await this.#writeStatement<unknown>((db) =>
      rows.length === 1 && only
        ? INSERT_ONE.run(
            db,
            JOB_COLUMNS.map((c) => only[c] ?? null),
          )
        : db
            .insertInto('jobs')
            .values(rows)
            .onConflict((oc) => oc.doNothing())
            .execute(),
    );
  }

  async claim(kinds: readonly string[], limit: number, owner: string, now: Date): Promise<ClaimedJob[]> {
    if (kinds.length === 0 || limit <= 0) return [];
    const at = now.toISOString();
    // Through the group commit like every other job write: its fsync joins the batch's, off the
    // event loop (an autocommit here synced the log on the event loop at every poll).
    const rows = await this.#writeStatement((db) =>
      db
        .updateTable('jobs')
        .set((eb) => ({
          status: 'running',
          locked_by: owner,
          attempts: eb('attempts', '+', 1),
          updated_at: at,
        }))
        .where(
          'id',
          'in',
          db
            .selectFrom('jobs')
            .select('id')
            .where('status', '=', 'ready')
            .where('run_at', '<=', at)
            .where('kind', 'in', kinds)
            .orderBy('run_at')
            .limit(limit),
        )
        .returningAll()
        .execute(),
    );
    return rows.map((r) => ({
      id: String(r.id),
      kind: r.kind,
      payload: JSON.parse(r.payload),
      dedupeKey: r.dedupe_key,
      attempts: Number(r.attempts),
      maxAttempts: Number(r.max_attempts),
    }));
  }

  async complete(id: string): Promise<void> {
    // Done jobs are deleted: their payloads are transient by design.
    await this.#writeStatement((db) => db.deleteFrom('jobs').where('id', '=', rowId(id)).execute());
  }

  async retry(job: ClaimedJob, runAt: Date, reason: string, now: Date): Promise<void> {
    const requeue = (db: Kysely<SyncDatabase>) => {
      let update = db
        .updateTable('jobs')
        .set({
          status: 'ready',
          run_at: runAt.toISOString(),
          locked_by: null,
          last_error: reason,
          updated_at: now.toISOString(),
        })
        .where('id', '=', rowId(job.id));
      // A newer job for the same key waiting makes this one redundant (it will do the same work),
      // and a second waiting job for the key would break the dedupe index. The check is part of
      // the UPDATE itself: a check made before it, as a separate read, let an enqueue of the same
      // key land in between, and the UPDATE then failed, leaving the job stuck as running.
      if (job.dedupeKey !== null) {
        const key = job.dedupeKey;
        update = update.where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('jobs as twin')
                .select('twin.id')
                .where('twin.kind', '=', job.kind)
                .where('twin.dedupe_key', '=', key)
                .where('twin.status', '=', 'ready'),
            ),
          ),
        );
      }
      return update.executeTakeFirst();
    };
    if (job.dedupeKey === null) {
      await this.#writeStatement(requeue);
      return;
    }
    // Requeue, or else delete the job, as one unit of the group commit: nothing can come between.
    const settle = async (db: Kysely<SyncDatabase>): Promise<void> => {
      let requeued: boolean;
      try {
        requeued = Number((await requeue(db)).numUpdatedRows) > 0;
      } catch (error) {
        // PostgreSQL (no group commit): a twin enqueued by a transaction that was still open when
        // the UPDATE looked commits after it, and the index refuses the second waiting job.
        if (!isUniqueViolation(error)) throw error;
        requeued = false;
      }
      if (!requeued) await db.deleteFrom('jobs').where('id', '=', rowId(job.id)).execute();
    };
    await (this.#batcher
      ? this.#batcher.run((connection) => settle(connection as unknown as Kysely<SyncDatabase>))
      : settle(this.#db));
  }

  async bury(id: string, reason: string, now: Date): Promise<void> {
    await this.#writeStatement((db) =>
      db
        .updateTable('jobs')
        .set({ status: 'dead', locked_by: null, last_error: reason, updated_at: now.toISOString() })
        .where('id', '=', rowId(id))
        .execute(),
    );
  }

  async requeueRunning(): Promise<number> {
    // A coalesced job that was running has a waiting twin only if work arrived meanwhile; the twin
    // does the same work, and two waiting jobs for one key would break the dedupe index.
    await this.#db
      .deleteFrom('jobs')
      .where('status', '=', 'running')
      .where('dedupe_key', 'is not', null)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('jobs as twin')
            .select('twin.id')
            .whereRef('twin.kind', '=', 'jobs.kind')
            .whereRef('twin.dedupe_key', '=', 'jobs.dedupe_key')
            .where('twin.status', '=', 'ready'),
        ),
      )
      .execute();
    const result = await this.#db
      .updateTable('jobs')
      .set({ status: 'ready', locked_by: null })
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async nextRunAt(kinds: readonly string[]): Promise<Date | undefined> {
    if (kinds.length === 0) return undefined;
    const row = await this.#db
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at').as('next'))
      .where('status', '=', 'ready')
      .where('kind', 'in', kinds)
      .executeTakeFirst();
    return row?.next ? new Date(row.next) : undefined;
  }

  async counts(): Promise<JobCount[]> {
    const rows = await this.#db
      .selectFrom('jobs')
      .select(['kind', 'status', (eb) => eb.fn.countAll().as('n')])
      .groupBy(['kind', 'status'])
      .execute();
    return rows.map((r) => ({ kind: r.kind, state: r.status as JobState, count: Number(r.n) }));
  }

  async deadLetters(limit: number): Promise<{ id: string; kind: string; reason: string | null }[]> {
    const rows = await this.#db
      .selectFrom('jobs')
      .select(['id', 'kind', 'last_error'])
      .where('status', '=', 'dead')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: String(r.id), kind: r.kind, reason: r.last_error }));
  }
}

/** A unique index refused a row: PostgreSQL's SQLSTATE, or SQLite's extended result code. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** The queue's job ids are strings; the table's are its integer row ids (migration 0006). */
function rowId(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n)) throw new Error(`not a job id: ${id}`);
  return n;
}
