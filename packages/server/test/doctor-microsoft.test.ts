/**
 * `roomlink doctor` checks, outside demo mode, that this machine reaches Microsoft's identity platform
 * and Graph as the server will: otherwise the first user to sign in finds out (docs/errors.md, exit 68).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorOptions, runDoctor } from '../src/cli/doctor.js';
import { EXIT } from '../src/cli/exit.js';
import { openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { testMasterKeys } from './support/harness.js';
import { type MicrosoftEmulators, startMicrosoftEmulators } from './support/microsoft-emulators.js';

async function doctor(env: Record<string, string>, options: DoctorOptions = {}) {
  const lines: string[] = [];
  const code = await runDoctor(env, (line) => lines.push(line), options);
  return { code, output: lines.join('\n') };
}

/** A loopback server answering every request with `answer` (a proxy's page, say), or never. */
async function fakeHost(answer: ((res: import('node:http').ServerResponse) => void) | 'never'): Promise<{
  url: string;
  server: Server;
}> {
  const server = createServer((_req, res) => {
    if (answer !== 'never') answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const { server } = await fakeHost('never');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('roomlink doctor checks that Microsoft can be reached', () => {
  let database: TestDatabase;
  let microsoft: MicrosoftEmulators;
  const servers: Server[] = [];
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    await (await openStore(database.url)).close();
    microsoft = await startMicrosoftEmulators();
  });
  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await microsoft?.close();
    await database?.drop();
  });

  const env = (overrides: Record<string, string> = {}) => ({
    MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
    MS_CLIENT_SECRET: 'a-client-secret',
    ROOMLINK_BASE_URL: 'https://rl.example.com',
    ROOMLINK_TRUSTED_PROXIES: 'loopback',
    DATABASE_URL: database.url,
    ROOMLINK_MASTER_KEYS: testMasterKeys(),
    ...microsoft.env,
    ...overrides,
  });

  it('passes when the identity platform’s metadata and Graph answer as Microsoft’s do', async () => {
    const result = await doctor(env());
    expect(result.code, result.output).toBe(EXIT.ok);
    expect(result.output).toContain(
      `ok    Microsoft sign-in (MS_AUTHORITY ${microsoft.env.MS_AUTHORITY}): its OpenID metadata is reachable and valid`,
    );
    expect(result.output).toContain(
      `ok    Microsoft Graph (GRAPH_BASE_URL ${microsoft.env.GRAPH_BASE_URL}): it answers as Graph does`,
    );
    // Last, after the local checks it does not replace.
    expect(result.output.indexOf('ok    keys')).toBeLessThan(result.output.indexOf('Microsoft sign-in'));
  });

  it('fails with exit 68 when neither can be reached, naming each host, the reason and what to open', async () => {
    const port = await closedPort();
    const result = await doctor(
      env({
        MS_AUTHORITY: `http://127.0.0.1:${port}/organizations`,
        GRAPH_BASE_URL: `http://127.0.0.1:${port}`,
      }),
    );
    expect(result.code, result.output).toBe(EXIT.unreachable);
    expect(result.output).toContain('ok    keys');
    expect(result.output).toMatch(
      new RegExp(
        `^FAIL {2}Microsoft sign-in .*: 127\\.0\\.0\\.1:${port} cannot be reached \\(ECONNREFUSED\\); the server needs outbound HTTPS \\(port 443\\) to it`,
        'm',
      ),
    );
    expect(result.output).toMatch(
      new RegExp(
        `^FAIL {2}Microsoft Graph .*: 127\\.0\\.0\\.1:${port} cannot be reached \\(ECONNREFUSED\\)`,
        'm',
      ),
    );
  });

  it('names a tenant in MS_AUTHORITY that Microsoft does not know (AADSTS90002)', async () => {
    const result = await doctor(env({ MS_AUTHORITY: `${microsoft.identityBaseUrl}/contoso-typo.example` }));
    expect(result.code, result.output).toBe(EXIT.unreachable);
    expect(result.output).toMatch(
      /^FAIL {2}Microsoft sign-in .*: it answered HTTP 400 \(invalid_tenant, AADSTS90002\): the tenant in MS_AUTHORITY does not exist/m,
    );
    // Graph is checked on its own: one failure does not hide the other's verdict.
    expect(result.output).toMatch(/^ok {4}Microsoft Graph/m);
  });

  it('fails when something other than Graph answers at GRAPH_BASE_URL (a proxy’s page)', async () => {
    const proxy = await fakeHost((res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Access to this site is blocked by your organisation</html>');
    });
    servers.push(proxy.server);
    const result = await doctor(env({ GRAPH_BASE_URL: proxy.url }));
    expect(result.code, result.output).toBe(EXIT.unreachable);
    expect(result.output).toMatch(
      /^FAIL {2}Microsoft Graph .*: a request without a token got HTTP 200, where Microsoft Graph answers 401 with its own error: is GRAPH_BASE_URL right, or is a proxy answering\?/m,
    );
    expect(result.output).toMatch(/^ok {4}Microsoft sign-in/m);
  });

  it('does not hang on a host that never answers: it gives up and says so', async () => {
    const silent = await fakeHost('never');
    servers.push(silent.server);
    const result = await doctor(
      env({ MS_AUTHORITY: `${silent.url}/organizations`, GRAPH_BASE_URL: silent.url }),
      {
        networkTimeoutMs: 300,
      },
    );
    expect(result.code, result.output).toBe(EXIT.unreachable);
    expect(result.output).toMatch(/^FAIL {2}Microsoft sign-in .*cannot be reached \(TimeoutError\)/m);
    expect(result.output).toMatch(/^FAIL {2}Microsoft Graph .*cannot be reached \(TimeoutError\)/m);
  });

  it('skips the check in demo mode, whose identity platform and Graph are built in', async () => {
    const result = await doctor({
      DATABASE_URL: database.url,
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    });
    expect(result.code, result.output).toBe(EXIT.ok);
    expect(result.output).toContain('skip  Microsoft: demo mode signs in against the built-in emulators');
  });
});
