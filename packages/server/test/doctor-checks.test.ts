/**
 * `roomlink doctor` checks what the server would otherwise find out late: the Microsoft client
 * certificate and key (read at the first sign-in), a database path that holds no database (the
 * server would create an empty one), migrations still to apply, and a configuration that is valid
 * but cannot work in production (docs/errors.md, exit codes 78 and 69).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorOptions, runDoctor } from '../src/cli/doctor.js';
import { openExistingStore } from '../src/cli/existing-database.js';
import { CliError, EXIT } from '../src/cli/exit.js';
import { currentSchema, openStore } from '../src/store/kysely-store.js';
import {
  KNOWN_MIGRATIONS,
  retryWhileSchemasVanish,
  roomlinkMigrator,
} from '../src/store/migrations/index.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { testMasterKeys } from './support/harness.js';
import { type MicrosoftEmulators, startMicrosoftEmulators } from './support/microsoft-emulators.js';

const CLIENT_ID = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const DAY = 86_400_000;

// Outside demo mode doctor also reaches Microsoft (doctor-microsoft.test.ts): here, its emulators.
let microsoft: MicrosoftEmulators;
beforeAll(async () => {
  microsoft = await startMicrosoftEmulators();
});
afterAll(async () => microsoft?.close());

async function doctor(env: Record<string, string>, options: DoctorOptions = {}) {
  const lines: string[] = [];
  const code = await runDoctor({ ...microsoft.env, ...env }, (line) => lines.push(line), options);
  return { code, output: lines.join('\n') };
}

/** A key pair made with node:crypto, its PEM private key, and a certificate self-signed with it. */
function credential(dir: string, name: string, kind: 'rsa' | 'ec' = 'rsa', days = 2) {
  const { privateKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const key = path.join(dir, `${name}-key.pem`);
  const cert = path.join(dir, `${name}-cert.pem`);
  writeFileSync(key, keyPem);
  execFileSync(
    'openssl',
    ['req', '-x509', '-key', key, '-days', String(days), '-subj', '/CN=roomlink-doctor-test', '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key, keyPem };
}

describe('roomlink doctor checks the Microsoft client certificate', () => {
  let dir: string;
  let database: TestDatabase;
  let good: ReturnType<typeof credential>;
  let other: ReturnType<typeof credential>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-doctor-cert-'));
    good = credential(dir, 'good');
    other = credential(dir, 'other');
    database = await createTestDatabase('sqlite');
    await (await openStore(database.url)).close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await database?.drop();
  });

  const env = (files: { cert: string; key: string }) => ({
    MS_CLIENT_ID: CLIENT_ID,
    MS_CLIENT_CERT: files.cert,
    MS_CLIENT_KEY: files.key,
    ROOMLINK_BASE_URL: 'https://rl.example.com',
    DATABASE_URL: database.url,
    ROOMLINK_DATA_DIR: database.dir,
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: testMasterKeys(),
  });
  const neverShowsKeys = (output: string) => {
    expect(output).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    for (const pem of [good.keyPem, other.keyPem])
      for (const line of pem.split('\n').slice(1, -2)) expect(output).not.toContain(line);
  };

  it('passes a readable RSA certificate with its own key', async () => {
    const result = await doctor(env(good));
    expect(result.output).toContain('ok    configuration (base URL https://rl.example.com/, Microsoft 365)');
    expect(result.code, result.output).toBe(EXIT.ok);
    // What the admin must set up: the four delegated permissions, and the two URLs Graph posts to.
    expect(result.output).toContain('Delegated: Calendars.Read, offline_access, openid, profile');
    expect(result.output).toContain('https://rl.example.com/api/graph/notifications');
    expect(result.output).toContain('https://rl.example.com/api/graph/lifecycle');
  });

  it('fails with the configuration exit code when the files do not exist, naming both variables', async () => {
    const result = await doctor(env({ cert: '/nope/c.pem', key: '/nope/k.pem' }));
    expect(result.code).toBe(EXIT.config);
    expect(result.output).toContain('FAIL  configuration');
    expect(result.output).toContain('MS_CLIENT_CERT=/nope/c.pem does not exist');
    expect(result.output).toContain('MS_CLIENT_KEY=/nope/k.pem does not exist');
    expect(result.output).not.toContain('ok    database');
  });

  it('fails when the key is not the certificate’s, without showing either', async () => {
    const result = await doctor(env({ cert: good.cert, key: other.key }));
    expect(result.code).toBe(EXIT.config);
    expect(result.output).toContain(
      `MS_CLIENT_KEY=${other.key} is not the private key of the certificate in MS_CLIENT_CERT=${good.cert}`,
    );
    neverShowsKeys(result.output);
  });

  it('fails when the files do not parse, and says when they look swapped', async () => {
    const swapped = await doctor(env({ cert: good.key, key: good.cert }));
    expect(swapped.code).toBe(EXIT.config);
    expect(swapped.output).toContain(`MS_CLIENT_CERT=${good.key} does not hold a PEM X.509 certificate`);
    expect(swapped.output).toContain(`MS_CLIENT_KEY=${good.cert} does not hold a PEM private key`);
    expect(swapped.output).toMatch(/swapped/);
    neverShowsKeys(swapped.output);

    const garbage = path.join(dir, 'garbage.pem');
    await writeFile(garbage, 'not a pem file\n');
    const both = await doctor(env({ cert: garbage, key: garbage }));
    expect(both.code).toBe(EXIT.config);
    expect(both.output).toContain(`MS_CLIENT_CERT=${garbage} does not hold a PEM X.509 certificate`);
    expect(both.output).toContain(`MS_CLIENT_KEY=${garbage} does not hold a PEM private key`);
    expect(both.output).not.toContain('not a pem file');

    const folder = await doctor(env({ cert: dir, key: good.key }));
    expect(folder.code).toBe(EXIT.config);
    expect(folder.output).toContain(`MS_CLIENT_CERT=${dir} is a directory`);
  });

  it('fails on an encrypted key and on a key sign-in cannot sign RS256 with', async () => {
    const encrypted = path.join(dir, 'encrypted-key.pem');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret-pass' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await writeFile(encrypted, privateKey);
    const locked = await doctor(env({ cert: good.cert, key: encrypted }));
    expect(locked.code).toBe(EXIT.config);
    expect(locked.output).toContain(`MS_CLIENT_KEY=${encrypted} is encrypted`);
    // The same in OpenSSL's traditional format (Proc-Type header).
    const traditional = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret-pass' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await writeFile(encrypted, traditional.privateKey);
    expect((await doctor(env({ cert: good.cert, key: encrypted }))).output).toContain('is encrypted');

    const ec = credential(dir, 'ec', 'ec');
    const notRsa = await doctor(env(ec));
    expect(notRsa.code).toBe(EXIT.config);
    expect(notRsa.output).toContain(`MS_CLIENT_KEY=${ec.key} holds a key of type ec, not RSA`);
    // The pair itself matches: only the key type is named.
    expect(notRsa.output).not.toContain('is not the private key');
  });

  it('fails on a certificate that has expired or is not valid yet', async () => {
    const expired = await doctor(env(good), { now: () => new Date(Date.now() + 3 * DAY) });
    expect(expired.code).toBe(EXIT.config);
    expect(expired.output).toMatch(new RegExp(`MS_CLIENT_CERT=${good.cert} expired on \\d{4}-`));
    const early = await doctor(env(good), { now: () => new Date(Date.now() - DAY) });
    expect(early.code).toBe(EXIT.config);
    expect(early.output).toContain(`MS_CLIENT_CERT=${good.cert} is not valid before`);
  });

  it('reads no certificate when the app registration uses a client secret', async () => {
    const { MS_CLIENT_CERT: _c, MS_CLIENT_KEY: _k, ...rest } = env(good);
    const result = await doctor({ ...rest, MS_CLIENT_SECRET: 'a-client-secret' });
    expect(result.code, result.output).toBe(EXIT.ok);
    expect(result.output).not.toContain('a-client-secret');
  });
});

describe('roomlink doctor warns of an http base URL with a Microsoft app registration', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    await (await openStore(database.url)).close();
  });
  afterAll(async () => database?.drop());

  it('warns, naming calendar sync, but passes: http://localhost sign-in against a real tenant is legitimate', async () => {
    const base = {
      MS_CLIENT_ID: CLIENT_ID,
      MS_CLIENT_SECRET: 'a-client-secret',
      DATABASE_URL: database.url,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    };
    for (const url of ['http://localhost:3000', 'http://rl.example.com']) {
      const result = await doctor({ ...base, ROOMLINK_BASE_URL: url });
      expect(result.code, result.output).toBe(EXIT.ok);
      expect(result.output).toMatch(/^warn {2}ROOMLINK_BASE_URL is http .* calendar sync cannot subscribe/m);
    }
    const https = await doctor({ ...base, ROOMLINK_BASE_URL: 'https://rl.example.com' });
    expect(https.code, https.output).toBe(EXIT.ok);
    // The one warning left, as serve logs it: behind its TLS proxy, every visitor looks like the proxy.
    expect(https.output.match(/^warn /gm)).toHaveLength(1);
    expect(https.output).toMatch(
      /^warn {2}ROOMLINK_BASE_URL is https but ROOMLINK_TRUSTED_PROXIES is unset/m,
    );
    const proxied = await doctor({
      ...base,
      ROOMLINK_BASE_URL: 'https://rl.example.com',
      ROOMLINK_TRUSTED_PROXIES: '127.0.0.1',
    });
    expect(proxied.output).not.toContain('warn');
    const demo = await doctor({ DATABASE_URL: database.url, ROOMLINK_MASTER_KEYS: testMasterKeys() });
    expect(demo.output).not.toContain('warn');
  });
});

