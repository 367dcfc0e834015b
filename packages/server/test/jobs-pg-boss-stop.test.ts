/**
 * The pg-boss job queue with a fetch still on the wire at halt() (pg-boss 10's own stop did not wait
 * for one). The jobs the fetch takes must start nothing and go back to the queue before stop()
 * returns, waiting as they were: not reach their handler after the stop (against a store being
 * closed), nor stay `active` on a closed pool until they expire.
 *
 * The fetch is held on the wire by a lock the test takes on the queue's table; nothing waits on time.
 */
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgBossJobQueue, putBackJobs } from '../src/jobs/pg-boss-queue.js';
import type { JobPayload } from '../src/jobs/queue.js';
import { dialectAvailability, type TestDatabase } from './support/databases.js';
import { freshPgBossDatabase, holdQueueFetches } from './support/pg-boss-database.js';

const { skip, label } = dialectAvailability('postgres');

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

const KINDS = { work: { maxAttempts: 3 }, tick: { coalesce: true, maxAttempts: 3 } };

describe.skipIf(skip)(`the pg-boss job queue's halt() and stop() (${label})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A queue on a fresh database and pg-boss schema, and a connection of the test's own. */
  async function fresh(): Promise<{
    q: PgBossJobQueue;
    schema: string;
    database: TestDatabase;
    sql: pg.Client;
    outcomes: string[];
  }> {
    const { database, schema, sql } = await freshPgBossDatabase(cleanups);
    const outcomes: string[] = [];
    const q = new PgBossJobQueue({
      connectionString: database.url,
      schema,
      kinds: KINDS,
      observer: { onOutcome: (kind, outcome) => outcomes.push(`${kind}:${outcome}`) },
    });
    cleanups.push(() => q.stop());
    return { q, schema, database, sql, outcomes };
  }

  const jobsOf = async (sql: pg.Client, schema: string, kind: string) =>
    (
      await sql.query<{ state: string; retry_count: number; started: boolean }>(
        `select state, retry_count, started_on is not null as started from ${schema}.job
          where name = $1 order by created_on`,
        [kind],
      )
    ).rows;

  it('puts back, waiting as before, the jobs a fetch on the wire at halt() takes, before stop() returns', async () => {
    const { q, schema, database, sql, outcomes } = await fresh();
    // Waiting before the workers start, so that their first fetch is the one that takes it.
    await q.enqueue([{ kind: 'work', payload: { name: 'late' } }]);
    const held = await holdQueueFetches(database, sql, schema, 'work', cleanups);
    const events: string[] = [];
    await q.start({
      work: async (payload: JobPayload) => {
        events.push(`ran ${String(payload.name)}`);
      },
      tick: async () => undefined,
    });
    // The worker's fetch waits on the lock: it is on the wire.
    await held.fetchWaiting();

    q.halt();
    const stopped = q.stop().then(() => events.push('stopped'));
    // pg-boss's own stop runs its course in a few turns of the event loop, with no query (no handler
    // of its runs): what is left is the fetch on the wire.
    await settle();
    expect(events).toEqual([]);
    await held.release();
    await stopped;

    expect(events).toEqual(['stopped']);
    expect(outcomes).toEqual([]);
    // Waiting for the next start, its attempt not counted.
    expect(await jobsOf(sql, schema, 'work')).toEqual([{ state: 'created', retry_count: 0, started: false }]);
  });

  it('puts a job that ran before back for its retry, and cancels a coalescing job whose twin waits', async () => {
    const { q, schema, sql } = await fresh();
    await q.enqueue([
      { kind: 'work', payload: { name: 'tried before' } },
      { kind: 'tick', payload: {}, dedupeKey: 'mailbox' },
    ]);
    // As a fetch leaves them: `work` in its second attempt (it started before), `tick` in its first.
    await sql.query(
      `update ${schema}.job set state = 'active', started_on = now(), retry_count = 1 where name = 'work'`,
    );
    await sql.query(`update ${schema}.job set state = 'active', started_on = now() where name = 'tick'`);
    // Queued while the first was taken: pg-boss keeps one waiting job per key.
    await q.enqueue([{ kind: 'tick', payload: {}, dedupeKey: 'mailbox' }]);
    const ids = async (kind: string) =>
      (
        await sql.query<{ id: string }>(`select id from ${schema}.job where name = $1 and state = 'active'`, [
          kind,
        ])
      ).rows[0]?.id as string;
    const sqlDb = { executeSql: (text: string, values?: unknown[]) => sql.query(text, values) };

    await putBackJobs(sqlDb, schema, 'work', [await ids('work')]);
    await putBackJobs(sqlDb, schema, 'tick', [await ids('tick')]);

    expect(await jobsOf(sql, schema, 'work')).toEqual([{ state: 'retry', retry_count: 1, started: false }]);
    expect(await jobsOf(sql, schema, 'tick')).toEqual([
      { state: 'cancelled', retry_count: 0, started: true },
      { state: 'created', retry_count: 0, started: false },
    ]);
  });
});
