/**
 * Recording a job's outcome (done, to be retried, dead) when the database refuses it for a moment.
 * The handler has run by then: what failed is the bookkeeping, not the job, so it is tried again
 * rather than counted as a failed run. Both queues (SQLite's table, pg-boss) do it this way.
 */

/**
 * The waits before each new try (1 + 4 + 15 s): a PostgreSQL restart or fail-over, or a full disk
 * being cleared, is usually over within them.
 */
export const OUTCOME_RETRY_DELAYS_MS: readonly number[] = [1_000, 4_000, 15_000];

export interface OutcomeRetryOptions {
  readonly delaysMs: readonly number[];
  /** Shutdown has begun: no more waiting. */
  readonly halted: () => boolean;
  /** Waits, or less once shutdown begins (WakeableSleeps). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Told of each refusal but the last, which is thrown. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Runs `call`, and again after each of the delays while it throws; once shutdown begins, one more
 * try at once and no more. The call must be safe to repeat when an earlier try reached the database
 * and only its answer was lost.
 */
export async function recordOutcome(
  call: () => Promise<unknown>,
  options: OutcomeRetryOptions,
): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await call();
      return;
    } catch (error) {
      const delay = options.delaysMs[tries];
      if (delay === undefined || options.halted()) throw error;
      options.onError?.(error);
      await options.sleep(delay);
    }
  }
}

/** Timed waits that shutdown can end at once, all together. */
export class WakeableSleeps {
  readonly #sleepers = new Set<() => void>();

  /** Waits `ms`, or less if wakeAll() comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleepers.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.#sleepers]) wake();
  }
}