describe('roomlink doctor creates no database', () => {
  let dir: string;
  afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

  it('fails with the database exit code on a SQLite path that holds none, and leaves nothing behind', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-doctor-db-'));
    const file = path.join(dir, 'typo', 'roomlink.sqlite');
    const result = await doctor({
      DATABASE_URL: `sqlite:${file}`,
      ROOMLINK_DATA_DIR: dir,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    });
    expect(result.code).toBe(EXIT.database);
    expect(result.output).toContain(`FAIL  database: no database exists at ${file}`);
    expect(result.output).toContain('roomlink migrate');
    expect(existsSync(path.join(dir, 'typo'))).toBe(false);
    expect(await readdir(dir)).toEqual([]);

    // Its own directory exists, the file does not: still nothing is created.
    const beside = path.join(dir, 'roomlink.sqlite');
    const again = await doctor({
      DATABASE_URL: `sqlite:${beside}`,
      ROOMLINK_DATA_DIR: dir,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    });
    expect(again.code).toBe(EXIT.database);
    expect(await readdir(dir)).toEqual([]);
  });
  it('fails on an empty file as on a missing one, and writes nothing to it', async () => {
    // An empty file holds no database (the server and `roomlink migrate` create the file empty
    // before SQLite fills it): not one with every migration pending, which passed before.
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-doctor-db-'));
    const file = path.join(dir, 'roomlink.sqlite');
    await writeFile(file, '');
    const result = await doctor({
      DATABASE_URL: `sqlite:${file}`,
      ROOMLINK_DATA_DIR: dir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    });
    expect(result.code, result.output).toBe(EXIT.database);
    expect(result.output).toContain(
      `FAIL  database: no database exists at ${file}. Start Roomlink or run \`roomlink migrate\` to create it`,
    );
    expect(result.output).not.toContain('pending');
    expect(result.output).not.toContain('ok    database');
    expect(statSync(file).size).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['roomlink.sqlite']);
  });
});

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`roomlink doctor reports pending migrations on ${label}`, () => {
    let database: TestDatabase;
    afterEach(async () => database?.drop());

    it('says how many migrations the server will apply at start, without applying them', async () => {
      database = await createTestDatabase(dialect);
      // The database as an earlier release left it.
      const old = await openStore(database.url, { migrate: false });
      const schema = await currentSchema(old.db, old.dialect);
      const migrator = roomlinkMigrator(old.db, {
        upTo: '0005_meeting_indexes',
        ...(schema ? { schema } : {}),
      });
      expect((await retryWhileSchemasVanish(() => migrator.migrateToLatest())).error).toBeUndefined();
      await old.close();
      const env = {
        DATABASE_URL: database.url,
        ROOMLINK_DATA_DIR: database.dir,
        ROOMLINK_MASTER_KEYS: testMasterKeys(),
      };

      const pending = await doctor(env);
      expect(pending.code, pending.output).toBe(EXIT.ok);
      expect(pending.output).toContain(
        '6 migration(s) pending: 0006_job_row_ids, 0007_series_seen_on, 0008_login_transaction_secrets, ' +
          '0009_offboarded_tenants, 0010_room_pin_failures, 0011_meeting_provider_refs; ' +
          'Roomlink applies them when it starts',
      );
      // Still pending: doctor only looked.
      expect((await doctor(env)).output).toContain('6 migration(s) pending');

      await (await openStore(database.url)).close();
      const current = await doctor(env);
      expect(current.code).toBe(EXIT.ok);
      expect(current.output).toMatch(/^ok {4}database .* \(schema up to date\)$/m);
    });

    it('fails on a database a newer Roomlink migrated, which the server and the data commands refuse too, changing nothing', async () => {
      database = await createTestDatabase(dialect);
      const migrated = await openStore(database.url);
      // What a later release's migration leaves in the bookkeeping table.
      await sql`insert into roomlink_migrations (name, timestamp) values (${'0099_a_later_release'}, ${new Date().toISOString()})`.execute(
        migrated.db,
      );
      await migrated.close();
      const env = {
        DATABASE_URL: database.url,
        ROOMLINK_DATA_DIR: database.dir,
        ROOMLINK_MASTER_KEYS: testMasterKeys(),
      };
      const newer =
        'this database was migrated by a newer Roomlink: it records 1 migration(s) this version does not ' +
        'know (0099_a_later_release), so this version cannot use it.';

      const result = await doctor(env);
      expect(result.code, result.output).toBe(EXIT.database);
      expect(result.output).toContain(`FAIL  database: ${newer}`);
      expect(result.output).toContain('restore the backup taken before the upgrade');

      // The server's start (openStore migrates) refuses with the same words, not Kysely's "corrupted".
      await expect(openStore(database.url)).rejects.toThrow(`database migration failed: ${newer}`);
      // And so do the commands that use an existing database (keys rotate, retention…).
      const refused = await openExistingStore(database.url).then(
        async (store) => {
          await store.close();
          return undefined;
        },
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(CliError);
      expect((refused as CliError).exitCode).toBe(EXIT.database);
      expect((refused as CliError).message).toContain(newer);

      // Nothing was changed: the later release's record is still there, and only it is unknown.
      const store = await openStore(database.url, { migrate: false, mustExist: true });
      try {
        const { rows } = await sql<{
          name: string;
        }>`select name from roomlink_migrations order by name`.execute(store.db);
        expect(rows.map((r) => r.name)).toEqual([...KNOWN_MIGRATIONS, '0099_a_later_release']);
      } finally {
        await store.close();
      }
    });
  });
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`roomlink doctor on a database without Roomlink's tables on ${label}`, () => {
    let database: TestDatabase;
    afterEach(async () => database?.drop());

    /** The tables the database's schema holds, read straight from the catalogue. */
    async function tables(url: string): Promise<string[]> {
      const store = await openStore(url, { migrate: false, mustExist: true });
      try {
        const query =
          store.dialect === 'sqlite'
            ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
            : sql<{ name: string }>`select table_name as name from information_schema.tables
                where table_schema = current_schema()`;
        return (await query.execute(store.db)).rows.map((row) => row.name).sort();
      } finally {
        await store.close();
      }
    }

    it("says an empty one gets its tables at start, and warns, naming them, when another application's tables are there", async () => {
      database = await createTestDatabase(dialect);
      const env = {
        DATABASE_URL: database.url,
        ROOMLINK_DATA_DIR: database.dir,
        ROOMLINK_MASTER_KEYS: testMasterKeys(),
      };
      if (dialect === 'postgres') {
        // An empty schema: what a new PostgreSQL deployment starts from.
        const empty = await doctor(env);
        expect(empty.code, empty.output).toBe(EXIT.ok);
        expect(empty.output).toMatch(
          /^ok {4}database .* \(no Roomlink tables yet; Roomlink creates them when it starts/m,
        );
        expect(empty.output).not.toContain('pending');
        expect(empty.output).not.toContain('warn  database');
      }
      const other = await openStore(database.url, { migrate: false });
      await sql`create table invoices (id integer primary key, total integer)`.execute(other.db);
      await sql`create table customers (id integer primary key)`.execute(other.db);
      await other.close();
      const before = await tables(database.url);

      const result = await doctor(env);
      expect(result.code, result.output).toBe(EXIT.ok);
      expect(result.output).toMatch(/^ok {4}database .* \(no Roomlink tables yet;/m);
      // Not "11 migration(s) pending", as if it were an old Roomlink database.
      expect(result.output).not.toContain('pending');
      expect(result.output).toContain(
        "warn  database: it holds 2 table(s) (customers, invoices) but none of Roomlink's: if it is " +
          "another application's database, Roomlink would add its tables beside them at start. Check DATABASE_URL",
      );
      // Doctor only looked: no migration bookkeeping, no Roomlink table.
      expect(await tables(database.url)).toEqual(before);
    });
  });
}

