/**
 * What the built `roomlink` command says and refuses in a deployment: `serve` refuses keys that
 * cannot open every tenant's data key (exit 77, as `doctor`), `manifest --base-url` follows
 * ROOMLINK_BASE_URL's rule, `migrate` says why it failed (never the database password), `keys
 * rotate` with the env provider names the keys it leaves unused, and `dev sign-in` outside demo mode
 * says so.
 */
import { randomBytes } from 'node:crypto';
import { CONTOSO_TENANT_ID } from '@roomlink/emulators';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, withoutSecrets } from '../src/cli/exit.js';
import { wrapContext } from '../src/crypto/envelope.js';
import { EnvKeyProvider } from '../src/crypto/local-key-provider.js';
import { openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, dialectAvailability, type TestDatabase } from './support/databases.js';
import { freePort } from './support/harness.js';
import { startMicrosoftEmulators } from './support/microsoft-emulators.js';
import { type CliRun, runCli, runCliUntilServing } from './support/server-process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `serve` at info until it exits; one that starts listening instead is stopped at once (exit code null). */
function serveUntilRunning(env: Record<string, string>): Promise<CliRun> {
  return runCliUntilServing(['serve'], { ...env, LOG_LEVEL: 'info' });
}

const b64 = (key: Buffer) => key.toString('base64');

/** A SQLite database holding one tenant data key, wrapped with master key `id`. */
async function databaseWithDataKey(id: string, key: Buffer): Promise<TestDatabase> {
  const database = await createTestDatabase('sqlite');
  cleanups.push(() => database.drop());
  const store = await openStore(database.url);
  try {
    const w = await new EnvKeyProvider([{ id, key }]).wrap(randomBytes(32), wrapContext('t-a', 'k'));
    await store.tenantKeys.insert({
      tenantId: 't-a',
      keyId: 'k',
      wrappedKey: w.wrapped,
      masterKeyId: w.masterKeyId,
      createdAt: new Date().toISOString(),
    });
  } finally {
    await store.close();
  }
  return database;
}

describe('roomlink serve and the master keys', () => {
  it('refuses to start (exit 77, naming the key) when its keys cannot open a tenant data key', async () => {
    const mk1 = randomBytes(32);
    const database = await databaseWithDataKey('mk-1', mk1);
    const env = async (keys: string) => {
      const port = await freePort();
      return {
        DATABASE_URL: database.url,
        ROOMLINK_DATA_DIR: database.dir,
        ROOMLINK_KEY_PROVIDER: 'env',
        ROOMLINK_MASTER_KEYS: keys,
        HOST: '127.0.0.1',
        PORT: String(port),
      };
    };

    // Another host's keyring: it lacks mk-1.
    const lacking = await serveUntilRunning(await env(`mk-2:${b64(randomBytes(32))}`));
    expect(lacking.code, lacking.stdout + lacking.stderr).toBe(EXIT.keys);
    expect(lacking.stderr).toContain('master keys the provider lacks: mk-1');
    expect(lacking.stdout).not.toContain('Server listening');

    // The right id, other key material.
    const wrong = await serveUntilRunning(await env(`mk-1:${b64(randomBytes(32))}`));
    expect(wrong.code, wrong.stdout + wrong.stderr).toBe(EXIT.keys);
    expect(wrong.stderr).toContain('master key mk-1 cannot open the data keys wrapped with it');
    expect(wrong.stderr).not.toContain(b64(mk1));

    // The key it needs, after a new current one: it starts.
    const covered = await serveUntilRunning(await env(`mk-2:${b64(randomBytes(32))},mk-1:${b64(mk1)}`));
    expect(covered.code, covered.stdout + covered.stderr).toBeNull();
  });
});

describe('roomlink serve and doctor on a database demo mode used', () => {
  it('refuse to run against Microsoft there (exit 78), so the demo’s password-less sessions open nothing', async () => {
    const database = await createTestDatabase('sqlite');
    cleanups.push(() => database.drop());
    // What `npm start` left: the demo's Contoso tenant, signed in through the sandbox.
    const store = await openStore(database.url);
    await store.tenants.ensure(CONTOSO_TENANT_ID, new Date());
    await store.close();
    const env = async (extra: Record<string, string> = {}) => ({
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: `mk:${b64(randomBytes(32))}`,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      ROOMLINK_BASE_URL: 'https://meet.contoso.example',
      MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
      MS_CLIENT_SECRET: 'not-a-real-secret',
      ...extra,
    });
    const said = "this database holds the demo's tenants (Contoso): demo mode (no MS_CLIENT_ID) used it";

    const served = await serveUntilRunning(await env());
    expect(served.code, served.stdout + served.stderr).toBe(EXIT.config);
    expect(served.stderr).toContain(said);
    expect(served.stderr).toContain('point DATABASE_URL (or ROOMLINK_DATA_DIR) at a new one');
    expect(served.stdout).not.toContain('Server listening');
    const doctor = await runCli(['doctor'], await env());
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(EXIT.config);
    expect(doctor.stdout).toContain(`FAIL  database: ${said}`);

    // A developer's own identity emulator on loopback (not demo mode) signs those tenants in on purpose.
    const microsoft = await startMicrosoftEmulators();
    cleanups.push(() => microsoft.close());
    expect((await serveUntilRunning(await env(microsoft.env))).code).toBeNull();
    const local = await runCli(['doctor'], await env(microsoft.env));
    expect(local.code, local.stdout + local.stderr).toBe(EXIT.ok);
  });
});

