/**
 * The job queue on PostgreSQL: pg-boss 10, so that several Roomlink processes share the work and a
 * job is handed to one of them at a time (SKIP LOCKED). One pg-boss queue per job kind; each has a
 * `<kind>__dead` dead-letter queue. Coalescing kinds use the `short` policy with the dedupe key as
 * singletonKey: at most one job per key waits (`created`), and any number run. Not `stately` (one
 * waiting and one running per key): pg-boss's fetch sets a whole batch `active` in one statement, so
 * one job whose twin is still running (or left `active` by a killed process) made the unique index
 * refuse every fetch of its kind, for every key and process, until the twin ended or expired. Two
 * runs of one mailbox are kept apart by the sync worker's mailbox lease instead (a run that finds it
 * held puts its job back, later). Each kind's loop keeps `concurrency` jobs in flight, fetching
 * again as each one settles, so that one slow job holds one slot, not the kind's others.
 */
import PgBoss from 'pg-boss';
import { timedClient } from '../store/timed-pg-client.js';
import { OUTCOME_RETRY_DELAYS_MS, recordOutcome, WakeableSleeps } from './outcome-retries.js';
import { PgBossDb } from './pg-boss-db.js';
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
  /**
   * A clock that only moves forward, in ms, for health()'s stall check; default `performance.now()`
   * (a step of the wall clock is no stalled fetch).
   */
  readonly monotonicMs?: () => number;
  /** Waits before each new try at recording a job's outcome; default OUTCOME_RETRY_DELAYS_MS. */
  readonly outcomeRetryDelaysMs?: readonly number[];
}

/** A fetch on the wire this long (or 3 polling intervals, if longer) is reported by health(). */
const STALLED_FETCH_MS = 30_000;

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

/**
 * Tries at creating one queue. Processes that start at once create their queues side by side, and
 * pg-boss's DDL on the shared job table can deadlock with whatever else takes locks there; PostgreSQL
 * then rolls one creation back (40P01), and trying again is safe (the queue is checked first).
 */
const QUEUE_CREATE_ATTEMPTS = 5;
/** Deadlock, and the duplicates a creation racing another one can meet (queue row, partition table). */
const RETRYABLE_QUEUE_ERRORS = new Set(['40P01', '40001', '23505', '42P07']);

export class PgBossJobQueue implements JobQueue {
  readonly backend = 'pg-boss' as const;
  #boss: PgBoss;
  /** #boss's connections: stop() closes them once no query is left on the wire (pg-boss-db.ts). */
  #db: PgBossDb;
  /** The work loops start() began, one per kind; they end at halt(), and stop() waits for them. */
  readonly #loops = new Set<Promise<void>>();
  /** Outcome retries' waits: halt() ends them. */
  readonly #sleeps = new WakeableSleeps();
  /** The loops' waits between polls or for a free slot: halt() ends them. */
  readonly #wakers = new Set<() => void>();
  /** When each kind's fetch now on the wire began (monotonicMs()): health() reports one that never answers. */
  readonly #fetchingSince = new Map<string, number>();
  /** Whether #boss started: stop() must then stop it, whatever became of the queues. */
  #bossRunning = false;
  #started: Promise<void> | undefined;
  #working = false;
  /** halt() or stop() was called: pg-boss stopping now is ours. */
  #halted = false;
  /** Why this queue takes no more jobs though nobody stopped it. */
  #failure: string | undefined;

  constructor(private readonly options: PgBossJobQueueOptions) {
    [this.#boss, this.#db] = this.#newBoss();
  }

  #newBoss(): [PgBoss, PgBossDb] {
    const db = new PgBossDb({
      connectionString: this.options.connectionString,
      max: 4,
      onError: (error) => this.options.observer?.onError?.(error),
    });
    const boss = new PgBoss({
      db,
      schema: this.#schema,
      // Done jobs leave the tables quickly: their payloads are transient by design.
      ...PG_BOSS_HOUSEKEEPING,
      ...(this.options.maintenanceIntervalSeconds
        ? { maintenanceIntervalSeconds: this.options.maintenanceIntervalSeconds }
        : {}),
    });
    boss.on('error', (error) => this.options.observer?.onError?.(error));
    // pg-boss says it stopped (its pool closed, its workers gone) and this queue did not ask it to.
    boss.on('stopped', () => {
      if (!this.#halted && boss === this.#boss)
        this.#failure = 'pg-boss stopped, so the job queue takes no more jobs';
    });
    return [boss, db];
  }

  get #schema(): string {
    return this.options.schema ?? 'pgboss';
  }

