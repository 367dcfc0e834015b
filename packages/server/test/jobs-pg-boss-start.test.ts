/**
 * The pg-boss job queue's start: processes starting at once create their queues without failing on
 * each other (a deadlock PostgreSQL breaks is tried again), and a start that failed is not kept — the
 * next call (a request enqueueing a job) tries again.
 */
import net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { dialectAvailability } from './support/databases.js';
import { freePort } from './support/harness.js';
import { freshPgBossDatabase } from './support/pg-boss-database.js';

const { skip, label } = dialectAvailability('postgres');

describe.skipIf(skip)(`the pg-boss job queue's start (${label})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fresh database and pg-boss schema, dropped after the test. */
  const fresh = () => freshPgBossDatabase(cleanups);

  /** Roomlink's queues (not pg-boss's own, named __pgboss__…). */
  const queueNames = async (sql: pg.Client, schema: string) =>
    (
      await sql.query<{ name: string }>(
        `select name from ${schema}.queue where name not like '\\_\\_pgboss%' order by name`,
      )
    ).rows.map((r) => r.name);

  it('creates its queues again when PostgreSQL broke a deadlock by rolling their creation back', async () => {
    // PostgreSQL looks for a deadlock once per lock wait, when the session has waited
    // `deadlock_timeout` (1 s): the test's session must close the cycle within that second of the
    // creation's wait, or the creation's check finds none and nothing breaks the deadlock. A test
    // slowed down that long is seen (its lock times out) and the scenario is set up again.
    for (let attempt = 1; ; attempt++) {
      const outcome = await creationDeadlocked();
      if (outcome === 'rolled back') break;
      if (attempt === 3) {
        throw new Error(`the test's lock came after the creation's deadlock check ${attempt} times`);
      }
    }
  }, 60_000);

  /**
   * One run of the scenario: whether PostgreSQL broke the deadlock by rolling the creation back, or
   * the test closed the cycle too late for the creation's deadlock check.
   */
  async function creationDeadlocked(): Promise<'rolled back' | 'too late'> {
    const { database, schema, sql } = await fresh();
    // pg-boss installed (by another process, say), with a queue of its own.
    const installed = new PgBossJobQueue({ connectionString: database.url, schema, kinds: { first: {} } });
    await installed.ready();
    await installed.stop();

    // Another session holds the job table in the mode a queue creation's last step (attaching the
    // queue's partition) needs; the creation waits there, holding the queue table.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    cleanups.push(() => other.end());
    // PostgreSQL rolls back the session whose deadlock check finds the deadlock: each checks once it
    // has waited `deadlock_timeout`. A long one here leaves the check to the creation (this session
    // starts waiting only milliseconds after it); the lock timeout ends a wait the creation's check
    // came too early for.
    await other.query(`set deadlock_timeout = '60s'`);
    await other.query(`set lock_timeout = '5s'`);
    await other.query('begin');
    await other.query(`lock table ${schema}.job in share update exclusive mode`);
    const queue = new PgBossJobQueue({ connectionString: database.url, schema, kinds: { second: {} } });
    cleanups.push(() => queue.stop());
    const ready = queue.ready().then(
      () => 'ready',
      (error: unknown) => error,
    );
    for (;;) {
      const { rows } = await sql.query(
        `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like $1`,
        [`%${schema}.create_queue%`],
      );
      if (rows.length > 0) break;
    }
    // Now the other session waits for the queue table: a deadlock. The creation's check finds it and
    // the creation is rolled back (40P01); the other session gets its lock, then lets go.
    const locked = await other.query(`lock table ${schema}.queue in row exclusive mode`).then(
      () => true,
      (error: { code?: string }) => {
        if (error.code !== '55P03') throw error;
        return false;
      },
    );
    await other.query('rollback');

    expect(await ready).toBe('ready');
    expect(await queueNames(sql, schema)).toEqual(['first', 'first__dead', 'second', 'second__dead']);
    return locked ? 'rolled back' : 'too late';
  }

  it('several processes starting at once on a new database all start', async () => {
    const { database, schema, sql } = await fresh();
    const kinds = { a: {}, b: { coalesce: true }, c: {}, d: { coalesce: true } };
    const queues = [0, 1, 2, 3].map(
      () => new PgBossJobQueue({ connectionString: database.url, schema, kinds }),
    );
    for (const queue of queues) cleanups.push(() => queue.stop());
    const outcomes = await Promise.allSettled(queues.map((q) => q.ready()));
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(await queueNames(sql, schema)).toEqual([
      'a',
      'a__dead',
      'b',
      'b__dead',
      'c',
      'c__dead',
      'd',
      'd__dead',
    ]);
  });

  it('a start that failed is tried again by the next job enqueued', async () => {
    const { database, schema } = await fresh();
    // The database behind a port where nothing listens yet.
    const port = await freePort();
    const target = new URL(database.url);
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(port);
    const queue = new PgBossJobQueue({
      connectionString: proxied.toString(),
      schema,
      kinds: { work: { maxAttempts: 1 } },
    });
    await expect(queue.ready()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // Nothing to send tries no start (a webhook delivery that queues nothing, while pg-boss is down).
    await expect(queue.enqueue([])).resolves.toBeUndefined();

    // The database is reachable now.
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', () => resolve()));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    });
    // Stopped while the proxy still runs (its connections go through it).
    cleanups.push(() => queue.stop());

    await queue.enqueue([{ kind: 'work', payload: { userId: 'u-retry' } }]);
    expect(await queue.counts()).toEqual([{ kind: 'work', state: 'ready', count: 1 }]);
  });
});
