/**
 * Settings carry a version, and a change must be based on the current one, over real HTTP on both
 * dialects (docs/errors.md): GET answers an ETag (and `version`); PUT without If-Match is 428
 * `precondition_required`, with a stale one 412 `precondition_failed` and nothing saved or audited;
 * two changes based on one version race and exactly one wins (compare-and-set in the database).
 * So two admins, or two tabs, no longer silently undo each other's changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminTestApp, insertBrowserSession, insertNamedUser, startAdminApp } from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';

const T = 't-versions';

const BASE = {
  defaultLanguage: 'en',
  pinLength: 6,
  guestPinDefault: false,
  lobbyDefault: false,
  addToEveryMeetingDefault: false,
  retentionDays: null as number | null,
  templates: {},
};

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`settings versions on ${label}`, () => {
    let t: AdminTestApp;
    const headers: Record<string, Record<string, string>> = {};

    beforeAll(async () => {
      t = await startAdminApp(dialect);
      const origin = t.runtime.config.baseUrl.origin;
      for (const user of ['ann', 'bob']) {
        await insertNamedUser(t.runtime, T, user, { isAdmin: true });
        headers[user] = {
          cookie: `roomlink_session=${await insertBrowserSession(t.runtime, T, user)}`,
          origin,
          'content-type': 'application/json',
        };
      }
    });
    afterAll(async () => t?.close());

    const load = async (as = 'ann') => {
      const r = await fetch(`${t.url}/api/v1/admin/settings`, { headers: headers[as] });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { settings: typeof BASE; version: string };
      expect(r.headers.get('etag')).toBe(`"${body.version}"`);
      return { etag: r.headers.get('etag') as string, ...body };
    };
    const save = (body: unknown, ifMatch: string | undefined, as = 'ann') =>
      fetch(`${t.url}/api/v1/admin/settings`, {
        method: 'PUT',
        headers: { ...headers[as], ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) },
        body: JSON.stringify(body),
      });
    const stored = async () => (await t.runtime.store.tenants.find(T))?.settings;
    const changes = async () =>
      (
        await t.runtime.store.db
          .selectFrom('audit_log')
          .select('id')
          .where('tenant_id', '=', T)
          .where('action', '=', 'tenant.settings_changed')
          .execute()
      ).length;

    it('refuses a change without If-Match (428) and saves one based on the current version', async () => {
      const first = await load();
      const missing = await save({ ...BASE, retentionDays: 30 }, undefined);
      expect(missing.status).toBe(428);
      expect(missing.headers.get('content-type')).toContain('application/problem+json');
      expect(await missing.json()).toMatchObject({ code: 'precondition_required', status: 428 });
      expect((await stored())?.retentionDays).toBeNull();

      const saved = await save({ ...BASE, retentionDays: 30 }, first.etag);
      expect(saved.status).toBe(200);
      const body = (await saved.json()) as { version: string };
      expect(body.version).not.toBe(first.version);
      expect(saved.headers.get('etag')).toBe(`"${body.version}"`);
      expect((await stored())?.retentionDays).toBe(30);
      expect((await load()).version).toBe(body.version);
    });

    it('refuses a change based on settings someone else changed since (412), saving and auditing nothing', async () => {
      // Two admins (or tabs) load the same settings.
      const ann = await load('ann');
      const bob = await load('bob');
      expect(bob.version).toBe(ann.version);
      // Ann shortens the retention period.
      expect((await save({ ...ann.settings, retentionDays: 7 }, ann.etag, 'ann')).status).toBe(200);
      const audited = await changes();
      // Bob, from what he loaded before, changes join instructions: his save would put 30 days back.
      const stale = await save(
        { ...bob.settings, templates: { en: { html: '<p>{{joinUrl}}</p>', text: 'Join: {{joinUrl}}' } } },
        bob.etag,
        'bob',
      );
      expect(stale.status).toBe(412);
      expect(stale.headers.get('content-type')).toContain('application/problem+json');
      expect(await stale.json()).toMatchObject({
        code: 'precondition_failed',
        status: 412,
        detail: expect.stringContaining('changed'),
      });
      expect(await stored()).toMatchObject({ retentionDays: 7, templates: {} });
      expect(await changes()).toBe(audited);

      // Reloaded, Bob's change goes through and keeps Ann's.
      const again = await load('bob');
      expect(again.settings.retentionDays).toBe(7);
      const html = '<p><a href="{{joinUrl}}">Join</a></p>';
      const ok = await save(
        { ...again.settings, templates: { en: { html, text: '{{joinUrl}}' } } },
        again.etag,
        'bob',
      );
      expect(ok.status).toBe(200);
      expect(await stored()).toMatchObject({ retentionDays: 7, templates: { en: { html } } });
    });

    it('lets exactly one of two changes based on one version win', async () => {
      const base = await load();
      const [a, b] = await Promise.all([
        save({ ...base.settings, pinLength: 8 }, base.etag, 'ann'),
        save({ ...base.settings, pinLength: 9 }, base.etag, 'bob'),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      const winner = a.status === 200 ? 8 : 9;
      expect((await stored())?.pinLength).toBe(winner);
    });

    it('takes If-Match: * (replace whatever is stored), a weakened ETag, and a list holding the current one', async () => {
      const current = await load();
      expect((await save({ ...current.settings, lobbyDefault: true }, '*')).status).toBe(200);
      const next = await load();
      // A compressing proxy may hand the ETag on weakened: it still names the same settings.
      expect((await save({ ...next.settings, lobbyDefault: false }, `W/${next.etag}`)).status).toBe(200);
      const last = await load();
      expect((await save({ ...last.settings, guestPinDefault: true }, `"old", ${last.etag}`)).status).toBe(
        200,
      );
      expect((await save({ ...last.settings, guestPinDefault: false }, '"old"')).status).toBe(412);
      // A save that changes nothing answers the version it found.
      const same = await load();
      const unchanged = await save(same.settings, same.etag);
      expect(unchanged.status).toBe(200);
      expect(((await unchanged.json()) as { version: string }).version).toBe(same.version);
    });
  });
}
