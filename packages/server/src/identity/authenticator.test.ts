import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { roomlinkCookies } from '../http/cookies.js';
import { sessionAuthenticator } from './authenticator.js';
import type { AuthFlowRepository, SessionRecord, UserStatus } from './ports.js';
import { digest } from './secrets.js';

type StoredSession = SessionRecord & { isAdmin: boolean; status: UserStatus };

/** The two AuthFlowRepository calls the authenticator makes, over a map; counts lookups. */
function sessions(...records: (Partial<StoredSession> & { token: string })[]) {
  const byHash = new Map<string, StoredSession>();
  for (const { token, ...rest } of records) {
    byHash.set(digest(token), {
      tokenHash: digest(token),
      userId: 'user-1',
      tenantId: 'tenant-1',
      kind: 'addin',
      createdAt: '2026-11-01T00:00:00Z',
      expiresAt: '2026-12-31T00:00:00Z',
      isAdmin: false,
      status: 'active',
      ...rest,
    } as StoredSession);
  }
  const calls = { find: 0, deleted: [] as string[] };
  const repo = {
    findSession: async (hash: string) => {
      calls.find++;
      return byHash.get(hash);
    },
    deleteSession: async (hash: string) => {
      calls.deleted.push(hash);
    },
  } as unknown as AuthFlowRepository;
  return { repo, calls };
}

const request = (method: string, headers: Record<string, string>) =>
  ({ method, headers }) as unknown as FastifyRequest;

const baseUrl = new URL('https://roomlink.example/');
/** The console's cookie with an https base URL: `__Host-roomlink_session`. */
const BROWSER_SESSION_COOKIE = roomlinkCookies(baseUrl).session.name;
const now = () => new Date('2026-11-29T12:00:00Z');

