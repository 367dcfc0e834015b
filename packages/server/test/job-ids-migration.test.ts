/**
 * Migration 0006 on a SQLite database that already holds jobs: they keep their order and content
 * under integer ids, and the queue goes on with them.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/kysely-store.js';
import { retryWhileSchemasVanish, roomlinkMigrator } from '../src/store/migrations/index.js';
import { KyselyJobStore } from '../src/store/repositories/jobs-sql.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';

describe('migration 0006 (job row ids) on SQLite', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => database?.drop());

  it('keeps waiting and dead-lettered jobs, in order, and the queue carries on with them', async () => {
    database = await createTestDatabase('sqlite');
    const file = database.url.replace(/^sqlite:/, '');
    // The database as the previous release left it: migrations up to 0005, jobs with text ids.
    const before = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    const migrator = roomlinkMigrator(before, { upTo: '0005_meeting_indexes' });
    expect((await retryWhileSchemasVanish(() => migrator.migrateToLatest())).error).toBeUndefined();
    const at = '2026-11-29T12:00:00.000Z';
    const old = [
      ['0197c0de-0000-7000-8000-000000000001', 'graph.change', '{"n":1}', null, 'ready', null],
      ['0197c0de-0000-7000-8000-000000000002', 'graph.reconcile', '{"n":2}', 'user-1', 'ready', null],
      ['0197c0de-0000-7000-8000-000000000003', 'graph.change', '{"n":3}', null, 'dead', 'gave up'],
    ] as const;
    for (const [id, kind, payload, dedupe, status, error] of old) {
      await sql`insert into jobs (id, kind, payload, dedupe_key, status, attempts, max_attempts, run_at,
          locked_by, last_error, created_at, updated_at)
        values (${id}, ${kind}, ${payload}, ${dedupe}, ${status}, 0, 8, ${at}, null, ${error}, ${at}, ${at})`.execute(
        before,
      );
    }
    await before.destroy();

    const store = await openStore(`sqlite:${path.resolve(file)}`);
    try {
      const rows = (
        await sql<{ id: number; kind: string; payload: string; status: string }>`
          select id, kind, payload, status from jobs order by id`.execute(store.db)
      ).rows;
      expect(rows.map((r) => [typeof r.id, r.kind, r.payload, r.status])).toEqual([
        ['number', 'graph.change', '{"n":1}', 'ready'],
        ['number', 'graph.reconcile', '{"n":2}', 'ready'],
        ['number', 'graph.change', '{"n":3}', 'dead'],
      ]);
      // The id is the row id: no separate index for it.
      const indexes = (
        await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'index' and tbl_name = 'jobs'`.execute(store.db)
      ).rows.map((r) => r.name);
      expect(indexes.sort()).toEqual(['jobs_dedupe', 'jobs_ready']);

      const jobs = new KyselyJobStore(store.db);
      expect(await jobs.deadLetters(10)).toEqual([
        { id: String(rows[2]?.id), kind: 'graph.change', reason: 'gave up' },
      ]);
      // Coalescing still holds: a second waiting job for the same key is not added.
      await jobs.insert(
        [{ kind: 'graph.reconcile', payload: { n: 4 }, dedupeKey: 'user-1', maxAttempts: 8 }],
        new Date(at),
      );
      await jobs.insert([{ kind: 'graph.change', payload: { n: 5 }, maxAttempts: 8 }], new Date(at));
      const claimed = await jobs.claim(['graph.change', 'graph.reconcile'], 10, 'worker', new Date(at));
      expect(claimed.map((j) => j.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 5 }]);
      for (const j of claimed) await jobs.complete(j.id);
      expect((await jobs.counts()).filter((c) => c.state !== 'dead')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('migration 0006 (job row ids) undone', () => {
  it('gives the jobs back a text key, keeping them and their indexes', async () => {
    const database = await createTestDatabase('sqlite');
    const file = database.url.replace(/^sqlite:/, '');
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
    try {
      expect(() => roomlinkMigrator(db, { upTo: '9999_unknown' })).toThrow(/no migration named 9999_unknown/);
      const migrator = roomlinkMigrator(db, { upTo: '0006_job_row_ids' });
      expect((await retryWhileSchemasVanish(() => migrator.migrateToLatest())).error).toBeUndefined();
      const at = '2026-11-29T12:00:00.000Z';
      await sql`insert into jobs (kind, payload, dedupe_key, status, attempts, max_attempts, run_at,
          locked_by, last_error, created_at, updated_at)
        values ('graph.change', '{"n":1}', null, 'ready', 0, 8, ${at}, null, null, ${at}, ${at})`.execute(db);
      expect((await migrator.migrateDown()).error).toBeUndefined();
      const rows = (await sql<{ id: unknown; payload: string }>`select id, payload from jobs`.execute(db))
        .rows;
      expect(rows).toEqual([{ id: '1', payload: '{"n":1}' }]);
      const indexes = (
        await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'index' and tbl_name = 'jobs'`.execute(db)
      ).rows.map((r) => r.name);
      expect(indexes.sort()).toEqual(['jobs_dedupe', 'jobs_ready', 'sqlite_autoindex_jobs_1']);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
