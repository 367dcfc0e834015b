/**
 * ROOMLINK_TRUSTED_PROXIES over real HTTP from 127.0.0.1 (where a reverse proxy on the same host
 * connects from): X-Forwarded-* is believed only from a listed proxy, so the rooms' PIN lockouts
 * count each visitor behind the proxy on their own, and nothing else starts believing the headers.
 */
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import type { TestDatabase } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { offlineIdentity } from './support/identity.js';
import { daysFromNow } from './support/meeting-times.js';
import { createOpenMeeting, firstReplyToJoin, type RoomMessage } from './support/room-client.js';
import { type ServerProcess, startSignedInServer } from './support/server-process.js';
import { consoleCookie, insertSession } from './support/sessions.js';

const SOON = daysFromNow(7);

interface Client {
  readonly ip: string;
  readonly protocol: string;
  readonly host: string;
}

/** The app with a route that shows what Fastify makes of the connection, and the real authenticator. */
async function appTrusting(trustedProxies: string | undefined): Promise<TestApp> {
  return startTestApp('sqlite', {
    listen: true,
    env: trustedProxies === undefined ? {} : { ROOMLINK_TRUSTED_PROXIES: trustedProxies },
    features: async (runtime) => {
      // Only cookie sessions inserted below are looked up.
      const identity = offlineIdentity(runtime);
      return {
        authenticate: identity.authenticate,
        plugins: [
          async (app) => {
            app.get('/test/client', async (request) => ({
              ip: request.ip,
              protocol: request.protocol,
              host: request.host,
            }));
          },
        ],
      };
    },
  });
}

const forwarded = {
  'x-forwarded-for': '198.51.100.7',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil.example',
};

describe('ROOMLINK_TRUSTED_PROXIES in the app', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const client = async (headers: Record<string, string>): Promise<Client> => {
    const res = await fetch(`${t?.url}/test/client`, { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as Client;
  };

  it('believes X-Forwarded-* from a listed proxy, and only its own hop of X-Forwarded-For', async () => {
    t = await appTrusting('127.0.0.1');
    expect(await client(forwarded)).toEqual({ ip: '198.51.100.7', protocol: 'https', host: 'evil.example' });
    // A visitor's own X-Forwarded-For, to which the proxy appends the address it saw: the latter counts.
    expect((await client({ 'x-forwarded-for': '203.0.113.66, 198.51.100.7' })).ip).toBe('198.51.100.7');
  });

  it('ignores X-Forwarded-* when unset, or from a peer that is not a listed proxy', async () => {
    for (const trusted of [undefined, '10.0.0.0/8,::1']) {
      t = await appTrusting(trusted);
      const host = new URL(t.url).host;
      expect(await client(forwarded), String(trusted)).toEqual({ ip: '127.0.0.1', protocol: 'http', host });
      await t.close();
      t = undefined;
    }
  });

  it('keeps the Origin check on the configured base URL, whatever a trusted proxy forwards', async () => {
    t = await appTrusting('127.0.0.1');
    const token = await insertSession(t.runtime.store, 'tenant-proxy', 'u-proxy', { kind: 'browser' });
    // The base URL is https: the console's cookie is `__Host-roomlink_session`.
    const cookie = consoleCookie(t.runtime, token);
    const post = (origin: string) =>
      fetch(`${t?.url}/api/v1/meetings`, {
        method: 'POST',
        headers: {
          ...forwarded,
          cookie,
          origin,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          subject: 'Proxy',
          start: SOON.start,
          end: SOON.end,
        }),
      });
    // The forwarded host and scheme say evil.example; the base URL (https://roomlink.test) decides.
    expect((await post('https://evil.example')).status).toBe(403);
    expect((await post('https://roomlink.test')).status).toBe(201);
  });

  it('passes Fastify only lists it compiles', async () => {
    // Fastify compiles trustProxy when the app is made: a form it does not know would stop the start.
    const { trustedProxies } = loadConfig({
      ROOMLINK_TRUSTED_PROXIES:
        '127.0.0.1,10.0.0.0/8,::1,fd00::/8,::ffff:192.0.2.1,LoopBack,LinkLocal,UniqueLocal',
    });
    const app = Fastify({ trustProxy: [...trustedProxies] });
    await app.close();
  });
});

describe('ROOMLINK_TRUSTED_PROXIES in the running server', () => {
  let server: ServerProcess | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    server?.kill('SIGKILL');
    await database?.drop();
    server = undefined;
    database = undefined;
  });

  /** One visitor sends five wrong PINs; then another visitor, behind the same proxy, sends the right one. */
  async function lockoutBehindProxy(env: Record<string, string>) {
    let token: string;
    ({ server, token, database } = await startSignedInServer('tenant-proxy', 'host-user', {
      ROOMLINK_BASE_URL: 'https://roomlink.test',
      ...env,
    }));
    const meeting = await createOpenMeeting(server.url, token, { subject: 'Proxy lockout' });
    const { signal } = meeting;
    const wrong = meeting.hostPin === '0' ? '1' : '0';

    const guesses: RoomMessage[] = [];
    for (let i = 0; i < 5; i++) guesses.push(await firstReplyToJoin(signal, '198.51.100.7', wrong));
    expect(guesses.map((m) => m.code ?? m.reason)).toEqual([
      'wrong_pin',
      'wrong_pin',
      'wrong_pin',
      'wrong_pin',
      'locked',
    ]);
    const warnings = server.lines.filter(
      (l) => l.level === 40 && String(l.msg).includes('ROOMLINK_TRUSTED_PROXIES'),
    );
    return { other: await firstReplyToJoin(signal, '198.51.100.8', meeting.hostPin), warnings };
  }

  it('locks out only the visitor who guessed when the proxy is trusted', async () => {
    const { other, warnings } = await lockoutBehindProxy({ ROOMLINK_TRUSTED_PROXIES: '127.0.0.1' });
    expect(other.type).toBe('joined');
    expect(warnings).toEqual([]);
  });

  it('without it, sees every visitor as the proxy, locks them all out, and warns at start', async () => {
    const { other, warnings } = await lockoutBehindProxy({});
    expect(other).toMatchObject({ type: 'refused', reason: 'locked' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/ROOMLINK_BASE_URL is https but ROOMLINK_TRUSTED_PROXIES is unset/);
  });
});
