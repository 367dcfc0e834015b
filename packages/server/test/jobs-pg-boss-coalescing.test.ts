/**
 * The pg-boss job queue's coalescing kinds and its work loop's slots, with several processes (two
 * queue instances on one pg-boss schema stand for two Roomlink processes):
 * - a job running for one key, or left `active` by a process killed while it ran, holds back no
 *   other key's job, nor the next job of its own key (pg-boss's `stately` policy made the unique
 *   index refuse every fetch of the kind, and pg-boss's fetch() answered that refusal with no jobs);
 * - a queue that an earlier version created as `stately`, jobs and all, is moved to `short` at start;
 * - one slow job holds one slot of its kind, not the others until it ends;
 * - a failing retry whose twin also waits for its retry is retried, as the observer is told (under
 *   `stately` it was dead-lettered at once while the observer heard "retried").
 * Handlers are held by promises the test releases, so "the first job is still running" is a fact,
 * not a timing guess; every wait is a bounded poll of a condition.
 */
import type pg from 'pg';
import PgBoss from 'pg-boss';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobHandler, JobKindOptions, JobPayload } from '../src/jobs/queue.js';
import { dialectAvailability, type TestDatabase } from './support/databases.js';
import { freshPgBossDatabase, recordingPgBossQueue } from './support/pg-boss-database.js';
import { eventually } from './sync-harness.js';

const { skip, label } = dialectAvailability('postgres');

const KINDS: Record<string, JobKindOptions> = {
  recon: { coalesce: true, maxAttempts: 8 },
  work: { maxAttempts: 8 },
};

/** Long enough that nothing in a test can reach it: a job not run within it never will be. */
const WAIT_MS = 10_000;

