/**
 * Calendar sync's coalescing jobs on the pg-boss queue, in two processes (two queue instances on one
 * pg-boss schema, each with its own sync worker): the queue no longer keeps two jobs of one mailbox
 * from running at once (pg-boss's `short` policy: one job per key waits, any number run), so the
 * mailbox lease does. A reconciliation that finds its mailbox's lease held by another run is put back
 * for later, not lost and not dead-lettered, and runs once the first run lets the mailbox go.
 * Graph is a stand-in whose first round waits until the test lets it go, so "the first run still
 * holds the mailbox" is a fact, not a timing guess; every wait is a bounded poll of a condition.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GraphClient } from '../src/graph/graph-client.js';
import { JOB_KINDS } from '../src/graph/index.js';
import { JOB, mailboxJobKey } from '../src/graph/sync-worker.js';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { dialectAvailability } from './support/databases.js';
import { syncWorkerOn } from './support/sync-worker.js';
import { ADDIN_ID, eventually, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

const { skip, label } = dialectAvailability('postgres');

/** Long enough that nothing in the test can reach it: a job not run within it never will be. */
const WAIT_MS = 15_000;

describe.skipIf(skip)(`calendar sync's coalescing jobs on pg-boss, mailbox busy (${label})`, () => {
  let env: SyncEnv;
  let user: SyncUser;
  let sql: pg.Client;
  const cleanups: (() => Promise<void>)[] = [];
  const gates: (() => void)[] = [];

  beforeAll(async () => {
    env = await startSyncEnv('postgres', { start: false });
    user = await env.addUser();
    await env.sync.syncStore.users.activate(user.userId, user.tenantId, new Date());
    sql = new pg.Client({ connectionString: env.t.env.DATABASE_URL as string });
    await sql.connect();
  });
  afterEach(async () => {
    // A test that failed while Graph held a run: let it end, or stop() would wait for it forever.
    for (const open of gates.splice(0)) open();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await sql?.end();
    await env?.close();
  });

  it('puts back a reconciliation whose mailbox another process is reconciling, and runs it afterwards', async () => {
    const schema = `boss_${randomBytes(4).toString('hex')}`;
    cleanups.push(async () => {
      await sql.query(`drop schema if exists ${schema} cascade`);
    });
    // Graph: the first delta round waits until `release`; the others answer at once. A round has
    // nothing to list, so a reconciliation is one call to pages().
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    gates.push(() => release());
    const graph = {
      rounds: 0,
      async *pages() {
        graph.rounds++;
        if (graph.rounds === 1) await held;
        yield {
          value: [],
          deltaLink: 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=t',
        };
      },
    };
    const outcomes: string[] = [];
    const errors: unknown[] = [];
    const process = (concurrency?: number) => {
      const queue = new PgBossJobQueue({
        connectionString: env.t.env.DATABASE_URL as string,
        schema,
        kinds: JOB_KINDS,
        ...(concurrency ? { concurrency } : {}),
        observer: {
          onOutcome: (kind, outcome, reason) =>
            outcomes.push(`${kind}:${outcome}${reason ? `:${reason}` : ''}`),
          onError: (error) => errors.push(error),
        },
      });
      cleanups.push(() => queue.stop());
      const handlers = syncWorkerOn(env, {
        graph: graph as unknown as GraphClient,
        queue,
        settings: { addinId: ADDIN_ID },
      }).handlers();
      return { queue, handlers };
    };
    const reconcile = {
      kind: JOB.reconcile,
      payload: { userId: user.userId },
      dedupeKey: mailboxJobKey(user.userId),
    };
    const putBacks = async () =>
      (
        await sql.query<{ n: number }>(
          `select count(*)::int as n from ${schema}.job where name = $1 and data ? 'putBacks'`,
          [JOB.reconcile],
        )
      ).rows[0]?.n ?? 0;

    // One slot: the first process takes nothing more while its reconciliation runs.
    const one = process(1);
    await one.queue.enqueue([reconcile]);
    await one.queue.start(one.handlers);
    await eventually(() => graph.rounds === 1, WAIT_MS, 'the first reconciliation to reach Graph');

    // A second reconciliation of the mailbox, run by the other process while the first holds it.
    await one.queue.enqueue([reconcile]);
    const two = process();
    await two.queue.start(two.handlers);
    await eventually(async () => (await putBacks()) > 0, WAIT_MS, 'the second reconciliation to be put back');
    expect(graph.rounds).toBe(1);
    expect(outcomes.every((outcome) => outcome === `${JOB.reconcile}:completed`)).toBe(true);

    // Once the first run lets the mailbox go, the put-back job runs its round, and all is done.
    release();
    await eventually(() => graph.rounds === 2, WAIT_MS, 'the put-back reconciliation to reach Graph');
    await eventually(
      async () =>
        (
          await sql.query<{ n: number }>(
            `select count(*)::int as n from ${schema}.job where name = $1 and state < 'completed'`,
            [JOB.reconcile],
          )
        ).rows[0]?.n === 0,
      WAIT_MS,
      'every reconciliation job to be done',
    );
    expect(graph.rounds).toBe(2);
    // Nothing failed, nothing was dead-lettered: each run completed (a put-back run too).
    expect(outcomes.filter((outcome) => outcome !== `${JOB.reconcile}:completed`)).toEqual([]);
    const dead = await sql.query(`select 1 from ${schema}.job where name = $1`, [`${JOB.reconcile}__dead`]);
    expect(dead.rowCount).toBe(0);
    expect(errors).toEqual([]);
  });
});
