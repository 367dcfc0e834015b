/**
 * The built `roomlink` command's data commands (keys rotate, export, erase, tenant, retention run)
 * act on an existing, fully migrated Roomlink database only: pointed at an empty PostgreSQL schema
 * (a DATABASE_URL without its search_path lands in an empty public), an empty SQLite file, or a
 * database with a migration pending, they exit 69 and create, migrate and retire nothing. Before,
 * they migrated whatever they were given, and `keys rotate` then retired the master keys the real
 * database's data keys need. On SQLite the refusal comes before anything on disk changes: the
 * directory then holds what it held, byte for byte and mode for mode, without -wal or -shm files
 * (before, the open switched a rollback-journal database to WAL, and the retention commands made
 * the file private, before refusing it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { openDatabase } from '../src/store/database.js';
import { currentSchema } from '../src/store/kysely-store.js';
import { retryWhileSchemasVanish, roomlinkMigrator } from '../src/store/migrations/index.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { type CliRun, runCli as run } from './support/server-process.js';

const output = (r: CliRun) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** The data commands, each as an operator would run it (none reaches a tenant or user lookup). */
const DATA_COMMANDS = [
  ['keys', 'rotate'],
  ['export', 'user', 'someone'],
  ['export', 'tenant', 'some-tenant'],
  ['erase', 'user', 'someone', '--yes'],
  ['tenant', 'offboard', 'some-tenant'],
  ['tenant', 'readmit', 'some-tenant'],
  ['retention', 'run'],
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'roomlink-existing-db-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A file keyring made by `keys init` (as the reviewer's reproduction), in `dir`. */
async function keyringIn(dir: string): Promise<{ env: Record<string, string>; keyring: string }> {
  const env = { ROOMLINK_DATA_DIR: dir, LOG_LEVEL: 'silent' };
  const init = await run(['keys', 'init'], env);
  expect(init.code, output(init)).toBe(EXIT.ok);
  return { env, keyring: path.join(dir, 'master-keys.json') };
}

/** What a directory holds: each entry's name, mode and SHA-256 (a SQLite file's -wal and -shm too). */
async function contents(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const mode = ((await stat(file)).mode & 0o777).toString(8);
    entries[name] = `${mode} ${createHash('sha256')
      .update(await readFile(file))
      .digest('hex')}`;
  }
  return entries;
}

async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The tables in a schema, and whether calendar sync's pg-boss schema beside it exists. */
async function pgContents(database: TestDatabase): Promise<{ tables: string[]; pgboss: boolean }> {
  return withPg(database.url, async (client) => {
    const tables = await client.query(
      'select table_name from information_schema.tables where table_schema = $1 order by table_name',
      [database.schema],
    );
    const pgboss = await client.query('select 1 from information_schema.schemata where schema_name = $1', [
      `${database.schema}_pgboss`,
    ]);
    return { tables: tables.rows.map((r) => String(r.table_name)), pgboss: pgboss.rows.length > 0 };
  });
}

/**
 * Runs every data command side by side on `databaseUrl` (each is refused before it writes anything)
 * and expects each to exit 69 saying `refusal`.
 */
async function expectEveryDataCommandRefused(
  env: Record<string, string>,
  databaseUrl: string,
  refusal: string,
): Promise<void> {
  const results = await Promise.all(
    DATA_COMMANDS.map((args) => run(args, { ...env, DATABASE_URL: databaseUrl })),
  );
  for (const [i, result] of results.entries()) {
    const what = DATA_COMMANDS[i]?.join(' ');
    expect(result.code, `${what}\n${output(result)}`).toBe(EXIT.database);
    expect(result.stderr, what).toContain(refusal);
  }
}