describe('roomlink serve once it runs', () => {
  it('says, in its start line, where to try it (demo), the admin console and the add-in manifest', async () => {
    const database = await createTestDatabase('sqlite');
    cleanups.push(() => database.drop());
    const port = await freePort();
    const base = `http://localhost:${port}/`;
    const run = await serveUntilRunning({
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_BASE_URL: base,
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    const line = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => String(l.msg).startsWith('Roomlink is running'));
    expect(line).toMatchObject({
      demo: true,
      sandbox: `${base}sandbox/`,
      admin: `${base}admin`,
      manifest: `${base}addin/manifest.xml`,
    });
    expect(line?.msg).toContain(`Outlook sandbox at ${base}sandbox/`);
  });
});

describe('roomlink manifest --base-url', () => {
  it('refuses a base URL with a path, query or fragment, as ROOMLINK_BASE_URL (exit 64)', async () => {
    for (const url of ['https://x.example/sub', 'https://x.example/?a=1', 'https://x.example/#f']) {
      const result = await runCli(['manifest', '--base-url', url], {});
      expect(result.code, url).toBe(EXIT.usage);
      expect(result.stderr).toContain(`--base-url "${url}" must be an absolute http(s) URL without path`);
      expect(result.stdout).toBe('');
    }
  });

  it('warns when the base URL is not https, and not when it is', async () => {
    const http = await runCli(['manifest', '--base-url', 'http://x.example'], {});
    expect(http.code).toBe(0);
    expect(http.stdout).toContain('<Id>');
    expect(http.stderr).toContain('warning: http://x.example is not https');
    const https = await runCli(['manifest', '--base-url', 'https://x.example/'], {});
    expect(https.code).toBe(0);
    expect(https.stderr).toBe('');
  });
});

describe('roomlink keys rotate with the env key provider', () => {
  it('names the keys no data key uses any more, and only those', async () => {
    const old = randomBytes(32);
    const database = await databaseWithDataKey('mk-old', old);
    const env = (keys: string) => ({
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: keys,
      LOG_LEVEL: 'silent',
    });

    // One key: nothing was retired and there is nothing to remove.
    const single = await runCli(['keys', 'rotate'], env(`mk-old:${b64(old)}`));
    expect(single.code, single.stderr).toBe(0);
    expect(single.stdout).toContain('master key mk-old is current; 0 data keys rewrapped\n');
    expect(single.stdout).not.toContain('retired');
    expect(single.stdout).not.toContain('remove the old keys');
    expect(single.stdout).toContain('nothing to remove');

    // A new key first: the old one is unused after rotation, and named.
    const rotated = await runCli(
      ['keys', 'rotate'],
      env(`mk-new:${b64(randomBytes(32))},mk-old:${b64(old)}`),
    );
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain('master key mk-new is current; 1 data keys rewrapped\n');
    expect(rotated.stdout).toContain(
      'no data key is wrapped with mk-old any more: remove it from ROOMLINK_MASTER_KEYS and restart',
    );
  });
});

describe('roomlink dev sign-in outside demo mode', () => {
  it('says the server is not in demo mode, whichever authority it uses', async () => {
    const result = await runCli(['dev', 'sign-in', '--user', 'megan@contoso.example'], {
      MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
      MS_CLIENT_SECRET: 'x',
      MS_AUTHORITY: 'http://127.0.0.1:3471/_emulator/login/organizations',
    });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('dev sign-in works in demo mode only');
    expect(result.stderr).toContain('not in demo mode');
    expect(result.stderr).not.toContain('Microsoft cloud');
  });
});

const { skip, label } = dialectAvailability('postgres');
describe.skipIf(skip)(`roomlink migrate on ${label}`, () => {
  it('says why a migration failed (a search_path naming no schema), never the password', async () => {
    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.drop());
    const url = new URL(database.url);
    const password = `pw-${randomBytes(6).toString('hex')}`;
    url.password = password;
    const missing = `nosuch_${randomBytes(4).toString('hex')}`;
    url.searchParams.set('options', `-c search_path=${missing}`);
    const result = await runCli(['migrate'], {
      DATABASE_URL: url.toString(),
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: `k:${b64(randomBytes(32))}`,
      LOG_LEVEL: 'silent',
    });
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toContain('roomlink: database migration failed: ');
    expect(result.stderr).toContain(`the search_path "${missing}" names no schema that exists`);
    expect(result.stdout + result.stderr).not.toContain(password);
  });
});

describe('the messages roomlink prints', () => {
  it('never hold the database password, in a URL or on its own', () => {
    const url = 'postgres://roomlink:s%3Ecret-Pw@db.example:5432/roomlink';
    expect(withoutSecrets(`cannot connect to ${url}: password "s>cret-Pw" refused (s%3Ecret-Pw)`, url)).toBe(
      'cannot connect to postgres://roomlink:***@db.example:5432/roomlink: password "***" refused (***)',
    );
    // Another URL's password too; a sqlite: path has none.
    expect(withoutSecrets('see https://u:p4ss@x.example/', 'sqlite:/data/roomlink.sqlite')).toBe(
      'see https://u:***@x.example/',
    );
  });
});
