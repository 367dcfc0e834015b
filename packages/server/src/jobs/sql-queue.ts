/**
 * The embedded job queue: a jobs table in Roomlink's own database, consumed by this process.
 * Embedded mode has one worker process per database (SQLite has one writer; `serve` holds the
 * database's serve lock, store/sqlite-serve-lock.ts, so a second one refuses to start), so jobs found
 * running at start were interrupted by a crash and run again.
 */
import { randomUUID } from 'node:crypto';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import { OUTCOME_RETRY_DELAYS_MS, recordOutcome, WakeableSleeps } from './outcome-retries.js';
import {
  failureReason,
  type JobCount,
  type JobHandler,
  type JobKindOptions,
  type JobObserver,
  type JobPayload,
  type JobQueue,
  type JobSpec,
  PermanentJobError,
  retryAfterOf,
} from './queue.js';

export interface NewJob {
  readonly kind: string;
  readonly payload: JobPayload;
  readonly dedupeKey?: string;
  readonly delayMs?: number;
  readonly maxAttempts: number;
}

export interface ClaimedJob {
  readonly id: string;
  readonly kind: string;
  readonly payload: JobPayload;
  readonly dedupeKey: string | null;
  /** Including this run. */
  readonly attempts: number;
  readonly maxAttempts: number;
}

export interface JobStore {
  insert(jobs: readonly NewJob[], now: Date): Promise<void>;
  claim(kinds: readonly string[], limit: number, owner: string, now: Date): Promise<ClaimedJob[]>;
  complete(id: string): Promise<void>;
  retry(job: ClaimedJob, runAt: Date, reason: string, now: Date): Promise<void>;
  bury(id: string, reason: string, now: Date): Promise<void>;
  requeueRunning(): Promise<number>;
  nextRunAt(kinds: readonly string[]): Promise<Date | undefined>;
  counts(): Promise<JobCount[]>;
}

export interface SqlJobQueueOptions {
  readonly store: JobStore;
  readonly kinds: Readonly<Record<string, JobKindOptions>>;
  /** Jobs run at once by this process; default 8. */
  readonly concurrency?: number;
  /** Longest idle wait between looks at the table; default 500 ms (enqueues here wake it at once). */
  readonly pollMs?: number;
  readonly retry?: BackoffPolicy;
  readonly observer?: JobObserver;
  readonly now?: () => Date;
  /**
   * A clock that only moves forward, in ms, for health()'s stall check; default `performance.now()`.
   * The wall clock (`now`) can be stepped (NTP, a resumed VM): an hour forward is no stalled loop.
   */
  readonly monotonicMs?: () => number;
  /** Waits before each new try at recording a job's outcome; default OUTCOME_RETRY_DELAYS_MS. */
  readonly outcomeRetryDelaysMs?: readonly number[];
}

const DEFAULT_MAX_ATTEMPTS = 8;
const MIN_WAIT_MS = 5;
/**
 * The poll loop comes round at least every pollMs plus one claim (also while every slot is busy);
 * this long without (or three polls, when pollMs is longer) is no hiccup: the loop is stuck.
 */
const STALLED_AFTER_MS = 30_000;

export class SqlJobQueue implements JobQueue {
  readonly backend = 'sql' as const;
  readonly #owner = randomUUID();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #now: () => Date;
  readonly #monotonicMs: () => number;
  #handlers: Readonly<Record<string, JobHandler>> = {};
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Outcome retries' waits: halt() ends them. */
  readonly #sleeps = new WakeableSleeps();
  #kicked = false;
  /** When the poll loop last came round (this.#monotonicMs()). */
  #roundAt = 0;
  /** Why the poll loop ended while it should have gone on. */
  #failure: string | undefined;

  constructor(private readonly options: SqlJobQueueOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#monotonicMs = options.monotonicMs ?? (() => performance.now());
  }

  async enqueue(jobs: readonly JobSpec[]): Promise<void> {
    const seen = new Set<string>();
    const rows: NewJob[] = [];
    for (const job of jobs) {
      const kind = this.options.kinds[job.kind];
      if (!kind) throw new Error(`unknown job kind ${job.kind}`);
      const dedupeKey = kind.coalesce ? (job.dedupeKey ?? job.kind) : undefined;
      if (dedupeKey !== undefined) {
        if (seen.has(`${job.kind}\u0000${dedupeKey}`)) continue;
        seen.add(`${job.kind}\u0000${dedupeKey}`);
      }
      rows.push({
        kind: job.kind,
        payload: job.payload,
        ...(dedupeKey !== undefined ? { dedupeKey } : {}),
        ...(job.delayMs ? { delayMs: job.delayMs } : {}),
        maxAttempts: kind.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      });
    }
    // Nothing to insert: no write, and no wake-up of the loop, whose claim is a write transaction
    // (an unauthenticated webhook flood of made-up notifications must not become a flood of claims).
    if (rows.length === 0) return;
    await this.options.store.insert(rows, this.#now());
    this.#kick();
  }

  async start(handlers: Readonly<Record<string, JobHandler>>): Promise<void> {
    // Halted or failed, it is still this start's until stop().
    if (this.#loop) throw new Error('the job queue is already running');
    this.#handlers = handlers;
    await this.options.store.requeueRunning();
    this.#running = true;
    this.#failure = undefined;
    this.#roundAt = this.#monotonicMs();
    this.#loop = this.#run().catch((error: unknown) => {
      // Not a database error (the loop catches those and goes on): a bug. The jobs stay queued.
      this.#failure = `the job queue's poll loop failed (${failureReason(error)}) and takes no more jobs`;
      try {
        this.options.observer?.onError?.(error);
      } catch {
        // The observer's own failure: the failure above is kept all the same.
      }
    });
  }