const postgres = dialectAvailability('postgres');
describe.skipIf(postgres.skip)(`roomlink data commands on an empty ${postgres.label} schema`, () => {
  it('keys rotate exits 69 naming the database (not its password) and schema: no table created, keyring unchanged', async () => {
    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.drop());
    const { env, keyring } = await keyringIn(await tempDir());
    const before = await readFile(keyring, 'utf8');
    // The password is there to be kept out of the message (the test server trusts local connections).
    const url = new URL(database.url);
    const password = `pw-${randomBytes(6).toString('hex')}`;
    url.password = password;

    const rotated = await run(['keys', 'rotate'], { ...env, DATABASE_URL: url.toString() });

    expect(rotated.code, output(rotated)).toBe(EXIT.database);
    expect(rotated.stderr).toContain(
      `roomlink: no Roomlink database exists at postgres://${url.host}${url.pathname}, schema ${database.schema} ` +
        '(it holds no Roomlink tables); this command creates none and changed nothing. Start Roomlink or ' +
        'run `roomlink migrate` to create it; if it should exist, check DATABASE_URL',
    );
    expect(rotated.stderr).toContain('search_path');
    expect(rotated.stdout + rotated.stderr).not.toContain(password);
    expect(rotated.stdout).not.toContain('retired');
    expect(await pgContents(database)).toEqual({ tables: [], pgboss: false });
    expect(await readFile(keyring, 'utf8')).toBe(before);
  }, 60_000);

  it('every other data command exits 69 as well, and creates nothing', async () => {
    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.drop());
    const { env, keyring } = await keyringIn(await tempDir());
    const before = await readFile(keyring, 'utf8');

    await expectEveryDataCommandRefused(env, database.url, 'no Roomlink database exists at postgres://');
    expect(await pgContents(database)).toEqual({ tables: [], pgboss: false });
    expect(await readFile(keyring, 'utf8')).toBe(before);
  }, 120_000);
});

describe('roomlink data commands on an empty SQLite file', () => {
  it('exit 69 as for a missing file: the file stays empty, and the keyring unchanged', async () => {
    const dir = await tempDir();
    const { env, keyring } = await keyringIn(dir);
    const before = await readFile(keyring, 'utf8');
    const file = path.join(dir, 'roomlink.sqlite');
    await writeFile(file, '');
    const files = await contents(dir);

    await expectEveryDataCommandRefused(
      env,
      `sqlite:${file}`,
      `roomlink: no database exists at ${file}. Start Roomlink or run \`roomlink migrate\` to create it`,
    );
    expect((await stat(file)).size).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['master-keys.json', 'roomlink.sqlite']);
    expect(await contents(dir)).toEqual(files);
    expect(await readFile(keyring, 'utf8')).toBe(before);
  }, 120_000);
});

describe('roomlink data commands on a SQLite database that is not Roomlink’s', () => {
  for (const journal of ['delete', 'wal'] as const) {
    it(`exit 69 before they change anything: the directory holds what it held (journal mode ${journal})`, async () => {
      const dir = await tempDir();
      const { env } = await keyringIn(dir);
      // Another program's database (a DATABASE_URL naming the wrong file), readable by others as
      // earlier versions of Roomlink left theirs.
      const file = path.join(dir, 'roomlink.sqlite');
      const other = new SqliteDatabase(file);
      other.pragma(`journal_mode = ${journal}`);
      other.exec("create table notes (body text); insert into notes values ('kept')");
      other.close();
      await chmod(file, 0o644);
      const before = await contents(dir);
      expect(Object.keys(before)).toEqual(['master-keys.json', 'roomlink.sqlite']);

      await expectEveryDataCommandRefused(
        env,
        `sqlite:${file}`,
        `roomlink: no Roomlink database exists at sqlite:${file} (it holds no Roomlink tables); ` +
          'this command creates none and changed nothing',
      );
      // Same bytes (the header still names the journal mode it had), same mode, no -wal or -shm.
      expect(await contents(dir)).toEqual(before);
    }, 120_000);
  }
});

