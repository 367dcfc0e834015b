/**
 * "Sign out of the console" (DELETE /api/v1/admin/session), over real HTTP on both dialects: it ends
 * the browser session it is sent with and clears the cookie, and nothing else: the admin's other
 * sessions (another browser, the Outlook add-in), tokens and Exchange id stay, unlike
 * POST /api/v1/session/sign-out. It is audit-logged as a console sign-out, and refused (403) from
 * another site's page, as every cookie-authenticated write is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest } from '../src/identity/secrets.js';
import {
  type AdminTestApp,
  insertBrowserSession,
  insertNamedUser,
  insertTokens,
  startAdminApp,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';

const T = 't-console-session';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`signing out of the admin console on ${label}`, () => {
    let t: AdminTestApp;
    let origin: string;

    beforeAll(async () => {
      t = await startAdminApp(dialect);
      origin = t.runtime.config.baseUrl.origin;
      await insertNamedUser(t.runtime, T, 'ines', { isAdmin: true, name: 'Ines Admin' });
      await insertTokens(t.runtime, T, 'ines');
    });
    afterAll(async () => t?.close());

    const sessionRow = (token: string) =>
      t.runtime.store.db
        .selectFrom('sessions')
        .select(['kind'])
        .where('token_hash', '=', digest(token))
        .executeTakeFirst();

    it('ends this browser’s console session only, clears its cookie and logs it', async () => {
      const here = await insertBrowserSession(t.runtime, T, 'ines');
      const elsewhere = await insertBrowserSession(t.runtime, T, 'ines');
      // The add-in's session, as the task pane holds it.
      const addin = 'addin-token-of-ines-0123456789';
      await t.runtime.store.authFlow.insertSession({
        tokenHash: digest(addin),
        userId: 'ines',
        tenantId: T,
        kind: 'addin',
        createdAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });

      const r = await fetch(`${t.url}/api/v1/admin/session`, {
        method: 'DELETE',
        headers: { cookie: `roomlink_session=${here}`, origin },
      });
      expect(r.status).toBe(204);
      const cleared = r.headers.get('set-cookie') ?? '';
      expect(cleared).toMatch(/^roomlink_session=;/);
      expect(cleared).toContain('Path=/');
      expect(cleared).toContain('Max-Age=0');
      expect(cleared).toContain('HttpOnly');
      expect(cleared).toContain('SameSite=Strict');

      // This session is gone: the console asks to sign in again.
      expect(await sessionRow(here)).toBeUndefined();
      const after = await fetch(`${t.url}/api/v1/admin/users`, {
        headers: { cookie: `roomlink_session=${here}` },
      });
      expect(after.status).toBe(401);
      // Everything else of the admin's stays: another browser's console, the add-in, tokens, the user.
      expect(await sessionRow(elsewhere)).toEqual({ kind: 'browser' });
      expect(
        (await fetch(`${t.url}/api/v1/admin/users`, { headers: { cookie: `roomlink_session=${elsewhere}` } }))
          .status,
      ).toBe(200);
      expect(await sessionRow(addin)).toEqual({ kind: 'addin' });
      expect(await t.runtime.store.tokens.find('ines')).toBeDefined();
      expect(await t.runtime.store.users.findById('ines')).toMatchObject({
        status: 'active',
        exchangeId: 'oid-ines',
      });

      const logged = await t.runtime.store.audit.list(T, { limit: 5 });
      expect(logged[0]).toMatchObject({
        action: 'session.signed_out',
        actorId: 'ines',
        targetType: 'user',
        targetId: 'ines',
        details: { scope: 'console' },
      });
    });

    it('is refused from another site’s page, and without a session', async () => {
      const token = await insertBrowserSession(t.runtime, T, 'ines');
      const crossSite = await fetch(`${t.url}/api/v1/admin/session`, {
        method: 'DELETE',
        headers: { cookie: `roomlink_session=${token}`, origin: 'https://evil.example' },
      });
      expect(crossSite.status).toBe(403);
      expect(await crossSite.json()).toMatchObject({
        code: 'forbidden',
        detail: expect.stringContaining('Origin'),
      });
      expect(await sessionRow(token)).toEqual({ kind: 'browser' });

      const anonymous = await fetch(`${t.url}/api/v1/admin/session`, {
        method: 'DELETE',
        headers: { origin },
      });
      expect(anonymous.status).toBe(401);
    });
  });
}
