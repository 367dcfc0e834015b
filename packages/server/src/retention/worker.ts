/**
 * Runs retention on a schedule inside the server: first shortly after start, then every hour.
 * Runs never overlap (the next is scheduled when one ends). halt() (the start of shutdown) schedules
 * nothing more and asks a run under way to stop between two batches; stop() does the same and waits
 * for that run to wind down, so shutdown never cuts a transaction nor closes the database under it.
 */
import type { Worker } from '../server.js';
import type { RetentionJob, RetentionLogger, RetentionReport } from './job.js';

/** How the worker waits for its next run: Node's timers, or a test's. */
export interface RetentionTimers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const NODE_TIMERS: RetentionTimers = {
  set: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    // The schedule alone never keeps the process alive (the HTTP server does).
    timer.unref();
    return timer;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

export interface RetentionWorkerOptions {
  readonly intervalMs?: number;
  readonly firstRunDelayMs?: number;
  readonly now?: () => Date;
  /**
   * A clock that only moves forward, in ms, for health()'s check on a run under way; default
   * `performance.now()`. A step of the wall clock (`now`) is no stalled run.
   */
  readonly monotonicMs?: () => number;
  readonly logger?: RetentionLogger;
  /** Sees each finished run (tests wait on it). */
  readonly onRun?: (report: RetentionReport) => void;
  /** Test seam: the schedule's timers. */
  readonly timers?: RetentionTimers;
}

export const RETENTION_INTERVAL_MS = 3600_000;
const FIRST_RUN_DELAY_MS = 60_000;
/**
 * A run under way for this many intervals has stopped making headway (a batch waiting on a lock or a
 * connection that never answers): runs take seconds, a large first purge minutes (bench/).
 */
const STALLED_AFTER_INTERVALS = 3;

export class RetentionWorker implements Worker {
  #timer: unknown;
  #abort: AbortController | undefined;
  #current: Promise<unknown> | undefined;
  /** When the run under way started (monotonicMs()). */
  #runStartedAt: number | undefined;
  #stopped = true;

  constructor(
    private readonly job: Pick<RetentionJob, 'run'>,
    private readonly options: RetentionWorkerOptions = {},
  ) {}

  get #timers(): RetentionTimers {
    return this.options.timers ?? NODE_TIMERS;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(this.options.firstRunDelayMs ?? FIRST_RUN_DELAY_MS);
  }

  /** No run starts from now on, and the one under way (if any) stops at its next batch. */
  halt(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
  }

  /** halt(), then waits until the run under way (if any) has stopped. */
  async stop(): Promise<void> {
    this.halt();
    await this.#current?.catch(() => undefined);
  }

  /**
   * undefined while the schedule runs; otherwise why not: it is not running (not started, or
   * halted), or the run under way has not ended after three intervals (3 hours). A run that failed is
   * logged and the next one scheduled as usual: that is not reported here. Cheap: no query.
   */
  health(): string | undefined {
    if (this.#stopped) return 'retention: its schedule is not running';
    const intervalMs = this.options.intervalMs ?? RETENTION_INTERVAL_MS;
    const stalledAfterMs = STALLED_AFTER_INTERVALS * intervalMs;
    if (this.#runStartedAt !== undefined && this.#monotonicMs() - this.#runStartedAt > stalledAfterMs) {
      const over =
        stalledAfterMs % 3600_000 === 0
          ? `${stalledAfterMs / 3600_000} h`
          : `${Math.ceil(stalledAfterMs / 60_000)} min`;
      return `retention: a run has been under way for over ${over} without ending`;
    }
    return undefined;
  }

  get #now(): () => Date {
    return this.options.now ?? (() => new Date());
  }

  #monotonicMs(): number {
    return this.options.monotonicMs?.() ?? performance.now();
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = this.#timers.set(() => void this.#tick(), delay);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#abort = new AbortController();
    const asOf = this.#now();
    this.#runStartedAt = this.#monotonicMs();
    const run = this.job.run(asOf, { signal: this.#abort.signal });
    this.#current = run;
    try {
      // Awaited whether or not anyone listens: stop() waits on #current until the run has ended.
      const report = await run;
      this.options.onRun?.(report);
    } catch (error) {
      this.options.logger?.error(
        { err: { type: (error as Error).name, stack: (error as Error).stack } },
        'retention run failed',
      );
    } finally {
      this.#current = undefined;
      this.#runStartedAt = undefined;
      this.#schedule(this.options.intervalMs ?? RETENTION_INTERVAL_MS);
    }
  }
}
