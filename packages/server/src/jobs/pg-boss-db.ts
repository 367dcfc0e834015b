/**
 * pg-boss's connection pool, held by Roomlink instead of by pg-boss (pg-boss's `db` option).
 *
 * pg-boss 10's stop() waits for the handlers it has started, then closes its pool; it does not wait
 * for a worker's fetch still on the wire. Jobs that fetch returns were then handed to their handler
 * after stop() had returned: the handler ran during the rest of the shutdown (against a store being
 * closed, an HTTP server closing round it), and its completion met a closed pool, so the job stayed
 * `active` until it expired. Counting the queries in flight lets the queue's stop() wait for such a
 * fetch, and put the jobs it takes back, before it closes the pool (pg-boss-queue.ts).
 */
import pg from 'pg';

export class PgBossDb {
  readonly #pool: pg.Pool;
  #inFlight = 0;
  #whenIdle: (() => void)[] = [];
  #closed = false;

  constructor(options: { connectionString: string; max: number; onError: (error: Error) => void }) {
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max,
      // The name pg-boss gives its own pool, so that database administrators see the same sessions.
      application_name: 'pgboss',
    });
    // An idle connection that breaks (PostgreSQL restarting) must not crash the process.
    this.#pool.on('error', options.onError);
  }

  async executeSql(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    if (this.#closed) throw new Error('the job queue is stopped: its database connections are closed');
    this.#inFlight++;
    try {
      return await this.#pool.query(text, values);
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const resolve of this.#whenIdle.splice(0)) resolve();
    }
  }

  /** Whether a query is on the wire. */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  /** Resolves once no query is on the wire (at once if none is). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenIdle.push(resolve));
  }

  /** Closes the connections; later queries are refused. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
