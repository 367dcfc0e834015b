import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockSqliteForServe, SqliteServeLockHeld, serveLockFileOf } from './sqlite-serve-lock.js';

describe('the SQLite serve lock', () => {
  let dir: string;
  let database: string;
  const held: { release(): void }[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-serve-lock-'));
    database = path.join(dir, 'roomlink.sqlite');
  });
  afterEach(async () => {
    for (const lock of held.splice(0)) lock.release();
    await rm(dir, { recursive: true, force: true });
  });
  const lock = () => {
    const taken = lockSqliteForServe(database);
    held.push(taken);
    return taken;
  };

  it('is refused at once to a second taker in the same process, and free again once released', () => {
    const first = lock();
    expect(first.file).toBe(`${database}-serve.lock`);
    expect(() => lockSqliteForServe(database)).toThrow(SqliteServeLockHeld);
    expect(() => lockSqliteForServe(database)).toThrow(
      `another Roomlink process is serving ${database}; stop it, or use PostgreSQL to run several processes`,
    );
    first.release();
    first.release();
    const next = lock();
    expect(next.file).toBe(first.file);
  });

  it('is an empty file of mode 0600 beside the database, with no journal, and stays after release', async () => {
    const umask = process.umask(0o022);
    try {
      const taken = lock();
      const info = await stat(serveLockFileOf(database));
      expect({ size: info.size, mode: (info.mode & 0o777).toString(8) }).toEqual({ size: 0, mode: '600' });
      expect(await readdir(dir)).toEqual(['roomlink.sqlite-serve.lock']);
      taken.release();
      expect(await readdir(dir)).toEqual(['roomlink.sqlite-serve.lock']);
    } finally {
      process.umask(umask);
    }
  });

  it('creates the directory it goes in, private', async () => {
    database = path.join(dir, 'new', 'roomlink.sqlite');
    lock();
    expect(((await stat(path.join(dir, 'new'))).mode & 0o777).toString(8)).toBe('700');
  });
});
