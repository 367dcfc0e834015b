/**
 * The pg-boss job queue's work loop (Roomlink's own, on pg-boss's fetch, complete and fail):
 * - an outcome that cannot be recorded, the database failing just then, is reported and tried again
 *   after a few waits (cut short by halt), then leaves the job to run again; it is never an unhandled
 *   rejection (pg-boss 10's own worker did not await its completion calls, and an unhandled
 *   rejection ends a Node.js process);
 * - a backlog drains batch after batch, not one batch per polling interval;
 * - health() reports a fetch that does not answer (held here by a lock on the queue's table).
 */
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobPayload } from '../src/jobs/queue.js';
import { dialectAvailability } from './support/databases.js';
import { freshPgBossDatabase, holdQueueFetches, recordingPgBossQueue } from './support/pg-boss-database.js';
import { eventually } from './sync-harness.js';

const { skip, label } = dialectAvailability('postgres');

const KINDS = { work: { maxAttempts: 3 } };

describe.skipIf(skip)(`the pg-boss job queue's work loop (${label})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fresh(
    options: {
      concurrency?: number;
      pollingIntervalSeconds?: number;
      monotonicMs?: () => number;
      outcomeRetryDelaysMs?: readonly number[];
    } = {},
  ) {
    const { database, schema, sql } = await freshPgBossDatabase(cleanups);
    const { q, outcomes, errors } = recordingPgBossQueue(
      database,
      schema,
      { kinds: KINDS, ...options },
      cleanups,
    );
    return { q, schema, sql, outcomes, errors, database };
  }

  const statesOf = async (sql: pg.Client, schema: string) =>
    (
      await sql.query<{ state: string }>(
        `select state from ${schema}.job where name = 'work' order by created_on`,
      )
    ).rows.map((row) => row.state);

  /** Records unhandled rejections until the test ends. */
  function watchUnhandled(): unknown[] {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(async () => {
      process.off('unhandledRejection', onUnhandled);
    });
    return unhandled;
  }

  /**
   * A handler that, for the job named 'first', takes the job's table away while the job runs:
   * recording its outcome then fails, as it does when PostgreSQL cannot be reached.
   */
  function refusingHandler(sql: pg.Client, schema: string, ran: string[]) {
    return async (payload: JobPayload) => {
      ran.push(String(payload.name));
      if (payload.name === 'first') await sql.query(`alter table ${schema}.job rename to job_away`);
    };
  }
  const tableBack = (sql: pg.Client, schema: string) =>
    sql.query(`alter table ${schema}.job_away rename to job`);
  const refusals = (errors: unknown[]) =>
    errors.filter((error) => String((error as Error).message).includes('does not exist')).length;

  it('tries a refused completion again, without an unhandled rejection, and completes the job once the database answers', async () => {
    // Many short waits: however long the table takes to come back, a later try finds it.
    const { q, schema, sql, outcomes, errors } = await fresh({ outcomeRetryDelaysMs: Array(100).fill(100) });
    const unhandled = watchUnhandled();
    const ran: string[] = [];
    await q.enqueue([{ kind: 'work', payload: { name: 'first' } }]);
    await q.start({ work: refusingHandler(sql, schema, ran) });
    await eventually(() => refusals(errors) > 0, 10_000, 'the refused completion to be reported');
    expect(outcomes).toEqual([]);

    await tableBack(sql, schema);
    // Not left `active` until pg-boss expires it (15 minutes): completed as soon as it can be.
    await eventually(() => outcomes.includes('work:completed'), 20_000, 'the job to complete');
    expect(await statesOf(sql, schema)).toEqual(['completed']);
    expect(ran).toEqual(['first']);
    expect(unhandled).toEqual([]);
  });

  it('leaves the job `active` once every try is refused, and keeps working', async () => {
    const { q, schema, sql, outcomes, errors } = await fresh({ outcomeRetryDelaysMs: [10, 10] });
    const unhandled = watchUnhandled();
    const ran: string[] = [];
    await q.enqueue([{ kind: 'work', payload: { name: 'first' } }]);
    await q.start({ work: refusingHandler(sql, schema, ran) });
    // The first try and one after each of the two waits.
    await eventually(() => refusals(errors) === 3, 10_000, 'three refused completions to be reported');
    await tableBack(sql, schema);

    // The loop goes on: a new job runs and completes, after the first job's tries have ended.
    await q.enqueue([{ kind: 'work', payload: { name: 'second' } }]);
    await eventually(() => outcomes.includes('work:completed'), 10_000, 'the second job to complete');
    expect(refusals(errors)).toBe(3);
    expect(ran).toEqual(['first', 'second']);
    // Left `active`: pg-boss expires it and it runs again, as after a crash.
    expect(await statesOf(sql, schema)).toEqual(['active', 'completed']);
    expect(unhandled).toEqual([]);
  });

  it('at halt, tries a refused completion once more at once instead of waiting', async () => {
    const { q, schema, sql, outcomes, errors } = await fresh({ outcomeRetryDelaysMs: [10 * 60_000] });
    const ran: string[] = [];
    await q.enqueue([{ kind: 'work', payload: { name: 'first' } }]);
    await q.start({ work: refusingHandler(sql, schema, ran) });
    await eventually(() => refusals(errors) === 1, 10_000, 'the refused completion to be reported');
    await tableBack(sql, schema);

    // Within the test's time limit, not after the ten-minute wait.
    await q.stop();
    expect(outcomes).toEqual(['work:completed']);
    expect(refusals(errors)).toBe(1);
    expect(await statesOf(sql, schema)).toEqual(['completed']);
  });

  it('drains a backlog batch after batch, not one batch per polling interval', async () => {
    // A minute between polls: with one batch per poll, the second batch would wait that long.
    const { q, sql, schema, outcomes } = await fresh({ concurrency: 2, pollingIntervalSeconds: 60 });
    await q.enqueue(Array.from({ length: 7 }, (_, i) => ({ kind: 'work', payload: { n: i } })));
    await q.start({ work: async () => undefined });
    await eventually(() => outcomes.length === 7, 10_000, 'all seven jobs to complete');
    expect(await statesOf(sql, schema)).toEqual(Array(7).fill('completed'));
  });

  it('reports in health() a fetch that has not answered for 30 s, until it answers', async () => {
    let now = 1_000_000;
    const { q, schema, sql, database, outcomes } = await fresh({ monotonicMs: () => now });
    await q.enqueue([{ kind: 'work', payload: {} }]);
    const held = await holdQueueFetches(database, sql, schema, 'work', cleanups);
    await q.start({ work: async () => undefined });
    await held.fetchWaiting();

    now += 30_000;
    expect(q.health()).toBeUndefined();
    now += 1_000;
    expect(q.health()).toBe("the job queue's fetch of work jobs has not answered for over 30 s");

    await held.release();
    await eventually(() => outcomes.includes('work:completed'), 10_000, 'the job to complete');
    expect(q.health()).toBeUndefined();
  });
});
