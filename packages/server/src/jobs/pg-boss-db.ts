/**
 * pg-boss's connection pool, held by Roomlink instead of by pg-boss (pg-boss's `db` option), so that
 * the job queue decides when it closes: pg-boss 10's stop() closes its own pool without waiting for
 * queries still on the wire. The queue's stop() (pg-boss-queue.ts) first ends its work loops, whose
 * fetches, completions and put-backs are awaited there, then stops pg-boss, waits until no query is
 * left on the wire and only then closes the pool.
 */
import pg from 'pg';
import { timedClient } from '../store/timed-pg-client.js';

export class PgBossDb {
  readonly #pool: pg.Pool;
  #inFlight = 0;
  #whenIdle: (() => void)[] = [];
  #closed = false;

  constructor(options: { connectionString: string; max: number; onError: (error: Error) => void }) {
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max,
      Client: timedClient(options.connectionString),
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
