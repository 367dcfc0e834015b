/**
 * The job queue on PostgreSQL: pg-boss 10, so that several Roomlink processes share the work and a
 * job is handed to one of them at a time (SKIP LOCKED). One pg-boss queue per job kind; each has a
 * `<kind>__dead` dead-letter queue. Coalescing kinds use the `stately` policy with the dedupe key as
 * singletonKey: at most one waiting and one running job per key, across processes.
 */
import PgBoss from 'pg-boss';
import {
  failureReason,
  type JobCount,
  type JobHandler,
  type JobKindOptions,
  type JobObserver,
  type JobQueue,
  type JobSpec,
  type JobState,
  PermanentJobError,
  retryAfterOf,
} from './queue.js';

export interface PgBossJobQueueOptions {
  readonly connectionString: string;
  /** pg-boss's own schema; default 'pgboss'. */
  readonly schema?: string;
  readonly kinds: Readonly<Record<string, JobKindOptions>>;
  /** Jobs fetched at once per kind by this process; default 4. */
  readonly concurrency?: number;
  /** Default 0.5 s; pg-boss's minimum. */
  readonly pollingIntervalSeconds?: number;
  /** First retry delay in seconds (doubling, jittered by pg-boss); default 1. */
  readonly retryDelaySeconds?: number;
  readonly observer?: JobObserver;
  /** Test seam: pg-boss's maintenance interval; default PG_BOSS_HOUSEKEEPING's. */
  readonly maintenanceIntervalSeconds?: number;
}

/**
 * How long pg-boss keeps a finished job, whose payload names a user and, for a change job, a Graph
 * event id (of any event of the mailbox). pg-boss 10 cannot delete a job as it completes: its
 * maintenance (every `maintenanceIntervalSeconds`, run by one process at a time) moves the jobs that
 * finished (completed, failed for good or cancelled) more than `archiveCompletedAfterSeconds` ago to
 * its archive table, and deletes what was archived more than `deleteAfterSeconds` ago. A maintenance
 * run can be skipped when it comes a little early after the previous one (pg-boss compares database
 * times), so a finished job is gone at most `archiveCompletedAfterSeconds + 4 ×
 * maintenanceIntervalSeconds` after it finished (FINISHED_JOB_SECONDS_AT_MOST), usually sooner.
 * (Archiving before 60 s makes pg-boss warn at every start that its cron scheduling is off.)
 * Failed jobs' dead-letter copies are retention's (DEAD_JOB_RETENTION_DAYS).
 */
export const PG_BOSS_HOUSEKEEPING = {
  archiveCompletedAfterSeconds: 60,
  // Nothing reads the archive: what is archived goes at the next maintenance.
  deleteAfterSeconds: 1,
  maintenanceIntervalSeconds: 15,
} as const;

export const FINISHED_JOB_SECONDS_AT_MOST =
  PG_BOSS_HOUSEKEEPING.archiveCompletedAfterSeconds + 4 * PG_BOSS_HOUSEKEEPING.maintenanceIntervalSeconds;

const DEFAULT_MAX_ATTEMPTS = 8;
const deadLetterOf = (kind: string) => `${kind}__dead`;

export class PgBossJobQueue implements JobQueue {
  readonly backend = 'pg-boss' as const;
  readonly #boss: PgBoss;
  #started: Promise<void> | undefined;
  #working = false;

