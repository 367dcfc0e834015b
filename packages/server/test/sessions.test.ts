/** Add-in and browser sessions, and sign-out's promise: no Exchange id, tokens or sessions remain. */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { createIdentity } from '../src/identity/index.js';
import type { MicrosoftOidcClient } from '../src/identity/oidc-client.js';
import { OidcError } from '../src/identity/oidc-client.js';
import type { UserRecord } from '../src/identity/ports.js';
import { digest, randomToken } from '../src/identity/secrets.js';
import { TokenService } from '../src/identity/tokens.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { offlineIdentity, signInRoutes } from './support/identity.js';
import { daysFromNow } from './support/meeting-times.js';
import { consoleCookie, insertSession, insertUser } from './support/sessions.js';

const SOON = daysFromNow(7);

const meeting = { subject: 'Sessions', start: SOON.start, end: SOON.end };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`sessions on ${label}`, () => {
    let t: TestApp;
    let identity: ReturnType<typeof createIdentity>;
    beforeAll(async () => {
      t = await startTestApp(dialect, {
        features: async (runtime) => {
          // No sign-in round trip here: sessions are inserted.
          identity = offlineIdentity(runtime);
          return { authenticate: identity.authenticate, plugins: [signInRoutes(runtime, identity)] };
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
        headers: { cookie: consoleCookie(t.runtime, token) },
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
      const cookie = consoleCookie(t.runtime, token);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(
        200,
      );
      const crossSite = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { cookie, origin: 'https://evil.example' },
        payload: meeting,
      });
      expect(crossSite.statusCode).toBe(403);
      expect(crossSite.json()).toMatchObject({ code: 'forbidden' });
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

    it('a user who never chose adds Roomlink to every meeting as the tenant admin set it', async () => {
      const token = await insertSession(store(), 'tenant-default', 'u-default');
      const headers = { authorization: `Bearer ${token}` };
      const me = async () =>
        (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers })).json().settings as {
          addToEveryMeeting: boolean;
        };
      expect((await me()).addToEveryMeeting).toBe(false);
      const tenant = await store().tenants.ensure('tenant-default', new Date());
      await store().tenants.updateSettings(
        'tenant-default',
        { ...tenant.settings, addToEveryMeetingDefault: true },
        new Date(),
      );
      expect((await me()).addToEveryMeeting).toBe(true);
      // The user's own choice wins.
      const put = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/me/settings',
        headers,
        payload: { addToEveryMeeting: false, language: null },
      });
      expect(put.statusCode).toBe(200);
      expect((await me()).addToEveryMeeting).toBe(false);
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
      // Sign-in handoff codes not redeemed yet (a dialog left open on another device): the user's go
      // with the sign-out, another user's stays.
      const handoff = (userId: string) =>
        store().authFlow.insertHandoff({
          codeHash: digest(randomToken()),
          userId,
          tenantId: 'tenant-s',
          challenge: digest(randomToken()),
          expiresAt: new Date(Date.now() + 5 * 60_000).toISOString(),
        });
      await handoff('u-out');
      await handoff('u-out');
      await insertUser(store(), 'tenant-s', 'u-stays');
      await handoff('u-stays');
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
      expect(
        await db.selectFrom('handoff_codes').select('user_id').where('tenant_id', '=', 'tenant-s').execute(),
      ).toEqual([{ user_id: 'u-stays' }]);
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

    it('a create in flight when its user signs out writes nothing and answers 401', async () => {
      const token = await insertSession(store(), 'tenant-s', 'u-inflight');
      // The create authenticated, then waits while it creates the room; meanwhile the user signs out.
      const gate = barrier();
      const builtin = t.runtime.builtin;
      const createRoom = builtin.createRoom.bind(builtin);
      vi.spyOn(builtin, 'createRoom').mockImplementationOnce(async (request) => {
        gate.reached();
        await gate.released;
        return createRoom(request);
      });
      const create = t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { authorization: `Bearer ${token}` },
        payload: { ...meeting, idempotencyKey: 'in-flight-at-sign-out' },
      });
      await gate.whenReached;
      const signOut = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session/sign-out',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(signOut.statusCode).toBe(204);
      gate.release();
      const res = await create;
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'unauthorized', status: 401 });
      const db = t.runtime.store.db;
      expect(
        await db.selectFrom('meetings').select('id').where('organizer_id', '=', 'u-inflight').execute(),
      ).toEqual([]);
      const audit = await t.runtime.store.audit.list('tenant-s', { limit: 50 });
      expect(audit.filter((e) => e.actorId === 'u-inflight').map((e) => e.action)).toEqual([
        'session.signed_out',
      ]);
    });

    it('a settings change that read the user before a sign-out does not bring the Exchange id back', async () => {
      const token = await insertSession(store(), 'tenant-s', 'u-race');
      const other = await insertSession(store(), 'tenant-s', 'u-race', { createUser: false });
      const users = store().users;
      const findById = users.findById;
      const gate = barrier();
      // The settings request reads the user, then waits while the user signs out elsewhere.
      users.findById = async (id: string) => {
        const user = await findById.call(users, id);
        users.findById = findById;
        gate.reached();
        await gate.released;
        return user;
      };
      try {
        // (inject() sends only once awaited: the async function does that now.)
        const put = (async () =>
          t.app.inject({
            method: 'PUT',
            url: '/api/v1/me/settings',
            headers: { authorization: `Bearer ${token}` },
            payload: { addToEveryMeeting: true, language: 'fr' },
          }))();
        await Promise.race([
          gate.whenReached,
          put.then((r) => {
            throw new Error(`answered ${r.statusCode} before reading the user`);
          }),
        ]);
        const out = await t.app.inject({
          method: 'POST',
          url: '/api/v1/session/sign-out',
          headers: { authorization: `Bearer ${other}` },
        });
        expect(out.statusCode).toBe(204);
        gate.release();
        expect((await put).statusCode).toBe(200);
      } finally {
        users.findById = findById;
      }
      const row = await t.runtime.store.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', 'u-race')
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        exchange_id: null,
        display_name_ct: null,
        upn_ct: null,
        status: 'signed_out',
      });
    });

    it('a refresh Microsoft refuses after the user signed in again leaves the new sign-in alone', async () => {
      await insertUser(store(), 'tenant-s', 'u-again');
      const gate = barrier();
      const oidc = {
        refresh: async () => {
          gate.reached();
          await gate.released;
          throw new OidcError('invalid_grant', 'AADSTS50173: the grant has expired');
        },
      } as unknown as MicrosoftOidcClient;
      const tokens = new TokenService({
        tokens: store().tokens,
        users: store().users,
        cipher: t.runtime.cipher,
        oidc: async () => oidc,
      });
      const expired = { accessToken: 'old-access', refreshToken: 'old-refresh', expiresAt: new Date(0) };
      await tokens.store('u-again', 'tenant-s', expired);
      const refused = tokens.getAccessToken('u-again');
      await gate.whenReached;
      // Meanwhile the user signs in again: new tokens, active.
      const fresh = {
        accessToken: 'new-access',
        refreshToken: 'new-refresh',
        expiresAt: new Date(Date.now() + 3600_000),
      };
      await tokens.store('u-again', 'tenant-s', fresh);
      gate.release();
      await expect(refused).rejects.toMatchObject({ code: 'sign_in_required' });
      await expect(tokens.getAccessToken('u-again')).resolves.toBe('new-access');
      const user = (await store().users.findById('u-again')) as UserRecord;
      expect(user.status).toBe('active');
    });
  });
}

/** Lets a test hold a request at a point until it has done something else meanwhile. */
function barrier() {
  let reached!: () => void;
  let release!: () => void;
  const whenReached = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { reached, whenReached, release, released };
}
