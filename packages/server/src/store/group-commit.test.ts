/**
 * Group commit wired into the store (SQLite) and the precompiled queries on both dialects' SQL.
 * The batcher's own contract is tested in write-batcher.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from './kysely-store.js';
import { Precompiled, registerDirectRunner, unregisterDirectRunner } from './precompiled.js';
import { KyselyJobStore } from './repositories/jobs-sql.js';
import { writeBatcherOf } from './write-batcher.js';

const now = new Date('2026-11-29T10:00:00Z');
const entry = (targetId: string) => ({
  tenantId: 't',
  actorId: 'u',
  action: 'meeting.created' as const,
  targetType: 'meeting',
  targetId,
});

let close: (() => Promise<void>)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of close) await c();
  close = [];
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'group-commit-'));
  dirs.push(dir);
  return path.join(dir, 'db.sqlite');
}

/** One turn of the event loop, I/O included (no timer). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Turns the event loop until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await turn();
  expect(condition()).toBe(true);
}

function settledState(promise: Promise<unknown>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

async function fileStore() {
  const file = tempFile();
  const store = await openStore(`sqlite:${file}`);
  close.push(() => store.close());
  await store.tenants.ensure('t', now);
  return { store, file };
}

describe('group commit in the SQLite store', () => {
  it('commits concurrent transactions together, rolling back only the failing one', async () => {
    const { store, file } = await fileStore();
    expect(writeBatcherOf(store.db)).toBeDefined();
    const observer = new SqliteDatabase(file, { readonly: true });
    close.push(async () => {
      observer.close();
    });
    const boom = new Error('no');
    const results = await Promise.allSettled([
      store.transaction((tx) => tx.audit.append(entry('a'), now)),
      store.transaction(async (tx) => {
        await tx.audit.append(entry('b'), now);
        throw boom;
      }),
      store.transaction((tx) => tx.audit.append(entry('c'), now)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // Committed and visible to another connection by the time the callers are answered.
    const targets = observer.prepare('select target_id from audit_log order by target_id').pluck().all();
    expect(targets).toEqual(['a', 'c']);
    // The batch's COMMIT ran with NORMAL plus an fdatasync of the log; FULL is back for every other write.
    const level = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    expect(level.rows[0]?.synchronous).toBe(2);
  });

  it("keeps the savepoints' undo pages in memory (temp_store=MEMORY), not in a temporary file", async () => {
    // By default the sub-journal spills to a file past 64 KiB per transaction: a pwrite for every
    // page a unit touches once a batch is large (see database.ts).
    const { store } = await fileStore();
    const level = await sql<{ temp_store: number }>`pragma temp_store`.execute(store.db);
    expect(level.rows[0]?.temp_store).toBe(2);
  });

  it('close() commits the writes already handed in', async () => {
    const file = tempFile();
    const store = await openStore(`sqlite:${file}`);
    await store.tenants.ensure('t', now);
    const pending = store.transaction((tx) => tx.audit.append(entry('late'), now));
    await store.close();
    await pending;
    const observer = new SqliteDatabase(file, { readonly: true });
    expect(observer.prepare('select count(*) from audit_log').pluck().get()).toBe(1);
    observer.close();
  });

  it('runs a precompiled read at once while nobody holds the connection, without the executor', async () => {
    const { store } = await fileStore();
    const executor = vi.spyOn(store.db, 'executeQuery');
    expect(await store.meetings.findByIdempotencyKey('t', 'u', 'k')).toBeUndefined();
    expect(executor).not.toHaveBeenCalled();
  });

  it('queues a precompiled read behind whoever holds the connection (a batch until its log is synced)', async () => {
    const { store } = await fileStore();
    const executor = vi.spyOn(store.db, 'executeQuery');
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = false;
    const holder = store.db.connection().execute(async () => {
      holding = true;
      await gate;
    });
    await until(() => holding);
    // No transaction is open (as after a group commit's COMMIT, while its log syncs), yet the read waits.
    const read = settledState(store.meetings.findByIdempotencyKey('t', 'u', 'k'));
    await turn();
    expect(read.settled).toBe(false);
    expect(executor).toHaveBeenCalledTimes(1);
    release();
    await holder;
    await until(() => read.settled);
    expect(read.error).toBeUndefined();
  });

  it('runs precompiled queries of a unit straight on the held connection, with the same results', async () => {
    const { store } = await fileStore();
    const [first, again] = await Promise.all([
      store.transaction((tx) => tx.audit.append(entry('d1'), now).then(() => 'ok')),
      store.transaction((tx) => tx.audit.append(entry('d2'), now).then(() => 'ok')),
    ]);
    expect([first, again]).toEqual(['ok', 'ok']);
    expect((await store.audit.list('t', { limit: 10 })).map((e) => e.targetId).sort()).toEqual(['d1', 'd2']);
  });

  it('hands checkpoints to the worker after sustained writes, keeping SQLite’s own as a fallback', async () => {
    const { store } = await fileStore();
    const level = async () =>
      (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db)).rows[0]
        ?.wal_autocheckpoint;
    expect(await level()).toBe(1000);
    for (let i = 0; i < 200; i++) await store.transaction((tx) => tx.audit.append(entry(`w${i}`), now));
    expect(await level()).toBe(4000);
  });

  it('group-commits every job write of the running queue: enqueue, claim, retry, bury', async () => {
    // A write outside the batcher is an autocommit: with synchronous=FULL, an fsync on the event loop.
    const { store } = await fileStore();
    const jobs = new KyselyJobStore(store.db);
    const batcher = writeBatcherOf(store.db);
    if (!batcher) throw new Error('no batcher');
    const units = vi.spyOn(batcher, 'run');
    await jobs.insert([{ kind: 'k', payload: { n: 1 }, maxAttempts: 3 }], now);
    const [claimed] = await jobs.claim(['k'], 10, 'owner', now);
    expect(claimed).toMatchObject({ kind: 'k', payload: { n: 1 }, attempts: 1 });
    if (!claimed) throw new Error('not claimed');
    await jobs.retry(claimed, now, 'later', now);
    const [again] = await jobs.claim(['k'], 10, 'owner', now);
    expect(again?.attempts).toBe(2);
    if (!again) throw new Error('not claimed again');
    await jobs.bury(again.id, 'gave up', now);
    expect(await jobs.deadLetters(10)).toEqual([{ id: again.id, kind: 'k', reason: 'gave up' }]);
    expect(units).toHaveBeenCalledTimes(5);
  });

  it('keeps per-call transactions when group commit is off', async () => {
    const store = await openStore('sqlite::memory:', { groupCommit: false });
    close.push(() => store.close());
    expect(writeBatcherOf(store.db)).toBeUndefined();
    await store.tenants.ensure('t', now);
    await store.transaction((tx) => tx.audit.append(entry('x'), now));
    expect(await store.audit.list('t', { limit: 10 })).toHaveLength(1);
  });
});

describe('Precompiled', () => {
  interface Db {
    things: { a: string; b: number | null; c: string };
  }
  const insert = new Precompiled<Db, [string, number | null, string]>(3, (db, m) =>
    db.insertInto('things').values({ c: m[2] as string, a: m[0] as string, b: m[1] as unknown as number }),
  );
  const select = new Precompiled<Db, [string, string]>(2, (db, [c, a]) =>
    db
      .selectFrom('things')
      .selectAll()
      .where('c', '=', c as string)
      .where('a', '=', a as string),
  );

  it('puts every value at its place in the SQL compiled once (PostgreSQL placeholders)', async () => {
    const seen: { text: string; values: unknown[] }[] = [];
    const client = {
      query: async (text: string, values: unknown[]) => {
        seen.push({ text, values });
        return { command: 'INSERT', rowCount: 1, rows: [] };
      },
      release: () => undefined,
    };
    const db = new Kysely<Db>({
      dialect: new PostgresDialect({
        pool: { connect: async () => client, end: async () => undefined } as never,
      }),
    });
    await insert.run(db, ['A1', 7, 'C1']);
    await insert.run(db, ['A2', null, 'C2']);
    await select.run(db, ['C3', 'A3']);
    expect(seen[0]?.text).toBe('insert into "things" ("c", "a", "b") values ($1, $2, $3)');
    expect(seen[0]?.values).toEqual(['C1', 'A1', 7]);
    expect(seen[1]?.values).toEqual(['C2', 'A2', null]);
    expect(seen[2]?.text).toBe('select * from "things" where "c" = $1 and "a" = $2');
    expect(seen[2]?.values).toEqual(['C3', 'A3']);
  });

  it('runs on SQLite and matches what the query builder stores', async () => {
    const raw = new SqliteDatabase(':memory:');
    raw.exec('create table things (a text, b integer, c text)');
    const { SqliteDialect } = await import('kysely');
    const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: raw }) });
    close.push(() => db.destroy());
    const result = await insert.run(db, ['A', 1, 'C']);
    expect(result.numAffectedRows).toBe(1n);
    await db.insertInto('things').values({ a: 'A', b: 1, c: 'C' }).execute();
    const rows = await select.run<Db['things']>(db, ['C', 'A']);
    expect(rows.rows).toEqual([
      { a: 'A', b: 1, c: 'C' },
      { a: 'A', b: 1, c: 'C' },
    ]);
  });

  it('uses a registered direct runner instead of the executor, and rejects (never throws) on its errors', async () => {
    const raw = new SqliteDatabase(':memory:');
    raw.exec('create table things (a text, b integer, c text)');
    const { SqliteDialect } = await import('kysely');
    const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: raw }) });
    close.push(() => db.destroy());
    const seen: unknown[][] = [];
    registerDirectRunner(db, (query) => {
      seen.push([...query.parameters]);
      if (query.parameters[0] === 'boom') throw new Error('direct failure');
      return { rows: [{ a: 'from-runner', b: null, c: 'x' }] };
    });
    expect((await select.run(db, ['C', 'A'])).rows).toEqual([{ a: 'from-runner', b: null, c: 'x' }]);
    expect(seen).toEqual([['C', 'A']]);
    const failing = select.run(db, ['boom', 'A']);
    await expect(failing).rejects.toThrow('direct failure');
    unregisterDirectRunner(db);
    await insert.run(db, ['A', 1, 'C']);
    expect((await select.run(db, ['C', 'A'])).rows).toEqual([{ a: 'A', b: 1, c: 'C' }]);
    expect(seen).toHaveLength(2);
  });

  it('refuses a template whose parameters are not exactly the markers', () => {
    const bad = new Precompiled<Db, [string]>(1, (db) =>
      db.selectFrom('things').selectAll().where('a', '=', 'x'),
    );
    const db = new Kysely<Db>({
      dialect: new PostgresDialect({
        pool: { connect: async () => ({}), end: async () => undefined } as never,
      }),
    });
    expect(() => bad.run(db, ['y'])).toThrow(/marker/);
  });
});
