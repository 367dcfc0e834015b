/** The roomlink command as an operator runs it: doctor's exit codes, key rotation beside a running server. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { freePort, testMasterKeys } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';
import { CLI, runCli as run, type ServerProcess, startServerProcess } from './support/server-process.js';
import { insertSession } from './support/sessions.js';

const SOON = daysFromNow(7);

describe('roomlink CLI', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    server?.kill('SIGKILL');
    server = undefined;
    await database?.drop();
  });

  it('doctor passes on a good setup and names what fails by exit code', async () => {
    database = await createTestDatabase('sqlite');
    const env = {
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    };

    // Doctor creates no database: the operator's migrate (or the server's first start) does.
    await run(['migrate'], env);
    const ok = await run(['doctor'], env);
    expect(ok.stdout).toContain('ok    configuration');
    expect(ok.code).toBe(EXIT.ok);

    const badConfig = await run(['doctor'], { ...env, PORT: 'x', ROOMLINK_BASE_URL: 'nope' });
    expect(badConfig.code).toBe(EXIT.config);
    expect(badConfig.stdout).toContain('PORT');
    expect(badConfig.stdout).toContain('ROOMLINK_BASE_URL');

    const noDb = await run(['doctor'], { ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(noDb.code).toBe(EXIT.database);

    // Data keys exist under one master key; doctor with another master key must say keys fail.
    const store = await openStore(database.url);
    await store.tenantKeys.insert({
      tenantId: 't',
      keyId: 'k',
      wrappedKey: 'w',
      masterKeyId: 'test-1',
      createdAt: new Date().toISOString(),
    });
    await store.close();
    const wrongKeys = await run(['doctor'], {
      ...env,
      ROOMLINK_MASTER_KEYS: testMasterKeys().replace('test-1', 'other'),
    });
    expect(wrongKeys.code).toBe(EXIT.keys);
  });

  it('reports bad configuration on start with one message and exit code 78', async () => {
    const result = await run(['serve'], { PORT: '-1', ROOMLINK_SIP_DOMAIN: 'bad domain!' });
    expect(result.code).toBe(EXIT.config);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('ROOMLINK_SIP_DOMAIN');
  });

  it('rotates keys while the server runs: every meeting stays readable and the old key is gone', async () => {
    database = await createTestDatabase('sqlite');
    // Demo mode with the file provider: the server generates the keyring on first start and says so.
    const env = { DATABASE_URL: database.url, ROOMLINK_DATA_DIR: database.dir };
    server = await startServerProcess(env);
    expect(server.lines.some((l) => String(l.msg).includes('generated a new master key'))).toBe(true);
    const keyring = path.join(database.dir, 'master-keys.json');
    const before = JSON.parse(await readFile(keyring, 'utf8'));

    const store = await openStore(database.url);
    const tokens = {
      a: await insertSession(store, 'tenant-a', 'alice'),
      b: await insertSession(store, 'tenant-b', 'bob'),
    };
    await store.close();
    const create = async (token: string, subject: string) => {
      const res = await fetch(`${server?.url}/api/v1/meetings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subject, start: SOON.start, end: SOON.end }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string };
    };
    const a = await create(tokens.a, 'Tenant A meeting');
    const b = await create(tokens.b, 'Tenant B meeting');

    const rotated = await run(['keys', 'rotate'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/2 data keys rewrapped/);
    const after = JSON.parse(await readFile(keyring, 'utf8'));
    expect(Object.keys(after.keys)).toEqual([after.current]);
    expect(after.current).not.toBe(before.current);

    // The running server still serves both, and so does a fresh one after restart.
    const read = async (url: string, token: string, id: string) =>
      (await (
        await fetch(`${url}/api/v1/meetings/${id}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        subject: string;
      };
    expect((await read(server.url, tokens.a, a.id)).subject).toBe('Tenant A meeting');
    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = await startServerProcess(env);
    expect((await read(server.url, tokens.b, b.id)).subject).toBe('Tenant B meeting');
    expect((await read(server.url, tokens.a, a.id)).subject).toBe('Tenant A meeting');
    const c = await create(tokens.a, 'After rotation');
    expect((await read(server.url, tokens.a, c.id)).subject).toBe('After rotation');
  });

  it('dev sign-in runs the real flow against the demo emulator and prints a working session token', async () => {
    database = await createTestDatabase('sqlite');
    const port = await freePort();
    const env = {
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      PORT: String(port),
      ROOMLINK_BASE_URL: `http://127.0.0.1:${port}`,
    };
    server = await startServerProcess(env);
    expect(server.lines.some((l) => String(l.msg).includes('local identity emulator'))).toBe(true);
    const signIn = await run(['dev', 'sign-in', '--user', 'megan@contoso.example'], env);
    expect(signIn.code, signIn.stderr).toBe(0);
    expect(signIn.stderr).toContain('signed in megan@contoso.example');
    const token = signIn.stdout.trim();
    const res = await fetch(`${server.url}/api/v1/meetings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'Demo', start: SOON.start, end: SOON.end }),
    });
    expect(res.status).toBe(201);
    // The session token never reaches the server's log.
    expect(server.output()).not.toContain(token);
  });

  it('dev sign-in refuses when Roomlink is configured for the Microsoft cloud', async () => {
    const result = await run(['dev', 'sign-in', '--user', 'megan@contoso.example'], {
      MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
      MS_CLIENT_SECRET: 'x',
    });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('demo mode only');
  });
});

describe('the roomlink bin', () => {
  const server = path.resolve(path.dirname(CLI), '../..');

  it('is a committed file, so that npm links it at install time, before anything is built', async () => {
    const pkg = JSON.parse(await readFile(path.join(server, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    const bin = path.join(server, pkg.bin.roomlink ?? '');
    expect(path.relative(server, bin).split(path.sep)[0]).not.toBe('dist');
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('runs the built command', async () => {
    const child = spawn(process.execPath, [path.join(server, 'bin/roomlink.js'), '--help']);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain('retention');
  });
});