describe.skipIf(skip)(`the pg-boss job queue's coalescing kinds and slots (${label})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  const gates: (() => void)[] = [];
  afterEach(async () => {
    // A test that failed while a handler was held: let it end, or stop() would wait for it forever.
    for (const open of gates.splice(0)) open();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A promise that holds a handler, and the function that lets it go. */
  function gate(): { promise: Promise<void>; open: () => void } {
    let open = () => {};
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    gates.push(open);
    return { promise, open };
  }

  async function fresh() {
    const { database, schema, sql } = await freshPgBossDatabase(cleanups);
    return { database, schema, sql };
  }

  /** One Roomlink process's queue; `outcomes` and `errors` are what its observer heard. */
  function queueOn(
    database: TestDatabase,
    schema: string,
    options: { concurrency?: number; retryDelaySeconds?: number } = {},
  ) {
    return recordingPgBossQueue(database, schema, { kinds: KINDS, ...options }, cleanups);
  }

  /** A handler that records each run as `<process>:<name>` and holds the runs named in `held`. */
  function recording(process: string, ran: string[], held: ReadonlyMap<string, Promise<void>> = new Map()) {
    return async (payload: JobPayload) => {
      const name = String(payload.name);
      ran.push(`${process}:${name}`);
      await held.get(name);
    };
  }

  const jobsOf = async (sql: pg.Client, schema: string, kind: string) =>
    (
      await sql.query<{ name: string; state: string; policy: string }>(
        `select data->>'name' as name, state, policy from ${schema}.job where name = $1 order by created_on`,
        [kind],
      )
    ).rows;

  const job = (name: string, key: string) => ({ kind: 'recon', payload: { name }, dedupeKey: key });

  /**
   * Leaves a job of `key` `active` as a process killed while it ran leaves it (SIGKILL, or exit at the
   * shutdown timeout): set active by a fetch, with nobody to complete it until it expires (15 min).
   */
  async function orphan(sql: pg.Client, schema: string, name: string): Promise<void> {
    const { rowCount } = await sql.query(
      `update ${schema}.job set state = 'active', started_on = now()
        where name = 'recon' and data->>'name' = $1 and state = 'created'`,
      [name],
    );
    expect(rowCount).toBe(1);
  }

  it("runs another key's job, and the next job of the running key, in another process while a job runs", async () => {
    const { database, schema } = await fresh();
    const ran: string[] = [];
    const first = gate();
    // One slot: the first process takes nothing more while its job runs.
    const one = queueOn(database, schema, { concurrency: 1 });
    const two = queueOn(database, schema);
    await one.q.enqueue([job('A1', 'A')]);
    await one.q.start({ recon: recording('one', ran, new Map([['A1', first.promise]])) });
    await eventually(() => ran.includes('one:A1'), WAIT_MS, 'A1 to run in the first process');

    await one.q.enqueue([job('A2', 'A'), job('B', 'B')]);
    await two.q.start({ recon: recording('two', ran) });
    // Under `stately` neither ran until A1 ended: each fetch took A2 with B, and the index refused both.
    await eventually(
      // Both started and completed: an outcome is recorded only after the handler has returned.
      () => ran.includes('two:B') && ran.includes('two:A2') && two.outcomes.length === 2,
      WAIT_MS,
      'B and A2 to run in the second process while A1 runs',
    );
    expect(two.outcomes).toEqual(['recon:completed', 'recon:completed']);

    first.open();
    await eventually(() => one.outcomes.length === 1, WAIT_MS, 'A1 to complete');
    expect(one.outcomes).toEqual(['recon:completed']);
    expect([...one.errors, ...two.errors]).toEqual([]);
  });

  it('runs every other job at once after a process died while running a job, the dead job left active', async () => {
    const { database, schema, sql } = await fresh();
    const { q, outcomes } = queueOn(database, schema);
    await q.enqueue([job('A1', 'A')]);
    await orphan(sql, schema, 'A1');
    // The restart queues a reconciliation of every mailbox (maintain(true)), the dead job's too.
    await q.enqueue(['A', 'B', 'C', 'D', 'E'].map((key) => job(key === 'A' ? 'A2' : key, key)));
    const ran: string[] = [];
    await q.start({ recon: recording('p', ran) });

    await eventually(() => outcomes.length === 5, WAIT_MS, 'the five new jobs to complete');
    expect(ran.sort()).toEqual(['p:A2', 'p:B', 'p:C', 'p:D', 'p:E']);
    // The dead process's job waits for pg-boss to expire it, and runs again then.
    expect((await jobsOf(sql, schema, 'recon')).filter((row) => row.state !== 'completed')).toEqual([
      { name: 'A1', state: 'active', policy: 'short' },
    ]);
  });

  it('moves a queue an earlier version created as stately, and its jobs, to short at start', async () => {
    const { database, schema, sql } = await fresh();
    // As the earlier version created it and left it: a job of A active (its process was killed),
    // another of A and one of B waiting, all of them stately.
    const boss = new PgBoss({ connectionString: database.url, schema, supervise: false, schedule: false });
    await boss.start();
    await boss.createQueue('recon__dead', { name: 'recon__dead', policy: 'standard' });
    await boss.createQueue('recon', {
      name: 'recon',
      policy: 'stately',
      retryLimit: 7,
      retryDelay: 1,
      retryBackoff: true,
      expireInSeconds: 15 * 60,
      deadLetter: 'recon__dead',
    });
    await boss.send('recon', { name: 'A1' }, { singletonKey: 'A' });
    await orphan(sql, schema, 'A1');
    await boss.send('recon', { name: 'A2' }, { singletonKey: 'A' });
    await boss.send('recon', { name: 'B' }, { singletonKey: 'B' });
    await boss.stop({ graceful: false, wait: true });
    expect((await jobsOf(sql, schema, 'recon')).map((row) => row.policy)).toEqual([
      'stately',
      'stately',
      'stately',
    ]);

    const { q, outcomes, errors } = queueOn(database, schema);
    const ran: string[] = [];
    await q.start({ recon: recording('p', ran) });
    await eventually(() => outcomes.length === 2, WAIT_MS, 'A2 and B to complete');
    expect(ran.sort()).toEqual(['p:A2', 'p:B']);
    expect(await jobsOf(sql, schema, 'recon')).toEqual([
      { name: 'A1', state: 'active', policy: 'short' },
      { name: 'A2', state: 'completed', policy: 'short' },
      { name: 'B', state: 'completed', policy: 'short' },
    ]);
    const { rows } = await sql.query<{ policy: string }>(
      `select policy from ${schema}.queue where name = 'recon'`,
    );
    expect(rows).toEqual([{ policy: 'short' }]);
    // A new job coalesces with its waiting twin, as before.
    q.halt();
    await q.enqueue([job('C1', 'C'), job('C2', 'C')]);
    expect((await jobsOf(sql, schema, 'recon')).filter((row) => row.state === 'created')).toEqual([
      { name: 'C1', state: 'created', policy: 'short' },
    ]);
    expect(errors).toEqual([]);
  });

  it("keeps the kind's other slots working while one job is slow", async () => {
    const { database, schema } = await fresh();
    const ran: string[] = [];
    const slow = gate();
    const { q, outcomes } = queueOn(database, schema, { concurrency: 2 });
    await q.enqueue([
      { kind: 'work', payload: { name: 'slow' } },
      { kind: 'work', payload: { name: 'fast 1' } },
    ]);
    const handler: JobHandler = recording('p', ran, new Map([['slow', slow.promise]]));
    await q.start({ work: handler });
    await eventually(
      () => ran.includes('p:slow') && outcomes.length === 1,
      WAIT_MS,
      'both to run, one to end',
    );

    // The slow job's slot stays taken; the other one takes these in turn. With a loop that waited for
    // its whole batch before fetching again, neither ran until the slow job ended.
    await q.enqueue([
      { kind: 'work', payload: { name: 'fast 2' } },
      { kind: 'work', payload: { name: 'fast 3' } },
    ]);
    await eventually(() => outcomes.length === 3, WAIT_MS, 'the two new jobs to complete while one is slow');
    // Jobs sent together start in no set order (pg-boss orders them by a random id).
    expect(ran.slice(0, 2).sort()).toEqual(['p:fast 1', 'p:slow']);
    expect(ran.slice(2).sort()).toEqual(['p:fast 2', 'p:fast 3']);

    slow.open();
    await eventually(() => outcomes.length === 4, WAIT_MS, 'the slow job to complete');
    // stop() waits for the jobs in flight, as before.
    await q.stop();
  });

  it('stop() waits for a job in flight while the loop waits for a free slot', async () => {
    const { database, schema, sql } = await fresh();
    const ran: string[] = [];
    const slow = gate();
    const { q, outcomes } = queueOn(database, schema, { concurrency: 1 });
    await q.enqueue([{ kind: 'work', payload: { name: 'slow' } }]);
    await q.start({ work: recording('p', ran, new Map([['slow', slow.promise]])) });
    await eventually(() => ran.includes('p:slow'), WAIT_MS, 'the job to run');
    await q.enqueue([{ kind: 'work', payload: { name: 'next' } }]);

    const events: string[] = [];
    const stopped = q.stop().then(() => events.push('stopped'));
    slow.open();
    await stopped;
    // The job in flight ended before stop() returned; the one waiting was not taken.
    expect(outcomes).toEqual(['work:completed']);
    expect(ran).toEqual(['p:slow']);
    expect((await jobsOf(sql, schema, 'work')).map((row) => row.state)).toEqual(['completed', 'created']);
  });

  it('retries a failing job whose twin waits for its own retry, and says so truthfully', async () => {
    const { database, schema, sql } = await fresh();
    // Retries far off: both jobs stay waiting for their retry while the test looks.
    const { q, outcomes } = queueOn(database, schema, { retryDelaySeconds: 600 });
    const ran: string[] = [];
    await q.enqueue([job('A1', 'A')]);
    await q.start({
      recon: async (payload) => {
        ran.push(String(payload.name));
        throw Object.assign(new Error('unavailable'), { name: 'GraphError', status: 503 });
      },
    });
    await eventually(() => outcomes.length === 1, WAIT_MS, 'A1 to fail');
    // A new change of the mailbox while A1 waits for its retry.
    await q.enqueue([job('A2', 'A')]);
    await eventually(() => outcomes.length === 2, WAIT_MS, 'A2 to fail');

    expect(ran).toEqual(['A1', 'A2']);
    expect(outcomes).toEqual(['recon:retried', 'recon:retried']);
    // What the observer said is what the database holds: under `stately` A2 was `failed` and
    // dead-lettered, its retry refused by the index (A1 already waited in `retry` for key A).
    expect((await jobsOf(sql, schema, 'recon')).map((row) => `${row.name}:${row.state}`)).toEqual([
      'A1:retry',
      'A2:retry',
    ]);
    expect(await jobsOf(sql, schema, 'recon__dead')).toEqual([]);
  });
});
