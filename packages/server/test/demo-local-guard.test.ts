/**
 * A local demo (no MS_CLIENT_ID, ROOMLINK_DEMO_PUBLIC unset) answers only its own machine: over real
 * HTTP from 127.0.0.1, a request that came through an HTTP proxy (Forwarded, X-Forwarded-For,
 * X-Real-IP) or names a host other than a loopback one (a proxy passing the visitor's host, a page
 * reached by DNS rebinding) is refused with 403 problem+json; a public demo is unaffected.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { DEMO_LOCAL_REFUSAL } from '../src/http/demo-local-guard.js';
import { startTestApp, type TestApp, testMasterKeys } from './support/harness.js';

interface Answer {
  readonly status: number;
  readonly type: string | undefined;
  readonly body: string;
}

/** node:http rather than fetch, which does not let a caller choose the Host header. */
function get(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }),
      );
    });
    request.on('error', reject);
  });
}

const PROXIED: readonly Record<string, string>[] = [
  { 'x-forwarded-for': '198.51.100.7' },
  { forwarded: 'for=198.51.100.7;proto=https' },
  { 'x-real-ip': '198.51.100.7' },
  { host: 'roomlink.example.org' },
  { host: 'attacker.example:3000' },
  { host: '192.0.2.2:4108' },
];

describe('the local demo’s guard against requests from elsewhere', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('refuses requests that came through a proxy or name another host, and answers loopback names', async () => {
    t = await startTestApp('sqlite', { realBaseUrl: true, env: { ROOMLINK_DEMO_PUBLIC: 'false' } });
    expect(t.runtime.config.demoLocal).toBe(true);
    const url = `${t.url}/healthz`;
    const port = new URL(t.url).port;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `app.localhost:${port}`,
      `[::1]:${port}`,
      '127.0.0.1',
    ]) {
      expect((await get(url, { host })).status, host).toBe(200);
    }
    for (const headers of PROXIED) {
      const answer = await get(url, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.type).toContain('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({
        status: 403,
        code: 'forbidden',
        detail: DEMO_LOCAL_REFUSAL,
      });
    }
    // Every route, not only some: an API route is refused before its authentication.
    expect((await get(`${t.url}/api/v1/me`, PROXIED[0] ?? {})).status).toBe(403);
  });

  it('leaves a public demo (ROOMLINK_DEMO_PUBLIC=true) alone', async () => {
    t = await startTestApp('sqlite', { realBaseUrl: true, env: { ROOMLINK_DEMO_PUBLIC: 'true' } });
    expect(t.runtime.config.demoLocal).toBe(false);
    for (const headers of PROXIED) {
      expect((await get(`${t.url}/healthz`, headers)).status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('is on for a demo with ROOMLINK_DEMO_PUBLIC unset, and off for a public demo or with an app registration', () => {
    const env = {
      ROOMLINK_DATA_DIR: '/tmp/roomlink-guard-config',
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
    };
    expect(loadConfig(env).demoLocal).toBe(true);
    expect(loadConfig({ ...env, ROOMLINK_DEMO_PUBLIC: 'true' }).demoLocal).toBe(false);
    const registered = {
      ...env,
      ROOMLINK_BASE_URL: 'https://roomlink.example.org',
      MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
      MS_CLIENT_SECRET: 's3cr3t',
    };
    expect(loadConfig(registered).demoLocal).toBe(false);
  });
});
