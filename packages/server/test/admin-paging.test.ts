/**
 * The admin API's lists a page at a time, over real HTTP on both dialects:
 * - GET /api/v1/admin/users: `limit` and a `next` cursor (keyset on creation time, then id), users
 *   sharing a creation time included, each page's names decrypted on its own, `total` on every page;
 *   a name that no longer decrypts is marked `{ unreadable: true }`, not passed off as not kept;
 * - GET /api/v1/admin/audit: no `next` when the page holds the last entries (no empty page after);
 * - GET /api/v1/admin/overview fails visibly when the contract end cannot be read;
 * - the OpenAPI document describes the paging, settings versions, the console's sign-out and the
 *   export's refusal.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminTestApp,
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  startAdminApp,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';

const T = 't-paging';
const OTHER = 't-paging-other';
const AUDITED = 't-paging-audit';
const TIE = '2026-01-05T09:00:00.000Z';

type User = {
  id: string;
  name: unknown;
  upn: unknown;
  status: string;
  meetings: number;
  sync: { status: string };
};
type UsersPage = { users: User[]; total: number; next: string | null };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`admin lists a page at a time on ${label}`, () => {
    let t: AdminTestApp;
    const cookie: Record<string, string> = {};
    const ids: string[] = [];

    beforeAll(async () => {
      t = await startAdminApp(dialect);
      const db = t.runtime.store.db;
      await insertNamedUser(t.runtime, T, 'p-admin', { isAdmin: true, name: 'Pia Admin' });
      // Seven users created at one instant (a page boundary falls among them), then three more.
      for (let i = 0; i < 10; i++) {
        const id = `p-${String(i).padStart(2, '0')}`;
        await insertNamedUser(t.runtime, T, id, { name: `Person ${i}`, upn: `person${i}@contoso.example` });
        ids.push(id);
      }
      await db.updateTable('users').set({ created_at: TIE }).where('id', 'in', ids.slice(0, 7)).execute();
      await db
        .updateTable('users')
        .set({ created_at: '2026-01-06T09:00:00.000Z' })
        .where('id', 'in', ids.slice(7))
        .execute();
      await db
        .updateTable('users')
        .set({ created_at: '2026-01-01T00:00:00.000Z' })
        .where('id', '=', 'p-admin')
        .execute();
      // Signed in, but the name no longer decrypts (damaged, or sealed for another row).
      await db.updateTable('users').set({ display_name_ct: 'v1.garbage' }).where('id', '=', 'p-03').execute();
      // Signed out: the name is not kept.
      await db
        .updateTable('users')
        .set({ status: 'signed_out', display_name_ct: null, upn_ct: null, exchange_id: null })
        .where('id', '=', 'p-08')
        .execute();
      await createMeeting(t.runtime, T, 'p-05', 'Five’s meeting');
      await createMeeting(t.runtime, T, 'p-05', 'Five’s other meeting');
      const now = new Date().toISOString();
      await sql`insert into sync_users (user_id, tenant_id, status, subscription_id, client_state_hash,
          subscription_expires_at, delta_link_ct, delta_started_at, created_at, updated_at)
        values ('p-06', ${T}, 'active', null, null, null, null, null, ${now}, ${now})`.execute(db);
      await insertNamedUser(t.runtime, OTHER, 'q-admin', { isAdmin: true, name: 'Quinn Elsewhere' });
      await insertNamedUser(t.runtime, AUDITED, 'r-admin', { isAdmin: true });
      for (const [tenant, user] of [
        [T, 'p-admin'],
        [OTHER, 'q-admin'],
        [AUDITED, 'r-admin'],
      ] as const) {
        cookie[tenant] = `roomlink_session=${await insertBrowserSession(t.runtime, tenant, user)}`;
      }
    });
    afterAll(async () => t?.close());

    const get = async (path: string, tenant = T) => {
      const r = await fetch(`${t.url}${path}`, { headers: { cookie: cookie[tenant] as string } });
      // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what is being checked
      return { status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as any };
    };

    it('pages through the users, oldest first, ties included, every page with the total', async () => {
      const everyone = ['p-admin', ...ids];
      const seen: string[] = [];
      let path = '/api/v1/admin/users?limit=3';
      let pages = 0;
      for (;;) {
        const page = await get(path);
        expect(page.status).toBe(200);
        const { users, total, next } = page.body as UsersPage;
        pages++;
        expect(total).toBe(11);
        expect(users.length).toBeLessThanOrEqual(3);
        expect(users.length).toBeGreaterThan(0); // no page comes back empty
        seen.push(...users.map((u) => u.id));
        if (!next) break;
        path = `/api/v1/admin/users?limit=3&after=${encodeURIComponent(next)}`;
      }
      expect(pages).toBe(4);
      expect(seen).toEqual(everyone);

      // Without a limit: up to 100, here everyone, and no next page.
      const all = (await get('/api/v1/admin/users')).body as UsersPage;
      expect(all.users.map((u) => u.id)).toEqual(everyone);
      expect(all.next).toBeNull();
      // Exactly a page's worth left: no cursor to an empty page.
      const exact = (await get('/api/v1/admin/users?limit=11')).body as UsersPage;
      expect(exact.users).toHaveLength(11);
      expect(exact.next).toBeNull();

      // Each page's users come with their meetings and calendar sync status.
      expect(all.users.find((u) => u.id === 'p-05')).toMatchObject({ meetings: 2, name: 'Person 5' });
      expect(all.users.find((u) => u.id === 'p-06')?.sync.status).toBe('syncing');
      expect(all.users.find((u) => u.id === 'p-07')?.sync.status).toBe('off');
      // Nobody of another tenant, and another tenant's admin sees only their own.
      expect(JSON.stringify(all)).not.toContain('Quinn');
      expect(((await get('/api/v1/admin/users', OTHER)).body as UsersPage).users.map((u) => u.id)).toEqual([
        'q-admin',
      ]);
    });

    it('refuses a malformed cursor or limit', async () => {
      for (const query of [
        'limit=0',
        'limit=201',
        'after=yesterday',
        'after=2026-01-05T09:00:00.000Z',
        'page=2',
      ]) {
        const r = await get(`/api/v1/admin/users?${query}`);
        expect(r.status, query).toBe(400);
        expect(r.type).toContain('application/problem+json');
      }
    });

    it('marks a name that no longer decrypts as unreadable, and a signed-out user’s as not kept', async () => {
      const { users } = (await get('/api/v1/admin/users')).body as UsersPage;
      expect(users.find((u) => u.id === 'p-03')).toMatchObject({
        status: 'signed_in',
        name: { unreadable: true },
        upn: 'person3@contoso.example',
      });
      expect(users.find((u) => u.id === 'p-08')).toMatchObject({
        status: 'signed_out',
        name: null,
        upn: null,
      });
    });

    it('counts users by status in the overview, and fails visibly when the contract end cannot be read', async () => {
      const overview = await get('/api/v1/admin/overview');
      expect(overview.body).toMatchObject({
        users: { total: 11, signedIn: 10, needsSignIn: 0, signedOut: 1 },
        meetings: { scheduled: 2, cancelled: 0 },
        contractEnd: null,
      });
      const offboarding = t.retention.offboarding;
      const status = offboarding.status;
      offboarding.status = async () => {
        throw new Error('connection reset');
      };
      try {
        const failed = await get('/api/v1/admin/overview');
        // Not "no contract end recorded": an error, said as one.
        expect(failed.status).toBe(500);
        expect(failed.body).toMatchObject({ code: 'internal_error' });
      } finally {
        offboarding.status = status;
      }
    });

    it('gives no audit cursor when the page holds the last entries', async () => {
      const at = new Date('2026-02-01T10:00:00.000Z');
      for (let i = 0; i < 4; i++) {
        await t.runtime.store.audit.append(
          { tenantId: AUDITED, actorId: null, action: 'data.purged', details: { meetings: i } },
          at,
        );
      }
      const first = (await get('/api/v1/admin/audit?limit=2', AUDITED)).body;
      expect(first.entries).toHaveLength(2);
      expect(first.next).toEqual(expect.any(String));
      const second = (
        await get(`/api/v1/admin/audit?limit=2&before=${encodeURIComponent(first.next)}`, AUDITED)
      ).body;
      expect(second.entries).toHaveLength(2);
      expect(second.next).toBeNull();
      expect((await get('/api/v1/admin/audit?limit=4', AUDITED)).body.next).toBeNull();
      expect((await get('/api/v1/admin/audit?limit=3', AUDITED)).body.next).toEqual(expect.any(String));
    });

    it('describes the paging, settings versions, the console’s sign-out and the busy export in OpenAPI', async () => {
      type Parameter = { in: string; name: string };
      type Operation = { parameters?: Parameter[]; responses: Record<string, unknown> };
      const doc = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as {
        paths: Record<string, Record<string, Operation>>;
      };
      const users = doc.paths['/api/v1/admin/users']?.get;
      expect(
        users?.parameters
          ?.filter((p) => p.in === 'query')
          .map((p) => p.name)
          .sort(),
      ).toEqual(['after', 'limit']);
      const put = doc.paths['/api/v1/admin/settings']?.put;
      expect(put?.parameters?.some((p) => p.in === 'header' && p.name === 'if-match')).toBe(true);
      expect(Object.keys(put?.responses ?? {})).toEqual(expect.arrayContaining(['200', '412', '422', '428']));
      expect(Object.keys(doc.paths['/api/v1/admin/session']?.delete?.responses ?? {})).toEqual(
        expect.arrayContaining(['204', '401', '403']),
      );
      expect(Object.keys(doc.paths['/api/v1/admin/export']?.get?.responses ?? {})).toContain('429');
    });
  });
}