  /** Takes no new jobs from now on (the start of shutdown); jobs in flight go on, stop() waits for them. */
  halt(): void {
    this.#running = false;
    this.#sleeps.wakeAll();
    this.#kick();
  }

  async stop(): Promise<void> {
    this.halt();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
    this.#loop = undefined;
  }

  /**
   * undefined while the poll loop takes jobs; otherwise why not: it failed, it has not come round
   * for STALLED_AFTER_MS (a claim or a look at the table that never answers), or it was not started
   * or was halted. Cheap: no query.
   */
  health(): string | undefined {
    if (this.#failure) return this.#failure;
    if (!this.#running) return 'the job queue takes no jobs (not started, or halted)';
    const stalledAfterMs = Math.max(STALLED_AFTER_MS, 3 * (this.options.pollMs ?? 500));
    if (this.#monotonicMs() - this.#roundAt > stalledAfterMs) {
      return `the job queue's poll loop has not come round for over ${Math.ceil(stalledAfterMs / 1000)} s`;
    }
    return undefined;
  }

  counts(): Promise<JobCount[]> {
    return this.options.store.counts();
  }

  #kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const concurrency = this.options.concurrency ?? 8;
    const kinds = Object.keys(this.#handlers).filter((k) => k in this.options.kinds);
    while (this.#running) {
      this.#roundAt = this.#monotonicMs();
      this.#kicked = false;
      let claimed = 0;
      const free = concurrency - this.#inFlight.size;
      if (free > 0) {
        try {
          const jobs = await this.options.store.claim(kinds, free, this.#owner, this.#now());
          claimed = jobs.length;
          for (const job of jobs) this.#track(this.#execute(job));
        } catch (error) {
          this.options.observer?.onError?.(error);
        }
      }
      if (!this.#running) break;
      if (claimed > 0 && claimed === free) continue;
      // All slots busy: only a finished job (which kicks) frees one; due jobs must not make us spin.
      await this.#idle(free > 0 ? kinds : []);
    }
  }

  /** Waits for a kick, a finished job, the next delayed job or the poll interval. */
  async #idle(kinds: readonly string[]): Promise<void> {
    if (this.#kicked) return;
    let waitMs = this.options.pollMs ?? 500;
    try {
      const next = kinds.length > 0 ? await this.options.store.nextRunAt(kinds) : undefined;
      // A job due now that claim() did not return was taken by another process: look again soon,
      // not at once (a zero wait here would spin on microtasks and starve I/O).
      if (next) waitMs = Math.max(MIN_WAIT_MS, Math.min(waitMs, next.getTime() - this.#now().getTime()));
    } catch (error) {
      this.options.observer?.onError?.(error);
    }
    if (this.#kicked) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => {
      this.#inFlight.delete(work);
      this.#kick();
    });
  }

  async #execute(job: ClaimedJob): Promise<void> {
    const { store, observer } = this.options;
    const handler = this.#handlers[job.kind];
    let failure: { readonly error: unknown } | undefined;
    try {
      if (!handler) throw new PermanentJobError(`no handler for ${job.kind}`);
      await handler(job.payload, { id: job.id, attempt: job.attempts });
    } catch (error) {
      failure = { error };
    }
    try {
      if (!failure) {
        await this.#recordOutcome(() => store.complete(job.id));
        observer?.onOutcome?.(job.kind, 'completed');
        return;
      }
      const reason = failureReason(failure.error);
      if (failure.error instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
        await this.#recordOutcome(() => store.bury(job.id, reason, this.#now()));
        observer?.onOutcome?.(job.kind, 'dead', reason);
        return;
      }
      // Not before the error says retrying can succeed (Graph's Retry-After): each run counts.
      const delay = Math.max(
        backoffDelay(job.attempts, this.options.retry ?? { baseMs: 1_000, capMs: 300_000 }),
        retryAfterOf(failure.error) ?? 0,
      );
      await this.#recordOutcome(() =>
        store.retry(job, new Date(this.#now().getTime() + delay), reason, this.#now()),
      );
      observer?.onOutcome?.(job.kind, 'retried', reason);
    } catch (storeError) {
      // Refused even after the retries: the job stays running until the next start, which runs it
      // again (requeueRunning); handlers are written to run more than once.
      observer?.onError?.(storeError);
    }
  }

  /**
   * Records an outcome, trying again while the database refuses it (outcome-retries.ts). A done job
   * whose deletion was refused is not a failed run: before, it was retried as one, and on its last
   * attempt buried with the database's error, though its work was done. Each call is safe to repeat.
   */
  #recordOutcome(call: () => Promise<unknown>): Promise<void> {
    return recordOutcome(call, {
      delaysMs: this.options.outcomeRetryDelaysMs ?? OUTCOME_RETRY_DELAYS_MS,
      halted: () => !this.#running,
      sleep: (ms) => this.#sleeps.sleep(ms),
      onError: (error) => this.options.observer?.onError?.(error),
    });
  }
}
