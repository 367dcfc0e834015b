/**
 * Runs a deletion in batches whose size adapts so that each transaction holds the database for
 * about `targetMs`: large enough to finish a million rows in minutes, small enough that requests
 * (and, on SQLite, every other writer) wait at most a few tens of milliseconds behind it.
 */

export interface TransactionRecord {
  readonly step: string;
  readonly rows: number;
  readonly ms: number;
}

export interface BatchPolicy {
  /** Aim for transactions this long; sizes shrink above it and grow below half of it. */
  readonly targetMs: number;
  readonly initialSize: number;
  readonly minSize: number;
  readonly maxSize: number;
}

export const DEFAULT_BATCH_POLICY: BatchPolicy = Object.freeze({
  targetMs: 20,
  // Small first: the first batch of a run meets a cold page cache.
  initialSize: 50,
  minSize: 10,
  maxSize: 5000,
});

/** One batch's outcome: `handled` (rows or users looked at) < the limit means nothing is left. */
export interface BatchOutcome {
  readonly handled: number;
  readonly ms: number;
}

/** The step name of checkpoints between batches: they hold no lock, and are reported apart. */
export const CHECKPOINT_STEP = 'checkpoint';

export class RetentionAborted extends Error {
  constructor() {
    super('retention run stopped before it finished');
    this.name = 'RetentionAborted';
  }
}

export class Batcher {
  /** Sizes learnt per step, kept across runs of the same job. */
  readonly #sizes = new Map<string, number>();

  constructor(
    private readonly policy: BatchPolicy = DEFAULT_BATCH_POLICY,
    private readonly observe?: (record: TransactionRecord) => void,
    /** Runs after each batch that changed something, outside its transaction; returns its ms. */
    private readonly settle?: () => Promise<number>,
  ) {}

  /** Calls `batch(limit)` until it handles fewer than `limit`; returns the rows handled. */
  async drain(
    step: string,
    batch: (limit: number) => Promise<BatchOutcome>,
    signal?: AbortSignal,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      if (signal?.aborted) throw new RetentionAborted();
      const limit = this.#sizes.get(step) ?? this.policy.initialSize;
      const outcome = await batch(limit);
      total += outcome.handled;
      if (outcome.ms > 0) {
        this.observe?.({ step, rows: outcome.handled, ms: outcome.ms });
        this.#sizes.set(step, this.#next(limit, outcome));
      }
      if (outcome.handled > 0 && this.settle) {
        const ms = await this.settle();
        if (ms > 0) this.observe?.({ step: CHECKPOINT_STEP, rows: 0, ms });
      }
      if (outcome.handled < limit) return total;
      // Let queued requests run between batches: in a single process they share the connection.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #next(limit: number, outcome: BatchOutcome): number {
    const { targetMs, minSize, maxSize } = this.policy;
    if (outcome.ms > targetMs) return Math.max(minSize, Math.floor((limit * targetMs) / outcome.ms));
    if (outcome.ms < targetMs / 2 && outcome.handled === limit) return Math.min(maxSize, limit * 2);
    return limit;
  }
}