/** The database as the release before this one left it: every migration but the last applied. */
async function migratedButTheLast(database: TestDatabase): Promise<{ last: string; applied: number }> {
  const { db, dialect } = openDatabase(database.url);
  try {
    const schema = await currentSchema(db, dialect);
    // Kysely scans every schema: another suite dropping its own meanwhile is retried, as Roomlink does.
    const all = await retryWhileSchemasVanish(() =>
      roomlinkMigrator(db, schema ? { schema } : {}).getMigrations(),
    );
    const last = all.at(-1)?.name ?? '';
    const previous = all.at(-2)?.name;
    const { error } = await retryWhileSchemasVanish(() =>
      roomlinkMigrator(db, { ...(schema ? { schema } : {}), upTo: previous }).migrateToLatest(),
    );
    if (error) throw error;
    return { last, applied: all.length - 1 };
  } finally {
    await db.destroy();
  }
}

async function appliedMigrations(database: TestDatabase): Promise<string[]> {
  const { db, dialect } = openDatabase(database.url);
  try {
    const schema = await currentSchema(db, dialect);
    const all = await retryWhileSchemasVanish(() =>
      roomlinkMigrator(db, schema ? { schema } : {}).getMigrations(),
    );
    return all.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  } finally {
    await db.destroy();
  }
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`roomlink data commands on a ${label} database with a migration pending`, () => {
    it('exit 69, naming the pending migration, and apply nothing; `roomlink migrate` still does', async () => {
      const database = await createTestDatabase(dialect);
      cleanups.push(() => database.drop());
      const { last, applied } = await migratedButTheLast(database);
      const { env, keyring } = await keyringIn(await tempDir());
      const before = await readFile(keyring, 'utf8');
      const dbEnv = { ...env, DATABASE_URL: database.url };
      // SQLite: readable by others, as earlier versions created it (the server makes it private).
      if (database.file) await chmod(database.file, 0o644);
      const files = await contents(database.dir);

      for (const args of [
        ['keys', 'rotate'],
        ['export', 'user', 'someone'],
        ['retention', 'run'],
      ]) {
        const result = await run(args, dbEnv);
        expect(result.code, `${args.join(' ')}\n${output(result)}`).toBe(EXIT.database);
        expect(result.stderr, args.join(' ')).toContain(`has 1 migration(s) pending (${last})`);
        expect(result.stderr, args.join(' ')).toContain('Run `roomlink migrate`');
        // SQLite: refused before anything on disk changed (no -wal or -shm, same bytes and mode).
        expect(await contents(database.dir), args.join(' ')).toEqual(files);
      }
      expect(await appliedMigrations(database)).toHaveLength(applied);
      expect(await readFile(keyring, 'utf8')).toBe(before);

      // What the message says to do works, and the commands then run.
      const migrated = await run(['migrate'], dbEnv);
      expect(migrated.code, output(migrated)).toBe(EXIT.ok);
      expect(migrated.stdout).toBe(`applied: ${last}\n`);
      const retention = await run(['retention', 'run'], dbEnv);
      expect(retention.code, output(retention)).toBe(EXIT.ok);
    }, 120_000);
  });
}

describe('roomlink keys rotate on a Roomlink database that holds no data keys', () => {
  it('makes a new master key current but retires none, and says why', async () => {
    const dir = await tempDir();
    const { env, keyring } = await keyringIn(dir);
    const first = (JSON.parse(await readFile(keyring, 'utf8')) as { current: string }).current;
    const dbEnv = { ...env, DATABASE_URL: `sqlite:${path.join(dir, 'roomlink.sqlite')}` };
    expect((await run(['migrate'], dbEnv)).code).toBe(EXIT.ok);

    const rotated = await run(['keys', 'rotate'], dbEnv);

    expect(rotated.code, output(rotated)).toBe(EXIT.ok);
    const after = JSON.parse(await readFile(keyring, 'utf8')) as { current: string; keys: object };
    expect(after.current).not.toBe(first);
    expect(Object.keys(after.keys).sort()).toEqual([first, after.current].sort());
    expect(rotated.stdout).toContain(`master key ${after.current} is current; 0 data keys rewrapped\n`);
    expect(rotated.stdout).toContain(
      `no master key was retired: this database holds no data keys, so nothing shows that ${first} is unused`,
    );
  }, 60_000);
});