  constructor(private readonly options: PgBossJobQueueOptions) {
    this.#boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema ?? 'pgboss',
      max: 4,
      // Done jobs leave the tables quickly: their payloads are transient by design.
      ...PG_BOSS_HOUSEKEEPING,
      ...(options.maintenanceIntervalSeconds
        ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }
        : {}),
    });
    this.#boss.on('error', (error) => options.observer?.onError?.(error));
  }

  /** Creates pg-boss's schema and the queues; enqueue() and start() call it. */
  ready(): Promise<void> {
    this.#started ??= (async () => {
      await this.#boss.start();
      for (const [kind, options] of Object.entries(this.options.kinds)) {
        const retryLimit = (options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) - 1;
        await this.#ensureQueue(deadLetterOf(kind), { name: deadLetterOf(kind), policy: 'standard' });
        await this.#ensureQueue(kind, {
          name: kind,
          policy: options.coalesce ? 'stately' : 'standard',
          retryLimit,
          retryDelay: this.options.retryDelaySeconds ?? 1,
          retryBackoff: true,
          expireInSeconds: 15 * 60,
          deadLetter: deadLetterOf(kind),
        });
      }
    })();
    return this.#started;
  }

  async enqueue(jobs: readonly JobSpec[]): Promise<void> {
    await this.ready();
    const plain: PgBoss.JobInsert[] = [];
    for (const job of jobs) {
      const kind = this.options.kinds[job.kind];
      if (!kind) throw new Error(`unknown job kind ${job.kind}`);
      if (kind.coalesce) {
        // insert() skips policy checks; send() applies them (and answers null for a duplicate).
        await this.#boss.send(job.kind, job.payload, {
          singletonKey: job.dedupeKey ?? job.kind,
          ...(job.delayMs ? { startAfter: new Date(Date.now() + job.delayMs) } : {}),
        });
      } else {
        plain.push({
          name: job.kind,
          data: job.payload,
          ...(job.delayMs ? { startAfter: new Date(Date.now() + job.delayMs) } : {}),
        });
      }
    }
    if (plain.length > 0) await this.#boss.insert(plain);
  }

  async start(handlers: Readonly<Record<string, JobHandler>>): Promise<void> {
    await this.ready();
    this.#working = true;
    const { observer } = this.options;
    for (const [kind, handler] of Object.entries(handlers)) {
      if (!this.options.kinds[kind]) continue;
      await this.#boss.work<Record<string, never>>(
        kind,
        {
          batchSize: this.options.concurrency ?? 4,
          pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 0.5,
          includeMetadata: true,
        },
        async (jobs) => {
          // Each job of the batch settles on its own: one failure must not retry its neighbours.
          await Promise.all(
            jobs.map(async (job) => {
              try {
                await handler(job.data, { id: job.id, attempt: job.retryCount + 1 });
                await this.#boss.complete(kind, job.id);
                observer?.onOutcome?.(kind, 'completed');
              } catch (error) {
                const reason = failureReason(error);
                if (error instanceof PermanentJobError) {
                  await this.#boss.send(deadLetterOf(kind), { reason });
                  await this.#boss.cancel(kind, job.id);
                  observer?.onOutcome?.(kind, 'dead', reason);
                  return;
                }
                const last = job.retryCount >= job.retryLimit;
                await this.#boss.fail(kind, job.id, { reason });
                const retryAfterMs = retryAfterOf(error);
                // Should the move fail, the job keeps pg-boss's backoff: retried early, not lost.
                if (!last && retryAfterMs !== undefined)
                  await this.#retryNoSooner(kind, job.id, retryAfterMs).catch((e: unknown) =>
                    observer?.onError?.(e),
                  );
                observer?.onOutcome?.(kind, last ? 'dead' : 'retried', reason);
              }
            }),
          );
        },
      );
    }
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    await this.#started.catch(() => undefined);
    // graceful: pg-boss stops fetching and waits for handlers in flight before closing its pool.
    await this.#boss.stop({ graceful: true, wait: true, timeout: 20_000, close: true });
    this.#working = false;
  }

  get working(): boolean {
    return this.#working;
  }

  async counts(): Promise<JobCount[]> {
    await this.ready();
    const db = this.#boss.getDb();
    const schema = this.options.schema ?? 'pgboss';
    const names = Object.keys(this.options.kinds);
    const result = await db.executeSql(
      `select name, state, count(*)::int as n from ${schema}.job
       where name = any($1::text[]) and state in ('created', 'retry', 'active', 'failed')
       group by name, state`,
      [[...names, ...names.map(deadLetterOf)]],
    );
    const counts = new Map<string, number>();
    for (const row of result.rows as { name: string; state: string; n: number }[]) {
      const isDead = row.name.endsWith('__dead');
      const kind = isDead ? row.name.slice(0, -'__dead'.length) : row.name;
      const state: JobState | undefined = isDead
        ? 'dead'
        : row.state === 'active'
          ? 'running'
          : row.state === 'failed'
            ? undefined
            : 'ready';
      if (!state) continue;
      const key = `${kind}\u0000${state}`;
      counts.set(key, (counts.get(key) ?? 0) + row.n);
    }
    return [...counts].map(([key, count]) => {
      const [kind, state] = key.split('\u0000') as [string, JobState];
      return { kind, state, count };
    });
  }

  /**
   * pg-boss 10's fail() puts the job in state `retry` with a start_after from the queue's backoff
   * (retryDelay, retryBackoff) and counts the attempt; it has no per-failure delay. When the error
   * said how long to wait (Graph's Retry-After), start_after is moved to no sooner than that. The
   * backoff start_after is at least retryDelay (1 s) away, so no worker takes the job in between.
   */
  async #retryNoSooner(kind: string, id: string, ms: number): Promise<void> {
    const schema = this.options.schema ?? 'pgboss';
    await this.#boss.getDb().executeSql(
      `update ${schema}.job set start_after = greatest(start_after, now() + $3::int * interval '1 millisecond')
         where name = $1 and id = $2 and state = 'retry'`,
      [kind, id, Math.ceil(ms)],
    );
  }

  async #ensureQueue(name: string, queue: PgBoss.Queue): Promise<void> {
    if (await this.#boss.getQueue(name)) return;
    try {
      await this.#boss.createQueue(name, queue);
    } catch (error) {
      // Another process created it first.
      if (!(await this.#boss.getQueue(name))) throw error;
    }
  }
}
