/**
 * The durable job queue: at-least-once delivery, retries with backoff, dead letters with a reason.
 * Two implementations share this interface: SqlJobQueue (a jobs table; embedded SQLite mode) and
 * PgBossJobQueue (pg-boss on PostgreSQL, so that several Roomlink processes share the work).
 * Handlers must be idempotent: a job can run again after a crash.
 */

/** JSON-serialisable job data. Never put titles, addresses or tokens in it. */
export type JobPayload = Readonly<Record<string, string | number | boolean | null>>;

export interface JobSpec {
  readonly kind: string;
  readonly payload: JobPayload;
  /**
   * Coalescing key (kinds declared `coalesce`): while a job with this key waits, another is not added.
   * A job already running does not block a new one, so a change that arrives meanwhile is not lost.
   */
  readonly dedupeKey?: string;
  readonly delayMs?: number;
}

export interface JobContext {
  readonly id: string;
  /** 1 on the first run. */
  readonly attempt: number;
}

export type JobHandler = (payload: JobPayload, context: JobContext) => Promise<void>;

export interface JobKindOptions {
  /** Runs before the job is dead-lettered; default 8. */
  readonly maxAttempts?: number;
  /** Jobs carry a dedupeKey and at most one per key waits. */
  readonly coalesce?: boolean;
}

export type JobState = 'ready' | 'running' | 'dead';

export interface JobCount {
  readonly kind: string;
  readonly state: JobState;
  readonly count: number;
}

export type JobOutcome = 'completed' | 'retried' | 'dead';

export interface JobObserver {
  /** Called once per finished run; `reason` is a short code-like text, never data. */
  onOutcome?(kind: string, outcome: JobOutcome, reason?: string): void;
  onError?(error: unknown): void;
}

export interface JobQueue {
  readonly backend: 'sql' | 'pg-boss';
  /** Writes the jobs durably before resolving. */
  enqueue(jobs: readonly JobSpec[]): Promise<void>;
  /** Starts consuming the given kinds. */
  start(handlers: Readonly<Record<string, JobHandler>>): Promise<void>;
  /** Takes no new jobs and waits for those in flight to finish (for SIGTERM). */
  stop(): Promise<void>;
  counts(): Promise<JobCount[]>;
}

/** A job failed for a reason that retrying cannot fix: dead-letter it at once. */
export class PermanentJobError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'PermanentJobError';
  }
}

/** The longest wait an error's `retryAfterMs` can impose on a retry (a bound on a bogus Retry-After). */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * How long a failed job must wait before its retry, when the error says so: a numeric
 * `retryAfterMs` (GraphError carries Graph's Retry-After, or what remains of the mailbox's pause).
 * The queues retry no sooner than this, and no sooner than their own backoff.
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('retryAfterMs' in error)) return undefined;
  const value = error.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? Math.min(value, MAX_RETRY_AFTER_MS)
    : undefined;
}

/** A short, data-free description of why a job failed, for last_error and metrics. */
export function failureReason(error: unknown): string {
  if (error instanceof PermanentJobError) return error.reason.slice(0, 200);
  const e = error as { name?: unknown; code?: unknown; status?: unknown };
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const code = typeof e?.code === 'string' || typeof e?.code === 'number' ? `:${e.code}` : '';
  const status = typeof e?.status === 'number' ? `:${e.status}` : '';
  return `${name}${code}${status}`.slice(0, 200);
}