const postgres = dialectAvailability('postgres');
describe.skipIf(postgres.skip)(`roomlink doctor, the schema on ${postgres.label}`, () => {
  let database: TestDatabase;
  afterEach(async () => database?.drop());

  it('names the schema it checked, and fails when the search_path names none that exists', async () => {
    database = await createTestDatabase('postgres');
    await (await openStore(database.url)).close();
    const env = {
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    };
    const schema = /search_path=(\S+)/.exec(new URL(database.url).searchParams.get('options') ?? '')?.[1];
    expect(schema).toBeDefined();
    const found = await doctor(env);
    expect(found.code, found.output).toBe(EXIT.ok);
    expect(found.output).toMatch(
      new RegExp(`^ok {4}database .*, schema ${schema} \\(schema up to date\\)$`, 'm'),
    );

    // `migrate` and the server's start would fail there: doctor says so first.
    const url = new URL(database.url);
    url.searchParams.set('options', '-c search_path=nosuch_doctor_schema');
    const missing = await doctor({ ...env, DATABASE_URL: url.toString() });
    expect(missing.code, missing.output).toBe(EXIT.database);
    expect(missing.output).toContain(
      'FAIL  database: the search_path "nosuch_doctor_schema" names no schema that exists',
    );
    expect(missing.output).not.toContain('ok    database');
  });
});