  /**
   * Creates pg-boss's schema and the queues; enqueue() and start() call it. A failed start is not
   * kept: the next call (the next job a request enqueues, a new start) tries again.
   */
  ready(): Promise<void> {
    this.#started ??= this.#start().catch((error: unknown) => {
      this.#started = undefined;
      throw error;
    });
    return this.#started;
  }

  async #start(): Promise<void> {
    if (!this.#bossRunning) {
      try {
        await this.#boss.start();
      } catch (error) {
        // pg-boss cannot start again after a failed start (it stays "starting"): the next try gets a
        // new one, and this one's connections are closed.
        const failed = this.#db;
        [this.#boss, this.#db] = this.#newBoss();
        await failed.close().catch(() => undefined);
        throw error;
      }
      this.#bossRunning = true;
    }
    await this.#serialised(async () => {
      for (const [kind, options] of Object.entries(this.options.kinds)) {
        const retryLimit = (options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) - 1;
        await this.#ensureQueue(deadLetterOf(kind), { name: deadLetterOf(kind), policy: 'standard' });
        await this.#ensureQueue(kind, {
          name: kind,
          policy: options.coalesce ? COALESCING_POLICY : 'standard',
          retryLimit,
          retryDelay: this.options.retryDelaySeconds ?? 1,
          retryBackoff: true,
          expireInSeconds: 15 * 60,
          deadLetter: deadLetterOf(kind),
        });
        if (options.coalesce) await migrateStatelyJobs(this.#db, this.#schema, kind);
      }
    });
  }

  /**
   * Runs `work` (queue creation) while holding a PostgreSQL advisory lock of this pg-boss schema, on
   * a connection of its own: Roomlink processes starting at once create their queues one after the
   * other, not side by side (pg-boss's queue DDL on the shared job table deadlocks then). The lock
   * goes with the connection, should this process die meanwhile.
   */
  async #serialised(work: () => Promise<void>): Promise<void> {
    const client = new (timedClient(this.options.connectionString))({
      connectionString: this.options.connectionString,
    });
    // A connection that fails once connected (PostgreSQL restarting) must not crash the process.
    client.on('error', (error) => this.options.observer?.onError?.(error));
    await client.connect();
    try {
      await client.query(
        `select pg_advisory_lock(('x' || encode(sha224((current_database() || $1)::bytea), 'hex'))::bit(64)::bigint)`,
        [`.pgboss.${this.#schema}.roomlink-queues`],
      );
      await work();
    } finally {
      // Closing the session releases the lock.
      await client.end().catch(() => undefined);
    }
  }

  async enqueue(jobs: readonly JobSpec[]): Promise<void> {
    // Nothing to send: no start of pg-boss (which would be retried per call while it is down).
    if (jobs.length === 0) return;
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
    for (const [kind, handler] of Object.entries(handlers)) {
      if (!this.options.kinds[kind]) continue;
      // Halted while starting (a signal): no more workers.
      if (this.#halted) break;
      this.#loops.add(
        this.#workLoop(kind, handler).catch((error: unknown) => {
          // Not expected (each step handles its own failures), but then said, not silent.
          this.#failure ??= `the job queue's work loop for ${kind} jobs failed`;
          this.options.observer?.onError?.(error);
        }),
      );
    }
  }

  /**
   * Fetches and runs `kind`'s jobs until halt(), keeping up to `concurrency` of them in flight: each
   * time one settles, the loop fetches as many as there are free slots (the SQLite queue does the
   * same), so that one slow job (a throttled mailbox waits for Graph's Retry-After inside its run)
   * holds one slot, not the others until it ends. Roomlink's own loop on pg-boss's fetch(),
   * complete() and fail(), not pg-boss's work(): pg-boss 10's worker completes or fails each batch
   * without awaiting the call, so a database unreachable just then was an unhandled rejection, which
   * ends a Node.js process. Here every call is awaited and its failure reported. The loop ends once
   * the jobs in flight have settled.
   */
  async #workLoop(kind: string, handler: JobHandler): Promise<void> {
    const batchSize = this.options.concurrency ?? 4;
    const pollingMs = (this.options.pollingIntervalSeconds ?? 0.5) * 1000;
    const inFlight = new Set<Promise<void>>();
    // A job settled since the loop last came round: a slot is free, and more may be waiting.
    let settled = false;
    let wake: (() => void) | undefined;
    try {
      // pg-boss stopped behind the queue's back (#failure): its maintenance no longer expires or
      // clears jobs, so the loop takes no more, as pg-boss's own workers would not.
      while (!this.#halted && !this.#failure) {
        settled = false;
        const free = batchSize - inFlight.size;
        if (free > 0) {
          // pg-boss's fetch() answers no job when its query fails (the database unreachable): the
          // next poll tries again.
          this.#fetchingSince.set(kind, this.#monotonicMs());
          const jobs = await this.#boss
            .fetch<Record<string, never>>(kind, { batchSize: free, includeMetadata: true })
            .finally(() => this.#fetchingSince.delete(kind));
          if (this.#halted) {
            // A fetch under way at halt(): what it took starts nothing and goes back as it was.
            if (jobs.length > 0) {
              await putBackJobs(
                this.#db,
                this.#schema,
                kind,
                jobs.map((job) => job.id),
              ).catch((error: unknown) => this.options.observer?.onError?.(error));
            }
            return;
          }
          // Each job settles on its own: one failure must not retry its neighbours.
          for (const job of jobs) {
            const run = this.#runJob(kind, handler, job).finally(() => {
              inFlight.delete(run);
              settled = true;
              wake?.();
            });
            inFlight.add(run);
          }
        }
        // A slot freed meanwhile: fetch for it at once. Every slot busy: more may be waiting, so the
        // loop comes round as soon as one frees (a backlog drains at the handlers' pace, not at one
        // batch per poll). Otherwise also at the next poll: jobs that another process sends, or
        // that come due, wake nobody here.
        if (settled) continue;
        await this.#wait(inFlight.size < batchSize ? pollingMs : undefined, (w) => {
          wake = w;
        });
        wake = undefined;
      }
    } finally {
      // halt() or a failure: the jobs in flight go on, and stop() waits for them (they never reject).
      await Promise.all(inFlight);
    }
  }

  /**
   * Waits `ms` (undefined: until woken), or less if halt() comes or the caller's wake (passed to
   * `register`) is called first.
   */
  #wait(ms: number | undefined, register: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        if (timer) clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.#wakers.add(wake);
      register(wake);
    });
  }

  /** Never rejects: an outcome that cannot be recorded is reported, and the job runs again later. */
  async #runJob(kind: string, handler: JobHandler, job: PgBoss.JobWithMetadata<Record<string, never>>) {
    const { observer } = this.options;
    let failure: { error: unknown } | undefined;
    try {
      await handler(job.data, { id: job.id, attempt: job.retryCount + 1 });
    } catch (error) {
      failure = { error };
    }
    try {
      if (!failure) {
        await this.#recordOutcome(() => this.#boss.complete(kind, job.id));
        observer?.onOutcome?.(kind, 'completed');
        return;
      }
      const { error } = failure;
      const reason = failureReason(error);
      if (error instanceof PermanentJobError) {
        await this.#recordOutcome(() => this.#boss.send(deadLetterOf(kind), { reason }));
        await this.#recordOutcome(() => this.#boss.cancel(kind, job.id));
        observer?.onOutcome?.(kind, 'dead', reason);
        return;
      }
      const last = job.retryCount >= job.retryLimit;
      await this.#recordOutcome(() => this.#boss.fail(kind, job.id, { reason }));
      const retryAfterMs = retryAfterOf(error);
      // Should the move fail, the job keeps pg-boss's backoff: retried early, not lost.
      if (!last && retryAfterMs !== undefined)
        await this.#retryNoSooner(kind, job.id, retryAfterMs).catch((e: unknown) => observer?.onError?.(e));
      observer?.onOutcome?.(kind, last ? 'dead' : 'retried', reason);
    } catch (error) {
      // The outcome could not be recorded, even after the retries: the job stays `active` and runs
      // again once it expires (`expireInSeconds`); handlers are written to run more than once.
      observer?.onError?.(error);
    }
  }

  /**
   * Runs one call that records a job's outcome, and runs it again after each of the retry delays
   * while the database refuses it; each refusal but the last (which the caller reports) is reported
   * here. halt() cuts the wait short: one more try, at once, and no more. Each call is safe to repeat
   * when an earlier try did reach the database (only its answer was lost): complete() and cancel()
   * then match no row; a repeated fail() counts one more attempt, and may fail a run that another
   * process began after the first fail's retry delay (that run's completion then matches no row, and
   * the job runs once more); a repeated dead letter is one more copy of the reason.
   */
  #recordOutcome(call: () => Promise<unknown>): Promise<void> {
    return recordOutcome(call, {
      delaysMs: this.options.outcomeRetryDelaysMs ?? OUTCOME_RETRY_DELAYS_MS,
      halted: () => this.#halted,
      sleep: (ms) => this.#sleeps.sleep(ms),
      onError: (error) => this.options.observer?.onError?.(error),
    });
  }

  /**
   * Takes no new jobs from now on (the start of shutdown): the loops fetch no more, and jobs that a
   * fetch under way takes are put back; jobs in flight go on, and stop() waits for them.
   */
  halt(): void {
    this.#halted = true;
    this.#sleeps.wakeAll();
    for (const wake of [...this.#wakers]) wake();
  }

  /**
   * undefined while this queue's loops fetch jobs; otherwise why not: pg-boss reported that it
   * stopped though nobody stopped it, a fetch has been on the wire for STALLED_FETCH_MS (a database
   * that never answers), or the queue was not started or was halted. Cheap: no query.
   */
  health(): string | undefined {
    if (this.#failure) return this.#failure;
    if (!this.#working || this.#halted) return 'the job queue takes no jobs (not started, or halted)';
    const stalledAfterMs = Math.max(
      STALLED_FETCH_MS,
      3 * (this.options.pollingIntervalSeconds ?? 0.5) * 1000,
    );
    const now = this.#monotonicMs();
    for (const [kind, since] of this.#fetchingSince) {
      if (now - since > stalledAfterMs)
        return `the job queue's fetch of ${kind} jobs has not answered for over ${Math.ceil(stalledAfterMs / 1000)} s`;
    }
    return undefined;
  }

  #monotonicMs(): number {
    return this.options.monotonicMs?.() ?? performance.now();
  }

  async stop(): Promise<void> {
    this.halt();
    await this.#started?.catch(() => undefined);
    // A start that failed after pg-boss itself started (a queue it could not create) leaves pg-boss
    // running: it is stopped all the same, or its pool and timers would keep the process alive.
    if (!this.#bossRunning) return;
    // The loops end once their fetch under way and their jobs in flight have (they never reject).
    await Promise.all(this.#loops);
    // pg-boss has no worker of ours to wait for: it stops its maintenance and timers. It never closes
    // a pool it was given: this queue closes its own below, once nothing is left on the wire (a
    // maintenance query, say).
    await this.#boss.stop({ graceful: true, wait: true, timeout: 20_000, close: false });
    await this.#db.idle();
    await this.#db.close();
    this.#bossRunning = false;
    this.#working = false;
  }

  get working(): boolean {
    return this.#working;
  }

  async counts(): Promise<JobCount[]> {
    await this.ready();
    const db = this.#db;
    const schema = this.#schema;
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
    const schema = this.#schema;
    await this.#db.executeSql(
      `update ${schema}.job set start_after = greatest(start_after, now() + $3::int * interval '1 millisecond')
         where name = $1 and id = $2 and state = 'retry'`,
      [kind, id, Math.ceil(ms)],
    );
  }

  async #ensureQueue(name: string, queue: PgBoss.Queue): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.#boss.getQueue(name);
      if (existing) {
        // A queue an earlier version created as `stately`: its jobs take the new policy too
        // (migrateStatelyJobs), since pg-boss copies a queue's policy into each job as it is sent.
        // updateQueue() sets every option it is given (and `standard` for a policy it is not).
        if (existing.policy !== queue.policy) await this.#boss.updateQueue(name, { ...queue });
        return;
      }
      try {
        await this.#boss.createQueue(name, queue);
        return;
      } catch (error) {
        // Another process created it first.
        if (await this.#boss.getQueue(name)) return;
        const code = (error as { code?: unknown }).code;
        if (attempt >= QUEUE_CREATE_ATTEMPTS || typeof code !== 'string' || !RETRYABLE_QUEUE_ERRORS.has(code))
          throw error;
      }
    }
  }
}

/** Coalescing kinds' pg-boss policy: at most one `created` job per key, the others unconstrained. */
const COALESCING_POLICY = 'short';

/**
 * Moves the waiting and running jobs of a coalescing kind that an earlier version queued under the
 * `stately` policy to COALESCING_POLICY, at every start (under the queue-creation lock): pg-boss
 * stores the policy in each job, and its fetch and unique indexes go by the job's, so one such job
 * could still block the kind's fetches. A stately `created` job whose `short` twin also waits (sent
 * by a process that read the queue's policy as it changed) would break the one-waiting-job index:
 * it is cancelled instead, the twin doing the same work.
 */
export async function migrateStatelyJobs(
  db: Pick<PgBossDb, 'executeSql'>,
  schema: string,
  kind: string,
): Promise<void> {
  await db.executeSql(
    `with twinned as (
       update ${schema}.job s set state = 'cancelled', completed_on = now()
        where s.name = $1 and s.policy = 'stately' and s.state = 'created'
          and exists (
            select 1 from ${schema}.job t
             where t.name = s.name and t.policy = $2 and t.state = 'created'
               and coalesce(t.singleton_key, '') = coalesce(s.singleton_key, ''))
        returning s.id
     )
     update ${schema}.job j set policy = $2
      where j.name = $1 and j.policy = 'stately' and j.state < 'completed'
        and j.id not in (select id from twinned)`,
    [kind, COALESCING_POLICY],
  );
}

/**
 * Puts jobs a fetch took back as they were before it: waiting, with their attempt not counted (a
 * fetch counts an attempt of a job that started before; without `started_on` the next fetch counts
 * none). A coalescing job whose twin was queued while it was taken, and waits in the state it would
 * go back to, is cancelled instead: the twin does the same work, and pg-boss keeps one `created` job
 * per key (`short`; `stately`, of an earlier version, one per key and state).
 */
export async function putBackJobs(
  db: Pick<PgBossDb, 'executeSql'>,
  schema: string,
  kind: string,
  ids: readonly string[],
): Promise<void> {
  const waiting = `(case when j.retry_count > 0 then 'retry' else 'created' end)::${schema}.job_state`;
  await db.executeSql(
    `with back as (
       update ${schema}.job j set state = ${waiting}, started_on = null
        where j.name = $1 and j.id = any($2::uuid[]) and j.state = 'active'
          and not (j.policy in ('stately', '${COALESCING_POLICY}') and exists (
            select 1 from ${schema}.job w
             where w.name = j.name and w.state = ${waiting} and w.id <> j.id
               and coalesce(w.singleton_key, '') = coalesce(j.singleton_key, '')))
        returning j.id
     )
     update ${schema}.job c set state = 'cancelled', completed_on = now()
      where c.name = $1 and c.id = any($2::uuid[]) and c.state = 'active'
        and c.id not in (select id from back)`,
    [kind, [...ids]],
  );
}
