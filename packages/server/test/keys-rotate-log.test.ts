/**
 * `roomlink keys rotate` beside a running server, as an operator runs it (the built CLI): rotation
 * exists so that a leaked copy of the old master key opens nothing, so the data keys as wrapped with
 * it must not stay in the database's files. SQLite keeps page images from before a change in its
 * write-ahead log until the log restarts: rotation empties it, and says so when another connection
 * kept it from doing that. PostgreSQL keeps old row versions until VACUUM FULL: rotation says so.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { wrapContext } from '../src/crypto/envelope.js';
import { FileKeyProvider } from '../src/crypto/local-key-provider.js';
import { openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, dialectAvailability, type TestDatabase } from './support/databases.js';
import { runCli as run } from './support/server-process.js';

const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c'];

/**
 * The running server, as far as SQLite's log is concerned: another process with the database open
 * (so that the CLI's connection is not the last one, which would delete the log on close), and
 * with `reading`, in a read transaction until told "commit". Another process, not a connection of
 * the test's: reading the files here closes descriptors, and POSIX then drops this process's locks.
 */
async function holdOpen(file: string, reading: boolean): Promise<ChildProcessWithoutNullStreams> {
  const script = `
    const db = new (require(process.argv[1]))(process.argv[2], { fileMustExist: true });
    db.prepare('select count(*) from tenant_keys').get();
    if (process.argv[3] === 'reading') db.exec('begin'), db.prepare('select count(*) from tenant_keys').get();
    process.stdin.on('data', () => { if (db.inTransaction) db.exec('commit'); process.stdout.write('committed\\n'); });
    process.stdin.on('end', () => db.close());
    process.stdout.write('ready\\n');`;
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const child = spawn(process.execPath, ['-e', script, module, file, reading ? 'reading' : 'idle']);
  await said(child, 'ready');
  return child;
}

function said(child: ChildProcessWithoutNullStreams, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const onData = (c: Buffer) => {
      out += c.toString();
      if (!out.includes(word)) return;
      child.stdout.off('data', onData);
      resolve();
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`holder exited (${code}): ${err}`)));
  });
}

/** The main file and its write-ahead log, as bytes whoever copies them reads. */
async function databaseFiles(file: string): Promise<string> {
  const read = (name: string) => readFile(name).catch(() => Buffer.alloc(0));
  return Buffer.concat(await Promise.all([read(file), read(`${file}-wal`)])).toString('latin1');
}

describe('keys rotate and the old wrapped data keys', () => {
  let database: TestDatabase;
  let holder: ChildProcessWithoutNullStreams | undefined;
  afterEach(async () => {
    if (holder && holder.exitCode === null) {
      const exited = new Promise((resolve) => holder?.once('exit', resolve));
      holder.stdin.end();
      await exited;
    }
    holder = undefined;
    await database?.drop();
  });

  /** Data keys for three tenants, wrapped with the keyring's first master key; returns them as stored. */
  const seed = async (dialect: 'sqlite' | 'postgres', reading = false) => {
    database = await createTestDatabase(dialect);
    const keyring = path.join(database.dir, 'master-keys.json');
    await new FileKeyProvider(keyring).ensure();
    const store = await openStore(database.url);
    const provider = new FileKeyProvider(keyring);
    const wrapped: string[] = [];
    try {
      for (const tenant of TENANTS) {
        const w = await provider.wrap(randomBytes(32), wrapContext(tenant, 'k1'));
        await store.tenantKeys.insert({
          tenantId: tenant,
          keyId: 'k1',
          wrappedKey: w.wrapped,
          masterKeyId: w.masterKeyId,
          createdAt: new Date().toISOString(),
        });
        wrapped.push(w.wrapped);
      }
      if (database.file) holder = await holdOpen(database.file, reading);
    } finally {
      await store.close();
    }
    const env = {
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_KEY_PROVIDER: 'file',
      LOG_LEVEL: 'silent',
    };
    return { env, wrapped, keyring, oldMasterKeyId: await provider.currentMasterKeyId() };
  };

  /** What the database says after the CLI: each tenant's master key id, and the rotations audited. */
  const recorded = async () => {
    const store = await openStore(database.url);
    try {
      const masterKeyIds = await Promise.all(
        TENANTS.map(async (t) => (await store.tenantKeys.find(t, 'k1'))?.masterKeyId),
      );
      const { rows } = await sql<{ n: number }>`
        select count(*) as n from audit_log where action = 'keys.rotated'`.execute(store.db);
      return { masterKeyIds, rotations: Number(rows[0]?.n) };
    } finally {
      await store.close();
    }
  };

  it('sqlite: leaves none of them in the database file or its write-ahead log', async () => {
    const { env, wrapped, oldMasterKeyId } = await seed('sqlite');
    const file = database.file as string;
    // Meaningful only if they are there to begin with.
    const before = await databaseFiles(file);
    for (const w of wrapped) expect(before).toContain(w);

    const rotated = await run(['keys', 'rotate'], env);

    expect(rotated.code, rotated.stderr).toBe(EXIT.ok);
    expect(rotated.stdout).toMatch(/3 data keys rewrapped; retired: /);
    expect(rotated.stdout).toContain(oldMasterKeyId);
    expect(rotated.stderr).toBe('');
    const after = await databaseFiles(file);
    for (const [i, w] of wrapped.entries())
      expect(after.includes(w), `${TENANTS[i]}'s old wrapped key`).toBe(false);
    const { masterKeyIds, rotations } = await recorded();
    expect(masterKeyIds).not.toContain(oldMasterKeyId);
    expect(rotations).toBe(1);
  });

  it('sqlite: says what to do, and fails, when a reader kept the log from being emptied', async () => {
    const { env, wrapped, keyring } = await seed('sqlite', true);
    const file = database.file as string;

    const rotated = await run(['keys', 'rotate'], env);

    expect(rotated.code).toBe(EXIT.failure);
    expect(rotated.stdout).toMatch(/3 data keys rewrapped/);
    expect(rotated.stderr).toContain(`${file}-wal`);
    expect(rotated.stderr).toContain('may still hold the data keys as wrapped with the old master keys');
    expect(rotated.stderr).toContain('run "roomlink keys rotate" again');
    expect(await databaseFiles(file)).toContain(wrapped[0]);
    // The rotation itself is done and recorded, once.
    const ring = JSON.parse(await readFile(keyring, 'utf8')) as { current: string; keys: object };
    expect(Object.keys(ring.keys)).toEqual([ring.current]);
    expect((await recorded()).rotations).toBe(1);

    // Doing as told once the read is over.
    const committed = said(holder as ChildProcessWithoutNullStreams, 'committed');
    holder?.stdin.write('commit\n');
    await committed;
    const again = await run(['keys', 'rotate'], env);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    const after = await databaseFiles(file);
    for (const w of wrapped) expect(after.includes(w)).toBe(false);
  });

  const pgAvailability = dialectAvailability('postgres');
  it.skipIf(pgAvailability.skip)(
    `${pgAvailability.label}: tells the operator that old row versions stay until VACUUM FULL`,
    async () => {
      const { env } = await seed('postgres');
      const rotated = await run(['keys', 'rotate'], env);
      expect(rotated.code, rotated.stderr).toBe(EXIT.ok);
      expect(rotated.stdout).toMatch(/3 data keys rewrapped/);
      expect(rotated.stdout).toContain('VACUUM FULL tenant_keys');
      expect((await recorded()).rotations).toBe(1);
    },
  );
});
