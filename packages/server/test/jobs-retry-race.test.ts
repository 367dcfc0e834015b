/**
 * A failed coalesced job retried while a new job with the same (kind, dedupe key) is enqueued: the
 * retry must settle (the waiting twin will do the work, so the failed job goes away) and never leave
 * the job stuck as running, nor reject on the dedupe index. SQLite: the two writes land in one group
 * commit. PostgreSQL (no group commit): the twin's transaction commits while the retry's UPDATE
 * waits on it.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/kysely-store.js';
import { KyselyJobStore } from '../src/store/repositories/jobs-sql.js';
import { withSyncTables } from '../src/store/repositories/sync-tables.js';
import { writeBatcherOf } from '../src/store/write-batcher.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';

const now = new Date('2027-03-01T10:00:00Z');
const later = new Date(now.getTime() + 60_000);
const job = (n: number) => ({ kind: 'sync', payload: { n }, dedupeKey: 'user-1', maxAttempts: 5 });

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`job retry racing an enqueue (${label})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function open() {
      const database: TestDatabase = await createTestDatabase(dialect);
      const store = await openStore(database.url);
      cleanups.push(async () => {
        await store.close();
        await database.drop();
      });
      const jobs = new KyselyJobStore(store.db);
      const rows = () =>
        withSyncTables(store.db)
          .selectFrom('jobs')
          .select(['payload', 'status', 'attempts', 'last_error'])
          .orderBy('id')
          .execute();
      return { database, store, jobs, rows };
    }

    it('requeues a failed job with its error when no twin waits', async () => {
      const { jobs, rows } = await open();
      await jobs.insert([job(1)], now);
      const [claimed] = await jobs.claim(['sync'], 1, 'w', now);
      if (!claimed) throw new Error('not claimed');
      await jobs.retry(claimed, later, 'boom', now);
      expect(await rows()).toMatchObject([{ status: 'ready', attempts: 1, last_error: 'boom' }]);
    });

    it('drops a failed job whose twin already waits', async () => {
      const { jobs, rows } = await open();
      await jobs.insert([job(1)], now);
      const [claimed] = await jobs.claim(['sync'], 1, 'w', now);
      if (!claimed) throw new Error('not claimed');
      await jobs.insert([job(2)], now);
      await jobs.retry(claimed, later, 'boom', now);
      expect(await rows()).toMatchObject([{ payload: '{"n":2}', status: 'ready', attempts: 0 }]);
    });

    it('a twin enqueued while the retry is under way leaves no job stuck as running', async () => {
      const { database, store, jobs, rows } = await open();
      await jobs.insert([job(1)], now);
      const [claimed] = await jobs.claim(['sync'], 1, 'w', now);
      if (!claimed) throw new Error('not claimed');
      let retry: Promise<void>;
      if (dialect === 'sqlite') {
        // Both calls are made in the same turn: their writes join the same group commit, the
        // enqueue before the retry's write (which used to check for a twin before queueing it).
        expect(writeBatcherOf(store.db)).toBeDefined();
        retry = jobs.retry(claimed, later, 'boom', now);
        await jobs.insert([job(2)], now);
      } else {
        // The twin is inserted by a transaction left open: the retry's UPDATE cannot see it yet
        // and waits on it in the dedupe index; the twin commits once the UPDATE is seen waiting.
        const other = new pg.Client({ connectionString: database.url });
        await other.connect();
        cleanups.push(() => other.end());
        await other.query('begin');
        await other.query(
          `insert into jobs (kind, payload, dedupe_key, status, attempts, max_attempts, run_at,
             created_at, updated_at)
           values ('sync', '{"n":2}', 'user-1', 'ready', 0, 5, $1, $1, $1)`,
          [now.toISOString()],
        );
        const blocker = (await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
        retry = jobs.retry(claimed, later, 'boom', now);
        await expect
          .poll(
            async () =>
              (
                await other.query(
                  'select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid)) ' +
                    "and query ilike 'update%jobs%'",
                  [blocker],
                )
              ).rowCount,
            { timeout: 10_000, interval: 10 },
          )
          .toBe(1);
        await other.query('commit');
      }
      await expect(retry).resolves.toBeUndefined();
      // One job waits for the key, whichever write came first: the requeued job (the enqueue then
      // coalesced into it) or the twin (the failed job then dropped). None is left running until
      // a restart.
      const left = await rows();
      expect(left).toHaveLength(1);
      expect([
        { payload: '{"n":1}', status: 'ready', attempts: 1, last_error: 'boom' },
        { payload: '{"n":2}', status: 'ready', attempts: 0, last_error: null },
      ]).toContainEqual(left[0]);
    });
  });
}
