/**
 * The built `roomlink` command as an operator runs it: what doctor checks beyond loading the
 * configuration, the start-up warning of an http base URL with a Microsoft app registration, and the
 * exit codes docs/errors.md lists for wrong usage and for a command that is not built.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { freePort, testMasterKeys } from './support/harness.js';
import {
  CLI,
  runCli as run,
  runCliUntilServing,
  type ServerProcess,
  startServerProcess,
} from './support/server-process.js';

const CLIENT_ID = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';

describe('roomlink doctor (built command)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('fails with exit 78 when the client certificate and key files cannot be read', async () => {
    const result = await run(['doctor'], {
      MS_CLIENT_ID: CLIENT_ID,
      MS_CLIENT_CERT: '/nope/c.pem',
      MS_CLIENT_KEY: '/nope/k.pem',
      ROOMLINK_BASE_URL: 'https://rl.example.com',
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    });
    expect(result.code).toBe(EXIT.config);
    expect(result.stdout).toContain('FAIL  configuration');
    expect(result.stdout).toContain('MS_CLIENT_CERT=/nope/c.pem does not exist');
    expect(result.stdout).toContain('MS_CLIENT_KEY=/nope/k.pem does not exist');
  });

  it('fails with exit 69 on a mistyped SQLite path and creates neither file nor directory', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-doctor-cli-'));
    const file = path.join(dir, 'typo', 'roomlink.sqlite');
    const result = await run(['doctor'], {
      DATABASE_URL: `sqlite:${file}`,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    });
    expect(result.code).toBe(EXIT.database);
    expect(result.stdout).toContain(`FAIL  database: no database exists at ${file}`);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('roomlink commands that work on data, given a database that does not exist', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keys rotate retires no master key and creates nothing (exit 69); nor do export and retention', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-rotate-cli-'));
    const env = { ROOMLINK_DATA_DIR: dir };
    expect((await run(['keys', 'init'], env)).code).toBe(EXIT.ok);
    const keyring = path.join(dir, 'master-keys.json');
    const before = await readFile(keyring, 'utf8');
    const typo = { ...env, DATABASE_URL: `sqlite:${path.join(dir, 'typo', 'roomlink.sqlite')}` };

    for (const args of [
      ['keys', 'rotate'],
      ['export', 'user', 'someone'],
      ['retention', 'run'],
    ]) {
      const result = await run(args, typo);
      expect(result.code, args.join(' ')).toBe(EXIT.database);
      expect(result.stderr, args.join(' ')).toContain('no database exists at');
    }
    expect(await readFile(keyring, 'utf8')).toBe(before);
    expect(await readdir(dir)).toEqual(['master-keys.json']);
  });
});

describe('roomlink serve with an http base URL and a Microsoft app registration', () => {
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    server?.kill('SIGKILL');
    server = undefined;
    await database?.drop();
  });

  const start = async (baseUrl: string) => {
    database = await createTestDatabase('sqlite');
    server = await startServerProcess({
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
      MS_CLIENT_ID: CLIENT_ID,
      MS_CLIENT_SECRET: 'a-client-secret',
      ROOMLINK_BASE_URL: baseUrl,
      ROOMLINK_TRUSTED_PROXIES: '127.0.0.1',
    });
    return server.lines.filter((l) => l.level === 40).map((l) => String(l.msg));
  };

  it('starts, and warns that calendar sync cannot subscribe without https', async () => {
    const warnings = await start('http://localhost:3000');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^ROOMLINK_BASE_URL is http \(http:\/\/localhost:3000\) and MS_CLIENT_ID is set: Microsoft Graph delivers change notifications only to https URLs, so calendar sync cannot subscribe/,
    );
    expect(server?.output()).not.toContain('a-client-secret');
  });

  it('does not warn with an https base URL', async () => {
    expect(await start('https://rl.example.com')).toEqual([]);
  });
});

describe('roomlink exit codes', () => {
  it('exits 64 (usage) for keys init with the env key provider, dev sign-in outside demo mode, and a non-http manifest URL', async () => {
    const keysInit = await run(['keys', 'init'], { ROOMLINK_MASTER_KEYS: testMasterKeys() });
    expect(keysInit.code).toBe(EXIT.usage);
    expect(keysInit.stderr).toContain('file key provider only');

    const devSignIn = await run(['dev', 'sign-in', '--user', 'megan@contoso.example'], {
      MS_CLIENT_ID: CLIENT_ID,
      MS_CLIENT_SECRET: 'x',
    });
    expect(devSignIn.code).toBe(EXIT.usage);

    const manifest = await run(['manifest', '--base-url', 'ftp://x'], {});
    expect(manifest.code).toBe(EXIT.usage);
    expect(manifest.stderr).toContain('cannot build the manifest');
    expect(manifest.stdout).toBe('');

    const both = await run(['tenant', 'offboard', 't', '--contract-end', '2026-01-01', '--cancel'], {});
    expect(both.code).toBe(EXIT.usage);
    const missing = await run(['export', 'user'], {});
    expect(missing.code).toBe(EXIT.usage);
  });

  it('exits 70 (not built), not 78 (configuration), when bin/roomlink.js finds no built CLI', async () => {
    const copy = await mkdtemp(path.join(tmpdir(), 'roomlink-unbuilt-'));
    try {
      // The committed bin in a package whose dist/ does not exist yet.
      await mkdir(path.join(copy, 'bin'));
      await writeFile(path.join(copy, 'package.json'), '{ "type": "module" }\n');
      await copyFile(
        path.resolve(path.dirname(CLI), '../../bin/roomlink.js'),
        path.join(copy, 'bin/roomlink.js'),
      );
      const child = spawn(process.execPath, [path.join(copy, 'bin/roomlink.js'), '--help'], {
        env: { PATH: process.env.PATH ?? '' },
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(stderr).toContain('not built yet');
      expect(code).toBe(EXIT.notBuilt);
      expect(code).toBe(70);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe('roomlink serve where its account may not write (a service run as its own account)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  // As root, the commands run as nobody (root may write anywhere); otherwise as this account, which
  // may not write a directory it made read-only either.
  const root = process.getuid?.() === 0;
  const as = root ? { uid: 65534, gid: 65534 } : undefined;
  // The checkout must be readable by nobody for that (it is, cloned with the usual umask).
  const runnable =
    process.platform !== 'win32' &&
    (!as || spawnSync(process.execPath, [CLI, '--help'], { uid: as.uid, gid: as.gid }).status === 0);
  if (!runnable)
    console.warn('the built roomlink cannot run as nobody here: its unwritable-path tests are skipped');
  /** A directory for the command's account: its own when `writable`, else one it may only read. */
  async function directory(name: string, writable: boolean): Promise<string> {
    const made = path.join(dir as string, name);
    await mkdir(made);
    if (writable && as) await chown(made, as.uid, as.gid);
    await chmod(made, writable ? 0o755 : 0o555);
    return made;
  }
  const serve = async (env: Record<string, string>) =>
    runCliUntilServing(['serve'], { PORT: String(await freePort()), HOST: '127.0.0.1', ...env }, as);

  it.skipIf(!runnable)('names the keyring it cannot create, and exits 77 (no restart), not 1', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-unwritable-'));
    await chmod(dir, 0o755);
    const readOnly = await directory('data', false);
    const result = await serve({ ROOMLINK_DATA_DIR: readOnly });
    expect(result.code).toBe(EXIT.keys);
    expect(result.stderr).toContain(
      `keyring ${path.join(readOnly, 'master-keys.json')} cannot be written in ${readOnly}: ` +
        'permission denied (EACCES); nothing was changed',
    );
    expect(result.stderr).toContain('ROOMLINK_DATA_DIR (or ROOMLINK_KEYRING_FILE)');
    expect(result.stderr).toContain('ReadWritePaths');
    expect(await readdir(readOnly)).toEqual([]);
  });

  it.skipIf(!runnable)(
    'names the SQLite database it cannot create, or may only read, and exits 78 (configuration), not 1',
    async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'roomlink-unwritable-'));
      await chmod(dir, 0o755);
      const keys = await directory('keys', true);
      const readOnly = await directory('data', false);
      const env = { ROOMLINK_DATA_DIR: readOnly, ROOMLINK_KEYRING_FILE: path.join(keys, 'keyring.json') };
      const database = path.join(readOnly, 'roomlink.sqlite');

      const none = await serve(env);
      expect(none.code).toBe(EXIT.config);
      expect(none.stderr).toContain(
        `the SQLite database ${database} cannot be created or written: permission denied (EACCES)`,
      );
      expect(none.stderr).toContain('ROOMLINK_DATA_DIR (or DATABASE_URL)');
      expect(await readdir(readOnly)).toEqual([]);

      // One made by another account (root's `roomlink migrate`, say) that this one may only read.
      const owned = await directory('owned', true);
      const made = path.join(owned, 'roomlink.sqlite');
      expect((await run(['migrate'], { DATABASE_URL: `sqlite:${made}` })).code).toBe(EXIT.ok);
      if (as) await chown(made, 0, 0);
      await chmod(made, 0o444);
      const before = await readFile(made);
      const readable = await serve({ ...env, DATABASE_URL: `sqlite:${made}` });
      expect(readable.code).toBe(EXIT.config);
      expect(readable.stderr).toContain(
        `the SQLite database ${made} cannot be created or written: permission denied (EACCES)`,
      );
      expect((await readFile(made)).equals(before)).toBe(true);
      // doctor, run as the service's account, says so before the server is started.
      const doctor = await run(['doctor'], { ...env, DATABASE_URL: `sqlite:${made}` }, as);
      expect(doctor.code).toBe(EXIT.config);
      expect(doctor.stdout).toContain('FAIL  configuration');
      expect(doctor.stdout).toContain(`the SQLite database ${made} cannot be created or written`);
    },
  );
});
