/**
 * Runs retention on a schedule inside the server: first shortly after start, then every hour.
 * Runs never overlap (the next is scheduled when one ends); stop() aborts between two batches and
 * waits for the run to wind down, so shutdown never cuts a transaction.
 */
import type { Worker } from '../server.js';
import type { RetentionJob, RetentionLogger, RetentionReport } from './job.js';

export interface RetentionWorkerOptions {
  readonly intervalMs?: number;
  readonly firstRunDelayMs?: number;
  readonly now?: () => Date;
  readonly logger?: RetentionLogger;
  /** Sees each finished run (tests wait on it). */
  readonly onRun?: (report: RetentionReport) => void;
}

export const RETENTION_INTERVAL_MS = 3600_000;
const FIRST_RUN_DELAY_MS = 60_000;

export class RetentionWorker implements Worker {
  #timer: NodeJS.Timeout | undefined;
  #abort: AbortController | undefined;
  #current: Promise<unknown> | undefined;
  #stopped = true;

  constructor(
    private readonly job: RetentionJob,
    private readonly options: RetentionWorkerOptions = {},
  ) {}

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(this.options.firstRunDelayMs ?? FIRST_RUN_DELAY_MS);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
    await this.#current?.catch(() => undefined);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), delay);
    // The schedule alone never keeps the process alive (the HTTP server does).
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#abort = new AbortController();
    const now = this.options.now ?? (() => new Date());
    const run = this.job.run(now(), { signal: this.#abort.signal });
    this.#current = run;
    try {
      this.options.onRun?.(await run);
    } catch (error) {
      this.options.logger?.error(
        { err: { type: (error as Error).name, stack: (error as Error).stack } },
        'retention run failed',
      );
    } finally {
      this.#current = undefined;
      this.#schedule(this.options.intervalMs ?? RETENTION_INTERVAL_MS);
    }
  }
}