describe('sessionAuthenticator', () => {
  it('answers at once, without a lookup, for a request without credentials', () => {
    const { repo, calls } = sessions();
    const authenticate = sessionAuthenticator(repo, baseUrl, { now });
    expect(authenticate(request('POST', {}))).toBeNull();
    expect(authenticate(request('GET', { cookie: 'other=1' }))).toBeNull();
    expect(authenticate(request('POST', { authorization: 'Basic abc' }))).toBeNull();
    expect(calls.find).toBe(0);
  });

  it('refuses a session cookie on a cross-site unsafe request at once, without a lookup', () => {
    const { repo, calls } = sessions({ token: 'browser-token', kind: 'browser' });
    const authenticate = sessionAuthenticator(repo, baseUrl, { now });
    const cookie = `${BROWSER_SESSION_COOKIE}=browser-token`;
    expect(authenticate(request('POST', { cookie, origin: 'https://evil.example' }))).toBeNull();
    expect(authenticate(request('POST', { cookie }))).toBeNull();
    expect(calls.find).toBe(0);
  });

  it('looks up bearer and cookie sessions, each only as its own kind', async () => {
    const { repo } = sessions(
      { token: 'addin-token', kind: 'addin', userId: 'alice' },
      { token: 'browser-token', kind: 'browser', userId: 'bob', isAdmin: true },
    );
    const authenticate = sessionAuthenticator(repo, baseUrl, { now });
    const cookie = (token: string) => `theme=dark; ${BROWSER_SESSION_COOKIE}=${token}`;
    await expect(authenticate(request('POST', { authorization: 'Bearer addin-token' }))).resolves.toEqual({
      tenantId: 'tenant-1',
      userId: 'alice',
      isTenantAdmin: false,
      sessionKey: digest('addin-token'),
    });
    await expect(authenticate(request('GET', { cookie: cookie('browser-token') }))).resolves.toEqual({
      tenantId: 'tenant-1',
      userId: 'bob',
      isTenantAdmin: true,
      sessionKey: digest('browser-token'),
    });
    await expect(
      authenticate(request('POST', { cookie: cookie('browser-token'), origin: baseUrl.origin })),
    ).resolves.toMatchObject({ userId: 'bob' });
    // A token of the other kind is not accepted.
    await expect(
      authenticate(request('POST', { authorization: 'Bearer browser-token' })),
    ).resolves.toBeNull();
    await expect(authenticate(request('GET', { cookie: cookie('addin-token') }))).resolves.toBeNull();
  });

  it('makes a tenant admin an admin only through the console’s browser session', async () => {
    const { repo } = sessions(
      { token: 'admin-addin', kind: 'addin', userId: 'ada', isAdmin: true },
      { token: 'admin-console', kind: 'browser', userId: 'ada', isAdmin: true },
    );
    const authenticate = sessionAuthenticator(repo, baseUrl, { now });
    await expect(authenticate(request('GET', { authorization: 'Bearer admin-addin' }))).resolves.toEqual({
      tenantId: 'tenant-1',
      userId: 'ada',
      isTenantAdmin: false,
      sessionKey: digest('admin-addin'),
    });
    const cookie = `${BROWSER_SESSION_COOKIE}=admin-console`;
    await expect(authenticate(request('GET', { cookie }))).resolves.toMatchObject({ isTenantAdmin: true });
  });

  it('refuses, and keeps, the sessions of a tenant that is no longer allowed', async () => {
    const { repo, calls } = sessions(
      { token: 'kept-addin', kind: 'addin', tenantId: 'tenant-1' },
      { token: 'gone-addin', kind: 'addin', tenantId: 'tenant-2' },
      { token: 'gone-console', kind: 'browser', tenantId: 'tenant-2', isAdmin: true },
    );
    const authenticate = sessionAuthenticator(repo, baseUrl, { now, allowedTenants: ['tenant-1'] });
    await expect(authenticate(request('GET', { authorization: 'Bearer kept-addin' }))).resolves.toMatchObject(
      {
        tenantId: 'tenant-1',
      },
    );
    await expect(authenticate(request('GET', { authorization: 'Bearer gone-addin' }))).resolves.toBeNull();
    const cookie = `${BROWSER_SESSION_COOKIE}=gone-console`;
    await expect(authenticate(request('GET', { cookie }))).resolves.toBeNull();
    expect(calls.deleted).toEqual([]);
    // Any tenant when no list is set.
    await expect(
      sessionAuthenticator(repo, baseUrl, { now })(request('GET', { authorization: 'Bearer gone-addin' })),
    ).resolves.toMatchObject({ tenantId: 'tenant-2' });
  });

  it('deletes an expired or signed-out session when it sees one', async () => {
    const { repo, calls } = sessions(
      { token: 'old-token', expiresAt: '2026-11-29T11:59:59Z' },
      { token: 'gone-token', status: 'signed_out' },
    );
    const authenticate = sessionAuthenticator(repo, baseUrl, { now });
    await expect(authenticate(request('GET', { authorization: 'Bearer old-token' }))).resolves.toBeNull();
    await expect(authenticate(request('GET', { authorization: 'Bearer gone-token' }))).resolves.toBeNull();
    expect(calls.deleted).toEqual([digest('old-token'), digest('gone-token')]);
  });

  it('ends a browser session once the user must sign in again; keeps the add-in’s, marked so', async () => {
    const { repo, calls } = sessions(
      { token: 'console-token', kind: 'browser', isAdmin: true, status: 'needs_sign_in' },
      { token: 'addin-token', kind: 'addin', status: 'needs_sign_in' },
    );
    const authenticate = sessionAuthenticator(repo, baseUrl, { now });
    const cookie = `${BROWSER_SESSION_COOKIE}=console-token`;
    await expect(authenticate(request('GET', { cookie }))).resolves.toBeNull();
    expect(calls.deleted).toEqual([digest('console-token')]);
    await expect(authenticate(request('GET', { authorization: 'Bearer addin-token' }))).resolves.toEqual({
      tenantId: 'tenant-1',
      userId: 'user-1',
      isTenantAdmin: false,
      sessionKey: digest('addin-token'),
      // http/auth.ts then lets it read GET /api/v1/me and sign out, nothing more.
      signInNeeded: true,
    });
  });

  it('reads the session cookie under the name in force only: __Host- over https, unprefixed over http', async () => {
    const { repo, calls } = sessions({ token: 'console-token', kind: 'browser', userId: 'bob' });
    expect(BROWSER_SESSION_COOKIE).toBe('__Host-roomlink_session');
    const secure = sessionAuthenticator(repo, baseUrl, { now });
    // A cookie a sibling subdomain (or a plain-http page) planted under the unprefixed name: no session.
    expect(secure(request('GET', { cookie: 'roomlink_session=console-token' }))).toBeNull();
    // A browser sends the more specific cookie first: the planted one before Roomlink's own.
    await expect(
      secure(request('GET', { cookie: `roomlink_session=other; ${BROWSER_SESSION_COOKIE}=console-token` })),
    ).resolves.toMatchObject({ userId: 'bob' });
    expect(calls.find).toBe(1);

    const plain = sessionAuthenticator(repo, new URL('http://127.0.0.1:8080/'), { now });
    expect(plain(request('GET', { cookie: '__Host-roomlink_session=console-token' }))).toBeNull();
    await expect(plain(request('GET', { cookie: 'roomlink_session=console-token' }))).resolves.toMatchObject({
      userId: 'bob',
    });
  });

  it('takes a session cookie that is not valid percent-encoding for no session, not an error', async () => {
    const { repo, calls } = sessions();
    const authenticate = sessionAuthenticator(repo, baseUrl, { now });
    for (const value of ['%', '%E0%A4%A', 'abc%zz']) {
      const header = `${BROWSER_SESSION_COOKIE}=${value}`;
      expect(authenticate(request('GET', { cookie: header }))).toBeNull();
    }
    expect(calls.find).toBe(0);
  });
});
