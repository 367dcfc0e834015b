/**
 * The pg-boss job queue's stop() with a worker's fetch still on the wire: pg-boss 10 stops once the
 * handlers it started are done, without waiting for that fetch. The jobs the fetch takes must still
 * run to the end and be completed before stop() returns, not reach their handler after it (against a
 * store being closed) and stay `active` on a closed pool until they expire.
 *
 * The fetch is held on the wire by a lock the test takes on the queue's table; nothing waits on time.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import type { JobPayload } from '../src/jobs/queue.js';
import { createTestDatabase, dialectAvailability } from './support/databases.js';
import { eventually } from './sync-harness.js';

const { skip, label } = dialectAvailability('postgres');

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe.skipIf(skip)(`the pg-boss job queue's stop() (${label})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('runs and completes the jobs a fetch on the wire at the stop takes, before it returns', async () => {
    const database = await createTestDatabase('postgres');
    const schema = `boss_${randomBytes(4).toString('hex')}`;
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    cleanups.push(async () => {
      await locker.end();
      await sql.query(`drop schema if exists ${schema} cascade`);
      await sql.end();
      await database.drop();
    });
    const outcomes: string[] = [];
    const q = new PgBossJobQueue({
      connectionString: database.url,
      schema,
      kinds: { work: { maxAttempts: 3 } },
      observer: { onOutcome: (kind, outcome) => outcomes.push(`${kind}:${outcome}`) },
    });
    cleanups.push(() => q.stop());

    // Waiting before the workers start, so that their first fetch is the one that takes it.
    await q.enqueue([{ kind: 'work', payload: { name: 'late' } }]);
    // The queue's own partition of pg-boss's job table: only this queue's fetches wait on the lock.
    const { rows: partitions } = await sql.query<{ partition_name: string }>(
      `select partition_name from ${schema}.queue where name = 'work'`,
    );
    await locker.query('begin');
    await locker.query(`lock table ${schema}.${partitions[0]?.partition_name} in access exclusive mode`);
    cleanups.push(() => locker.query('rollback').then(() => undefined));

    const events: string[] = [];
    await q.start({
      work: async (payload: JobPayload) => {
        events.push(`ran ${String(payload.name)}`);
      },
    });
    // The worker's fetch waits on the lock: it is on the wire.
    await eventually(
      async () =>
        (
          await sql.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where application_name = 'pgboss' and wait_event_type = 'Lock' and query like $1`,
            [`%${schema}.job%`],
          )
        ).rows[0]?.n !== 0,
      10_000,
      "the worker's fetch to wait on the lock",
    );

    q.halt();
    const stopped = q.stop().then(() => events.push('stopped'));
    // pg-boss's own stop runs its course in a few turns of the event loop, with no query (no handler
    // of its runs): what is left is the fetch on the wire.
    await settle();
    expect(events).toEqual([]);
    await locker.query('commit');
    await stopped;

    expect(events).toEqual(['ran late', 'stopped']);
    expect(outcomes).toEqual(['work:completed']);
    const { rows } = await sql.query<{ state: string }>(
      `select state from ${schema}.job where name = 'work'`,
    );
    expect(rows).toEqual([{ state: 'completed' }]);
  });
});
