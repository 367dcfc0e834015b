/**
 * The SQLite database holds Exchange ids, subscription and job ids in clear: its files are private to
 * the account Roomlink runs as, even under the usual umask 022 (which left them 0644, readable by
 * every local account). A directory Roomlink creates is 0700; one the operator made keeps its mode.
 */
import { chmod, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createRuntime } from '../src/runtime.js';
import { serve } from '../src/server.js';
import { openStore } from '../src/store/kysely-store.js';
import { freePort, testMasterKeys } from './support/harness.js';
import { runCli } from './support/server-process.js';

const modeOf = async (file: string) => ((await stat(file)).mode & 0o777).toString(8).padStart(4, '0');

describe('SQLite file modes', () => {
  let umask: number;
  let root: string;
  beforeAll(async () => {
    umask = process.umask(0o022);
    root = await mkdtemp(path.join(tmpdir(), 'roomlink-modes-'));
  });
  afterAll(async () => {
    process.umask(umask);
    await rm(root, { recursive: true, force: true });
  });
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const env = async (dataDir: string) => {
    const port = await freePort();
    return {
      ROOMLINK_DATA_DIR: dataDir,
      ROOMLINK_BASE_URL: `http://127.0.0.1:${port}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      // Keys from the environment: no keyring file, so nothing else creates the data directory.
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
      LOG_LEVEL: 'silent',
    };
  };

  it('a started server’s new data directory is 0700, its database, -wal and -shm 0600', async () => {
    const parent = path.join(root, 'new', 'roomlink');
    const dataDir = path.join(parent, 'data');
    const running = await serve(loadConfig(await env(dataDir)), { exitOnSignal: false });
    cleanups.push(() => running.shutdown('test finished'));
    expect(running.runtime.store.location).toBe(`sqlite:${path.join(dataDir, 'roomlink.sqlite')}`);
    // A write after start: the log and its index are in use.
    await running.runtime.store.audit.append(
      { tenantId: null, actorId: 'test', action: 'keys.rotated', details: {} },
      new Date(),
    );
    const db = path.join(dataDir, 'roomlink.sqlite');
    expect({
      dataDir: await modeOf(dataDir),
      createdParent: await modeOf(parent),
      database: await modeOf(db),
      wal: await modeOf(`${db}-wal`),
      shm: await modeOf(`${db}-shm`),
    }).toEqual({ dataDir: '0700', createdParent: '0700', database: '0600', wal: '0600', shm: '0600' });
  });

  it('an existing directory keeps its mode; an existing database readable by others is made 0600', async () => {
    const dataDir = path.join(root, 'chosen-by-the-operator');
    await mkdir(dataDir, { mode: 0o755 });
    const db = path.join(dataDir, 'roomlink.sqlite');
    // A database as earlier versions left it: created by SQLite under umask 022.
    const earlier = await openStore(`sqlite:${db}`);
    await earlier.close();
    expect(await modeOf(db)).toBe('0644');

    const warnings: { fields: unknown; message: string }[] = [];
    const logger = {
      warn: (fields: unknown, message: string) => warnings.push({ fields, message }),
      error: () => undefined,
    };
    const runtime = await createRuntime(loadConfig(await env(dataDir)), logger as never);
    cleanups.push(() => runtime.close());
    await runtime.store.audit.append(
      { tenantId: null, actorId: 'test', action: 'keys.rotated', details: {} },
      new Date(),
    );
    expect({
      dataDir: await modeOf(dataDir),
      database: await modeOf(db),
      wal: await modeOf(`${db}-wal`),
      shm: await modeOf(`${db}-shm`),
    }).toEqual({ dataDir: '0755', database: '0600', wal: '0600', shm: '0600' });
    expect(warnings).toEqual([
      {
        fields: { file: db, mode: '0644', newMode: '0600' },
        message: 'SQLite file was open to other accounts; Roomlink made it private to its own',
      },
    ]);
  });

  it('a DATABASE_URL that is a symbolic link: the file it leads to, and its -wal and -shm, are 0600', async () => {
    const dataDir = path.join(root, 'linked', 'data');
    const volume = path.join(root, 'linked', 'volume');
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await mkdir(volume, { recursive: true, mode: 0o700 });
    const start = async (link: string) => {
      const runtime = await createRuntime(
        loadConfig({ ...(await env(dataDir)), DATABASE_URL: `sqlite:${link}` }),
        { warn: () => undefined, error: () => undefined } as never,
      );
      cleanups.push(() => runtime.close());
      // A write after start: the log and its index are in use.
      await runtime.store.audit.append(
        { tenantId: null, actorId: 'test', action: 'keys.rotated', details: {} },
        new Date(),
      );
    };
    const modes = async (db: string) => ({
      database: await modeOf(db),
      wal: await modeOf(`${db}-wal`),
      shm: await modeOf(`${db}-shm`),
    });
    const expected = { database: '0600', wal: '0600', shm: '0600' };

    // A link (through a second, relative one) to a file that does not exist yet: SQLite would
    // create it with the umask's 0644.
    const fresh = path.join(volume, 'fresh.sqlite');
    await symlink('../volume/fresh.sqlite', path.join(dataDir, 'hop.sqlite'));
    await symlink('hop.sqlite', path.join(dataDir, 'fresh.sqlite'));
    await start(path.join(dataDir, 'fresh.sqlite'));
    expect(await modes(fresh)).toEqual(expected);

    // A link to a database an earlier version left readable by others, with its log beside it.
    const earlier = path.join(volume, 'earlier.sqlite');
    const old = await openStore(`sqlite:${earlier}`);
    await old.audit.append(
      { tenantId: null, actorId: 'test', action: 'keys.rotated', details: {} },
      new Date(),
    );
    await chmod(`${earlier}-wal`, 0o644);
    await chmod(`${earlier}-shm`, 0o644);
    expect(await modes(earlier)).toEqual({ database: '0644', wal: '0644', shm: '0644' });
    await symlink(earlier, path.join(dataDir, 'earlier.sqlite'));
    await start(path.join(dataDir, 'earlier.sqlite'));
    await old.close();
    expect(await modes(earlier)).toEqual(expected);
  });

  it('roomlink migrate creates the database as private as the server does (built CLI)', async () => {
    const dataDir = path.join(root, 'migrated', 'data');
    const run = await runCli(['migrate'], { ...(await env(dataDir)), LOG_LEVEL: 'warn' });
    expect(run.code).toBe(0);
    const db = path.join(dataDir, 'roomlink.sqlite');
    expect({ dataDir: await modeOf(dataDir), database: await modeOf(db) }).toEqual({
      dataDir: '0700',
      database: '0600',
    });
  });
});
