import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlStep, WriteBatcher } from './write-batcher.js';

interface Db {
  items: { id: number; label: string };
}

const CONTROL: Record<ControlStep, string> = {
  begin: 'begin immediate',
  commit: 'commit',
  rollback: 'rollback',
  savepoint: 'savepoint u',
  release: 'release u',
  rollbackTo: 'rollback to u',
};

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Settles-or-not probe: true once the promise has settled (either way). */
function settled(promise: Promise<unknown>): { readonly done: boolean } {
  const state = { done: false };
  promise.then(
    () => {
      state.done = true;
    },
    () => {
      state.done = true;
    },
  );
  return state;
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/**
 * A file-backed SQLite database (WAL) behind Kysely, a second raw connection to observe what is
 * committed, and a batcher whose control statements are logged and can be intercepted.
 */
function setup(
  hooks: {
    before?: (step: ControlStep) => Promise<void> | void;
    onBatch?: (units: number, seconds: number, committed: boolean) => void;
  } = {},
  maxBatch?: number,
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'batcher-'));
  const file = path.join(dir, 'db.sqlite');
  const raw = new SqliteDatabase(file);
  raw.pragma('journal_mode = WAL');
  raw.exec('create table items (id integer primary key, label text not null unique)');
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: raw }) });
  const observer = new SqliteDatabase(file, { readonly: true });
  cleanups.push(() => {
    observer.close();
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const log: string[] = [];
  const batcher = new WriteBatcher<Kysely<Db>>(
    {
      withConnection: (fn) => db.connection().execute(fn),
      inTransaction: () => raw.inTransaction,
      control: async (connection, step) => {
        await hooks.before?.(step);
        log.push(step);
        await connection.executeQuery(CompiledQuery.raw(CONTROL[step]));
      },
    },
    { ...(maxBatch ? { maxBatch } : {}), ...(hooks.onBatch ? { onBatch: hooks.onBatch } : {}) },
  );
  const committed = () =>
    (observer.prepare('select label from items order by id').all() as { label: string }[]).map(
      (r) => r.label,
    );
  const insert = (label: string) => (c: Kysely<Db>) =>
    c
      .insertInto('items')
      .values({ label } as never)
      .execute()
      .then(() => label);
  return { db, batcher, log, committed, insert };
}

describe('WriteBatcher', () => {
  it('runs units handed in together in one transaction, each in its own savepoint', async () => {
    const { batcher, log, committed, insert } = setup();
    const results = await Promise.all([
      batcher.run(insert('a')),
      batcher.run(insert('b')),
      batcher.run(insert('c')),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual([
      'begin',
      'savepoint',
      'release',
      'savepoint',
      'release',
      'savepoint',
      'release',
      'commit',
    ]);
    expect(committed()).toEqual(['a', 'b', 'c']);
  });

  it('rolls back a failing unit alone and rejects only its caller', async () => {
    const { batcher, log, committed, insert } = setup();
    const boom = new Error('unit failed');
    const a = batcher.run(insert('a'));
    const b = batcher.run(async (c) => {
      await insert('b')(c);
      throw boom;
    });
    // A constraint violation inside SQLite is a failing unit too.
    const dup = batcher.run(insert('a'));
    const d = batcher.run(insert('d'));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toBe(boom);
    await expect(dup).rejects.toThrow(/UNIQUE/);
    await expect(d).resolves.toBe('d');
    expect(log.filter((s) => s === 'begin')).toHaveLength(1);
    expect(log.filter((s) => s === 'rollbackTo')).toHaveLength(2);
    expect(committed()).toEqual(['a', 'd']);
  });

  it('settles callers only after COMMIT has returned', async () => {
    const atCommit = deferred();
    const gate = deferred();
    const { batcher, committed, insert } = setup({
      before: async (step) => {
        if (step !== 'commit') return;
        atCommit.resolve();
        await gate.promise;
      },
    });
    const a = batcher.run(insert('a'));
    const probe = settled(a);
    await atCommit.promise;
    // The unit's work is done, but its transaction is not committed: the caller must still wait.
    expect(probe.done).toBe(false);
    expect(committed()).toEqual([]);
    gate.resolve();
    await expect(a).resolves.toBe('a');
    expect(committed()).toEqual(['a']);
  });

  it('rejects every caller of a batch whose COMMIT fails, and commits nothing of it', async () => {
    let failCommit = true;
    const { batcher, log, committed, insert } = setup({
      before: (step) => {
        if (step === 'commit' && failCommit) {
          failCommit = false;
          throw new Error('disk I/O error');
        }
      },
    });
    const results = await Promise.allSettled([batcher.run(insert('a')), batcher.run(insert('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toEqual(new Error('disk I/O error'));
    expect(log.at(-1)).toBe('rollback');
    expect(committed()).toEqual([]);
    // The next batch starts afresh.
    await expect(batcher.run(insert('c'))).resolves.toBe('c');
    expect(committed()).toEqual(['c']);
  });

  it('rejects the whole batch when a savepoint cannot be closed', async () => {
    let calls = 0;
    const { batcher, committed, insert } = setup({
      before: (step) => {
        if (step === 'release' && ++calls === 2) throw new Error('release failed');
      },
    });
    const boom = new Error('own failure');
    const a = batcher.run(insert('a'));
    const b = batcher.run(async () => {
      throw boom;
    });
    const c = batcher.run(insert('c'));
    await expect(a).rejects.toThrow('release failed');
    // A unit that failed by itself keeps its own error.
    await expect(b).rejects.toBe(boom);
    await expect(c).rejects.toThrow('release failed');
    expect(committed()).toEqual([]);
  });

  it('runs a single-statement unit without a savepoint, beside units that have one', async () => {
    const { batcher, log, committed, insert } = setup();
    const results = await Promise.all([
      batcher.run(insert('a'), { singleStatement: true }),
      batcher.run(insert('b')),
      batcher.run(insert('c'), { singleStatement: true }),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['begin', 'savepoint', 'release', 'commit']);
    expect(committed()).toEqual(['a', 'b', 'c']);
  });

  it('undoes a failing single statement alone and rejects only its caller', async () => {
    const { batcher, log, committed, insert } = setup();
    const a = batcher.run(insert('a'), { singleStatement: true });
    // The UNIQUE violation aborts this statement only; SQLite keeps the transaction.
    const dup = batcher.run(insert('a'), { singleStatement: true });
    const c = batcher.run(insert('c'), { singleStatement: true });
    await expect(a).resolves.toBe('a');
    await expect(dup).rejects.toThrow(/UNIQUE/);
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['begin', 'commit']);
    expect(committed()).toEqual(['a', 'c']);
  });

  it('rejects the whole batch when the failure of a single statement ended the transaction', async () => {
    const { batcher, committed, insert } = setup();
    const full = new Error('database or disk is full');
    const a = batcher.run(insert('a'), { singleStatement: true });
    // What SQLite does on SQLITE_FULL or an I/O error: the whole transaction is rolled back.
    const b = batcher.run(
      async (c) => {
        await c.executeQuery(CompiledQuery.raw('rollback'));
        throw full;
      },
      { singleStatement: true },
    );
    const c = batcher.run(insert('c'), { singleStatement: true });
    await expect(a).rejects.toBe(full);
    await expect(b).rejects.toBe(full);
    // Not run after the transaction was gone: it would have been committed on its own.
    await expect(c).rejects.toBe(full);
    expect(committed()).toEqual([]);
    await expect(batcher.run(insert('d'), { singleStatement: true })).resolves.toBe('d');
    expect(committed()).toEqual(['d']);
  });

  it('keeps arrival order within and across batches; later arrivals form the next batch', async () => {
    const atFirstCommit = deferred();
    const gate = deferred();
    let commits = 0;
    const { batcher, log, committed, insert } = setup({
      before: async (step) => {
        if (step !== 'commit' || ++commits > 1) return;
        atFirstCommit.resolve();
        await gate.promise;
      },
    });
    const order: string[] = [];
    const unit = (label: string) => async (c: Kysely<Db>) => {
      order.push(label);
      return insert(label)(c);
    };
    const first = [batcher.run(unit('1')), batcher.run(unit('2')), batcher.run(unit('3'))];
    await atFirstCommit.promise;
    const second = [batcher.run(unit('4')), batcher.run(unit('5'))];
    expect(order).toEqual(['1', '2', '3']);
    gate.resolve();
    expect(await Promise.all([...first, ...second])).toEqual(['1', '2', '3', '4', '5']);
    expect(order).toEqual(['1', '2', '3', '4', '5']);
    expect(log.filter((s) => s === 'begin')).toHaveLength(2);
    expect(log.filter((s) => s === 'commit')).toHaveLength(2);
    expect(committed()).toEqual(['1', '2', '3', '4', '5']);
  });

  it('splits a long queue into batches of at most maxBatch units', async () => {
    const { batcher, log, committed, insert } = setup({}, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((l) => batcher.run(insert(l))));
    expect(log.filter((s) => s === 'commit')).toHaveLength(3);
    expect(committed()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('keeps readers of the connection away from uncommitted writes', async () => {
    const atCommit = deferred();
    const gate = deferred();
    const { db, batcher, insert } = setup({
      before: async (step) => {
        if (step !== 'commit') return;
        atCommit.resolve();
        await gate.promise;
      },
    });
    const write = batcher.run(insert('a'));
    await atCommit.promise;
    const read = db.selectFrom('items').select('label').execute();
    const probe = settled(read);
    await Promise.resolve();
    expect(probe.done).toBe(false);
    gate.resolve();
    await write;
    expect(await read).toEqual([{ label: 'a' }]);
  });

  it('reports each batch to its observer: units, time, and whether it committed', async () => {
    const batches: { units: number; seconds: number; committed: boolean }[] = [];
    let failCommit = false;
    const { batcher, insert } = setup({
      before: (step) => {
        if (step === 'commit' && failCommit) throw new Error('disk I/O error');
      },
      onBatch: (units, seconds, committed) => batches.push({ units, seconds, committed }),
    });
    await Promise.all([batcher.run(insert('a')), batcher.run(insert('b'))]);
    failCommit = true;
    await expect(batcher.run(insert('c'))).rejects.toThrow('disk I/O error');
    expect(batches.map(({ units, committed }) => ({ units, committed }))).toEqual([
      { units: 2, committed: true },
      { units: 1, committed: false },
    ]);
    expect(batches.every((b) => b.seconds >= 0 && b.seconds < 60)).toBe(true);
  });

  it('flush waits for units handed in so far', async () => {
    const { batcher, committed, insert } = setup();
    await batcher.flush();
    void batcher.run(insert('a'));
    void batcher.run(insert('b'));
    await batcher.flush();
    expect(committed()).toEqual(['a', 'b']);
  });
});
