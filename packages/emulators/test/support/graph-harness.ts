/**
 * Starts the Graph emulator on a real socket (127.0.0.1:0) with its own RSA signing key, a
 * controllable clock and a token minter, so tests need no identity emulator.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import {
  type GraphAccessTokenVerifier,
  type GraphEmulator,
  jwksVerifier,
  type StandaloneGraphOptions,
  startGraphEmulator,
} from '../../src/graph/index.js';

export const IDENTITY_BASE = 'http://127.0.0.1:9/identity';
export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const APP_ID = 'c9a559d2-7aab-4f13-a6ed-e7e9c52aec87';
export const ALICE = '8d1e6c4a-8d6b-4b7a-9f8e-1a2b3c4d5e6f';
export const BOB = '0b5f2c1d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
export const PREFIX = '/_emulator/graph';

/** A clock tests move explicitly; it starts on a fixed Monday morning. */
export class TestClock {
  private current: number;

  constructor(start = Date.UTC(2025, 2, 3, 8, 0, 0)) {
    this.current = start;
  }

  now = (): Date => new Date(this.current);

  advance(ms: number): void {
    this.current += ms;
  }
}

export interface TokenOptions {
  oid?: string;
  tid?: string;
  scp?: string;
  appid?: string;
  audience?: string;
  /** Seconds relative to the clock. */
  issuedAt?: number;
  lifetimeSeconds?: number;
  xms_cc?: string[];
}

export interface GraphHarness {
  emulator: GraphEmulator;
  /** Verifies the harness's tokens (for mounting another emulator instance). */
  verify: GraphAccessTokenVerifier;
  clock: TestClock;
  /** http://127.0.0.1:<port>/_emulator/graph */
  baseUrl: string;
  token(options?: TokenOptions): Promise<string>;
  /** fetch relative to {baseUrl}/v1.0 with a bearer token (default: a fresh one for Alice, Calendars.ReadWrite). */
  graph(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function startGraphHarness(
  options: Partial<Omit<StandaloneGraphOptions, 'verifyAccessToken'>> = {},
): Promise<GraphHarness> {
  const clock = new TestClock();
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const verify = jwksVerifier(createLocalJWKSet({ keys: [jwk] }), {
    now: clock.now,
    issuer: (tid) => `${IDENTITY_BASE}/${tid}/v2.0`,
  });
  const running = await startGraphEmulator({
    path: PREFIX,
    verifyAccessToken: verify,
    now: clock.now,
    retryDelaysMs: [5, 10],
    validationTimeoutMs: 2_000,
    ...options,
  });
  const { emulator, baseUrl } = running;

  const token = async (t: TokenOptions = {}): Promise<string> => {
    const tid = t.tid ?? TENANT_ID;
    const iat = Math.floor(clock.now().getTime() / 1000) + (t.issuedAt ?? 0);
    return new SignJWT({
      tid,
      oid: t.oid ?? ALICE,
      scp: t.scp ?? 'Calendars.ReadWrite openid profile offline_access',
      appid: t.appid ?? APP_ID,
      ...(t.xms_cc ? { xms_cc: t.xms_cc } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
      .setIssuer(`${IDENTITY_BASE}/${tid}/v2.0`)
      .setAudience(t.audience ?? 'https://graph.microsoft.com')
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + (t.lifetimeSeconds ?? 3600))
      .sign(privateKey);
  };
  return {
    emulator,
    verify,
    clock,
    baseUrl,
    token,
    async graph(path, init = {}) {
      const { token: bearer, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      // A fresh default token per request, so moving the clock never expires it.
      const useToken = bearer === undefined ? await token() : bearer;
      if (useToken !== null) headers.set('authorization', `Bearer ${useToken}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(path.startsWith('http') ? path : `${baseUrl}/v1.0${path}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    close: () => running.close(),
  };
}

/** A minimal one-hour meeting body. */
export function meeting(
  subject: string,
  startIso: string,
  minutes = 60,
  timeZone = 'UTC',
): Record<string, unknown> {
  const start = new Date(`${startIso}Z`);
  const end = new Date(start.getTime() + minutes * 60_000);
  return {
    subject,
    start: { dateTime: startIso, timeZone },
    end: { dateTime: end.toISOString().slice(0, 19), timeZone },
  };
}
