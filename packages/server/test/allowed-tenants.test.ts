/**
 * ROOMLINK_ALLOWED_TENANTS over real HTTP (SQLite): a tenant not on the list cannot sign in (through
 * the identity emulator), and one taken off the list after its users signed in is refused at once, by
 * the add-in's API and the admin console alike, not when their sessions end; a tenant on the list goes
 * on as before.
 */
import { CONTOSO_TENANT_ID, DEMO_USERS } from '@roomlink/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken, s256 } from '../src/identity/secrets.js';
import { startTestApp, type TestApp } from './support/harness.js';
import {
  dialogMessage,
  type IdentityTestApp,
  offlineIdentity,
  signInAs,
  signInRoutes,
  startIdentityApp,
} from './support/identity.js';
import { insertSession } from './support/sessions.js';

const ALLOWED = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const REMOVED = '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f';

describe('a tenant no longer on ROOMLINK_ALLOWED_TENANTS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { ROOMLINK_ALLOWED_TENANTS: ALLOWED.toUpperCase() },
      features: async (runtime) => {
        const identity = offlineIdentity(runtime);
        return { authenticate: identity.authenticate, plugins: [signInRoutes(runtime, identity)] };
      },
    });
  });
  afterAll(async () => t?.close());

  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/me', headers });

  it('is refused at once, its sessions kept for a return to the list; a listed tenant is not', async () => {
    const kept = await insertSession(t.runtime.store, ALLOWED, 'u-allowed');
    const addin = await insertSession(t.runtime.store, REMOVED, 'u-removed');
    const consoleSession = await insertSession(t.runtime.store, REMOVED, 'u-removed-admin', {
      kind: 'browser',
      isAdmin: true,
    });

    expect((await me({ authorization: `Bearer ${kept}` })).statusCode).toBe(200);
    const refused = await me({ authorization: `Bearer ${addin}` });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect((await me({ cookie: `roomlink_session=${consoleSession}` })).statusCode).toBe(401);

    const sessions = await t.runtime.store.db
      .selectFrom('sessions')
      .select('user_id')
      .where('tenant_id', '=', REMOVED)
      .orderBy('user_id')
      .execute();
    expect(sessions).toEqual([{ user_id: 'u-removed' }, { user_id: 'u-removed-admin' }]);
  });
});

describe('a tenant not on ROOMLINK_ALLOWED_TENANTS, signing in', () => {
  let t: IdentityTestApp;
  beforeAll(async () => {
    t = await startIdentityApp('sqlite', { env: { ROOMLINK_ALLOWED_TENANTS: CONTOSO_TENANT_ID } });
  });
  afterAll(async () => t?.close());

  /** The add-in's sign-in dialog, through the identity emulator as `upn`: the page it ends on. */
  async function addinSignIn(upn: string): Promise<{ status: number; body: string }> {
    const start = `${t.url}/auth/addin/start?challenge=${s256(randomToken(32))}`;
    const { response } = await signInAs(start, upn);
    return { status: response.status, body: await response.text() };
  }

  it('is refused with a clear reason and leaves nothing behind; a listed tenant signs in', async () => {
    const refused = await addinSignIn('diego@fabrikam.example');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('your organisation is not enabled on this Roomlink');
    expect(dialogMessage(refused.body)).toMatchObject({ error: 'tenant_not_allowed' });
    const diego = DEMO_USERS.find((u) => u.upn === 'diego@fabrikam.example');
    expect(diego).toBeDefined();
    expect(
      await t.runtime.store.users.findByExchangeId(diego?.tenantId ?? '', diego?.oid ?? ''),
    ).toBeUndefined();
    expect(
      await t.runtime.store.db
        .selectFrom('tenants')
        .select('id')
        .where('id', '=', diego?.tenantId ?? '')
        .execute(),
    ).toEqual([]);

    const welcome = await addinSignIn('adele@contoso.example');
    expect(welcome.status).toBe(200);
    expect(dialogMessage(welcome.body).type).toBe('roomlink-signin');
  });
});
