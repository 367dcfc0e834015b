/**
 * The built `roomlink` command as an operator runs it: what doctor checks beyond loading the
 * configuration, the start-up warning of an http base URL with a Microsoft app registration, and the
 * exit codes docs/errors.md lists for wrong usage and for a command that is not built.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { testMasterKeys } from './support/harness.js';
import { CLI, runCli as run, type ServerProcess, startServerProcess } from './support/server-process.js';

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
