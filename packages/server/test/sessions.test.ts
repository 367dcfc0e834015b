/** Add-in and browser sessions, and sign-out's promise: no Exchange id, tokens or sessions remain. */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authRoutes } from '../src/http/routes/auth.js';
import { createIdentity } from '../src/identity/index.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { insertSession } from './support/sessions.js';

const meeting = { subject: 'Sessions', start: '2026-12-01T09:00:00Z', end: '2026-12-01T10:00:00Z' };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`sessions on ${label}`, () => {
    let t: TestApp;
    let identity: ReturnType<typeof createIdentity>;
    beforeAll(async () => {
      t = await startTestApp(dialect, {
        features: async (runtime) => {
          // The authority is never contacted by these tests (no sign-in round trip here).
          identity = createIdentity(runtime, {
            clientId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
            credential: { kind: 'secret', secret: 'unused' },
            authority: new URL('http://127.0.0.1:9/organizations'),
          });
          return {
            authenticate: identity.authenticate,
            plugins: [
              (app) =>
                authRoutes(app, {
                  signIn: identity.signIn,
                  users: runtime.store.users,
                  baseUrl: runtime.config.baseUrl,
                  adminConsentUrl: identity.adminConsentUrl,
                }),
            ],
          };
        },
      });
    });
    afterAll(async () => t?.close());
    const store = () => t.runtime.store;

    it('an add-in session authenticates as a bearer token, not as a cookie', async () => {
      const token = await insertSession(store(), 'tenant-s', 'u-bearer');
      const ok = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { authorization: `Bearer ${token}` },
        payload: meeting,
      });
      expect(ok.statusCode).toBe(201);
      const asCookie = await t.app.inject({
        method: 'GET',
        url: `/api/v1/meetings/${ok.json().id}`,
        headers: { cookie: `roomlink_session=${token}` },
      });
      expect(asCookie.statusCode).toBe(401);
      const unknown = await t.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: 'Bearer not-a-session' },
      });
      expect(unknown.statusCode).toBe(401);
    });

    it('a browser session works by cookie, and unsafe methods need Roomlink’s own Origin', async () => {
      const token = await insertSession(store(), 'tenant-s', 'u-browser', { kind: 'browser' });
      const cookie = `roomlink_session=${token}`;
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(
        200,
      );
      const crossSite = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { cookie, origin: 'https://evil.example' },
        payload: meeting,
      });
      expect(crossSite.statusCode).toBe(401);
      const sameSite = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { cookie, origin: 'https://roomlink.test' },
        payload: meeting,
      });
      expect(sameSite.statusCode).toBe(201);
      const asBearer = await t.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(asBearer.statusCode).toBe(401);
    });

    it('an expired session is refused and deleted', async () => {
      const token = await insertSession(store(), 'tenant-s', 'u-expired', { ttlMs: -1000 });
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const rows = await sql<{
        n: number;
      }>`select count(*) as n from sessions where user_id = 'u-expired'`.execute(t.runtime.store.db);
      expect(Number(rows.rows[0]?.n)).toBe(0);
    });

    it('stores settings per user', async () => {
      const token = await insertSession(store(), 'tenant-s', 'u-settings');
      const headers = { authorization: `Bearer ${token}` };
      const put = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/me/settings',
        headers,
        payload: { addToEveryMeeting: true, language: 'fr' },
      });
      expect(put.statusCode).toBe(200);
      const me = (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers })).json();
      expect(me).toMatchObject({ status: 'active', settings: { addToEveryMeeting: true, language: 'fr' } });
      const bad = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/me/settings',
        headers,
        payload: { addToEveryMeeting: 'yes', language: 'de' },
      });
      expect(bad.statusCode).toBe(400);
    });

    it('answers 401 without a session before it validates a body', async () => {
      for (const request of [
        { method: 'PUT' as const, url: '/api/v1/me/settings', payload: { addToEveryMeeting: 'yes' } },
        { method: 'GET' as const, url: '/api/v1/me' },
        { method: 'POST' as const, url: '/api/v1/session/sign-out', payload: { unexpected: true } },
      ]) {
        const res = await t.app.inject(request);
        expect(res.statusCode, `${request.method} ${request.url}`).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    });

    it('sign-out leaves no Exchange id, token or session of the user, and revokes the session', async () => {
      const token = await insertSession(store(), 'tenant-s', 'u-out');
      const second = await insertSession(store(), 'tenant-s', 'u-out', { createUser: false });
      await identity.tokens.store('u-out', 'tenant-s', {
        accessToken: 'access-token-value',
        refreshToken: 'refresh-token-value',
        expiresAt: new Date(Date.now() + 3600_000),
      });
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session/sign-out',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(204);

      const db = t.runtime.store.db;
      const user = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', 'u-out')
        .executeTakeFirstOrThrow();
      expect(user).toMatchObject({
        exchange_id: null,
        display_name_ct: null,
        upn_ct: null,
        status: 'signed_out',
      });
      for (const table of ['user_tokens', 'sessions', 'handoff_codes'] as const) {
        const n = await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_id', '=', 'u-out')
          .executeTakeFirstOrThrow();
        expect(Number(n.n), table).toBe(0);
      }
      // No table holds the Exchange id anywhere, in any column.
      const dump = await sql<{
        t: string;
      }>`select cast(exchange_id as text) as t from users where exchange_id = 'oid-u-out'`.execute(db);
      expect(dump.rows).toEqual([]);
      for (const tk of [token, second]) {
        expect(
          (
            await t.app.inject({
              method: 'GET',
              url: '/api/v1/me',
              headers: { authorization: `Bearer ${tk}` },
            })
          ).statusCode,
        ).toBe(401);
      }
      const audit = await t.runtime.store.audit.list('tenant-s', { limit: 50 });
      expect(audit.some((e) => e.action === 'session.signed_out' && e.targetId === 'u-out')).toBe(true);
    });
  });
}
