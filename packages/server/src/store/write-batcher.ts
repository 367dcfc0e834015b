/**
 * Group commit for SQLite. With `synchronous=FULL` every COMMIT waits for an fsync of the WAL; one
 * transaction per request makes that fsync the bottleneck. The batcher instead runs the write
 * units that arrive while a transaction is being prepared or committed together, in the next
 * single transaction:
 *
 *   BEGIN IMMEDIATE
 *     SAVEPOINT unit; <unit 1>; RELEASE unit        -- or ROLLBACK TO unit; RELEASE unit
 *     SAVEPOINT unit; <unit 2>; RELEASE unit
 *     …
 *   COMMIT                                          -- one fsync for the whole batch
 *
 * Guarantees:
 * - a unit is atomic: all of its writes land or none (its savepoint);
 * - a unit that throws is rolled back alone and rejects only its own caller;
 * - a caller's promise resolves only after the COMMIT that contains its writes has returned, so
 *   with synchronous=FULL the writes are durable before anyone is told they succeeded;
 * - if BEGIN, a savepoint statement or COMMIT fails, the whole transaction is rolled back and every
 *   caller of that batch is rejected (none is told its writes landed);
 * - units run one after the other, in arrival order, on the one connection; a later unit sees the
 *   writes of earlier units of its batch (they commit or fail together);
 * - the connection is held for the whole batch, so no reader on it sees uncommitted writes.
 *
 * A unit that runs exactly one SQL statement (a job's enqueue, claim, retry, dead-lettering or
 * completion) may say so and skip its savepoint: SQLite already makes a statement atomic. A failing statement is undone alone
 * and the transaction goes on, or, for a few errors (disk full, I/O error), SQLite rolls back the
 * whole transaction; the batcher checks which, and in the second case rejects the whole batch, as
 * when a savepoint cannot be closed. For a job enqueue the savepoint, and the page copies it forces,
 * were ~2.5 of ~13.5 µs of SQLite time per notification.
 *
 * A batch starts on the next turn of the event loop (setImmediate) after its first unit arrives,
 * so that the requests read in the same I/O phase join it; units arriving while a batch runs form
 * the next one. Units should only touch the database: anything slow inside a unit holds the write
 * lock for everyone, exactly as it would inside an ordinary transaction.
 */

export type ControlStep = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo';

export interface WriteBatcherHost<C> {
  /** Runs `fn` with exclusive use of the single write connection. */
  withConnection<T>(fn: (connection: C) => Promise<T>): Promise<T>;
  /** Runs one transaction-control statement on the connection. */
  control(connection: C, step: ControlStep): Promise<void>;
  /** Whether the connection is inside a transaction (SQLite may end one by itself on some errors). */
  inTransaction(connection: C): boolean;
}

export interface UnitOptions {
  /** The unit runs exactly one SQL statement, which SQLite makes atomic: it needs no savepoint. */
  readonly singleStatement?: boolean;
}

export interface WriteBatcherOptions {
  /** Most units in one transaction; default 256. */
  readonly maxBatch?: number;
  /** How a batch is deferred to gather units; default setImmediate. */
  readonly schedule?: (run: () => void) => void;
  /** Told of every batch once its callers are settled: its units, its time since BEGIN, and whether it committed. */
  readonly onBatch?: (units: number, seconds: number, committed: boolean) => void;
}

interface Unit<C> {
  readonly work: (connection: C) => Promise<unknown>;
  readonly savepoint: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

export class WriteBatcher<C> {
  readonly #host: WriteBatcherHost<C>;
  readonly #maxBatch: number;
  readonly #schedule: (run: () => void) => void;
  readonly #onBatch: ((units: number, seconds: number, committed: boolean) => void) | undefined;
  #queue: Unit<C>[] = [];
  #scheduled = false;
  #running = false;
  #idle: (() => void)[] = [];

  constructor(host: WriteBatcherHost<C>, options: WriteBatcherOptions = {}) {
    this.#host = host;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.#schedule = options.schedule ?? ((run) => setImmediate(run));
    this.#onBatch = options.onBatch;
  }

  /** Runs `work` as one unit of a group-committed transaction; settles after that transaction ends. */
  run<T>(work: (connection: C) => Promise<T>, options: UnitOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        savepoint: !options.singleStatement,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#kick();
    });
  }

  /** Resolves once every unit handed in so far has been committed or rejected. */
  flush(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #kick(): void {
    if (this.#running || this.#scheduled) return;
    if (this.#queue.length === 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
      return;
    }
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    const batch = this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch);
    this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#maxBatch);
    try {
      await this.#commit(batch);
    } finally {
      this.#running = false;
      this.#kick();
    }
  }

  async #commit(batch: readonly Unit<C>[]): Promise<void> {
    const outcomes: Outcome[] = [];
    const started = performance.now();
    const observe = (committed: boolean) => {
      try {
        this.#onBatch?.(batch.length, (performance.now() - started) / 1000, committed);
      } catch {
        // An observer never fails a batch.
      }
    };
    try {
      await this.#host.withConnection(async (connection) => {
        const control = (step: ControlStep) => this.#host.control(connection, step);
        await control('begin');
        try {
          for (const unit of batch) {
            if (unit.savepoint) await control('savepoint');
            let outcome: Outcome;
            try {
              outcome = { ok: true, value: await unit.work(connection) };
            } catch (error) {
              outcome = { ok: false, error };
            }
            // Recorded before the savepoint is closed: if closing fails, the unit keeps its own error.
            outcomes.push(outcome);
            if (unit.savepoint) {
              if (!outcome.ok) await control('rollbackTo');
              await control('release');
            } else if (!outcome.ok && !this.#host.inTransaction(connection)) {
              // SQLite rolled the whole transaction back: the batch's earlier units are gone too.
              throw outcome.error;
            }
          }
          await control('commit');
        } catch (error) {
          // The transaction may already be gone (SQLite rolls back by itself on some errors).
          await control('rollback').catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      // Nothing of this batch was committed: every caller learns it.
      batch.forEach((unit, i) => {
        const outcome = outcomes[i];
        unit.reject(outcome && !outcome.ok ? outcome.error : error);
      });
      observe(false);
      return;
    }
    batch.forEach((unit, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
    observe(true);
  }
}

const batchers = new WeakMap<object, WriteBatcher<never>>();

/** Associates a batcher with a database handle (the store's SQLite Kysely instance). */
export function registerWriteBatcher<C>(db: object, batcher: WriteBatcher<C>): void {
  batchers.set(db, batcher as unknown as WriteBatcher<never>);
}

/** The group-commit batcher of this database handle; undefined for PostgreSQL or when disabled. */
export function writeBatcherOf<C>(db: object): WriteBatcher<C> | undefined {
  return batchers.get(db) as unknown as WriteBatcher<C> | undefined;
}
