/**
 * The admin API on both dialects, with real browser sessions and the product's authenticator:
 * who may use it, settings validation with per-field problems, template preview, users with
 * decrypted names and sign-in status, export/erase scoped to the admin's tenant, the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES } from '../src/instructions/index.js';
import {
  type AdminTestApp,
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  startAdminApp,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { insertSession } from './support/sessions.js';

const VALID = {
  defaultLanguage: 'fr',
  pinLength: 8,
  guestPinDefault: true,
  lobbyDefault: true,
  addToEveryMeetingDefault: false,
  retentionDays: 30,
  templates: {},
};

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`admin API on ${label}`, () => {
    let t: AdminTestApp;
    let admin: Record<string, string>;
    let member: Record<string, string>;
    let otherAdmin: Record<string, string>;

    beforeAll(async () => {
      t = await startAdminApp(dialect);
      const origin = t.runtime.config.baseUrl.origin;
      const session = async (tenant: string, user: string, isAdmin: boolean, name: string) => {
        await insertNamedUser(t.runtime, tenant, user, { isAdmin, name });
        return { cookie: `roomlink_session=${await insertBrowserSession(t.runtime, tenant, user)}`, origin };
      };
      admin = await session('t-admin', 'ada', true, 'Ada Admin');
      member = await session('t-admin', 'mo', false, 'Mo Member');
      otherAdmin = await session('t-other', 'olga', true, 'Olga Other');
      await insertNamedUser(t.runtime, 't-admin', 'sid', { name: 'Sid Signedout', status: 'signed_out' });
      await createMeeting(t.runtime, 't-admin', 'mo', 'Mo’s standup');
      await createMeeting(t.runtime, 't-admin', 'mo', 'Mo’s retro');
    });
    afterAll(async () => t?.close());

    const get = (url: string, headers: Record<string, string> = admin) =>
      t.app.inject({ method: 'GET', url, headers });
    const send = (method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown, headers = admin) =>
      t.app.inject({
        method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    it('answers 401 without a session, 403 to a non-admin, and refuses cross-site writes', async () => {
      const anonymous = await get('/api/v1/admin/settings', {});
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toContain('application/problem+json');
      const nonAdmin = await get('/api/v1/admin/users', member);
      expect(nonAdmin.statusCode).toBe(403);
      expect(nonAdmin.json()).toMatchObject({ code: 'forbidden' });
      // The admin's own add-in token is not the console's credential: unauthenticated, and told why,
      // not told they are no admin.
      const addinToken = await insertSession(t.runtime.store, 't-admin', 'ada', { createUser: false });
      const withAddinToken = await get('/api/v1/admin/users', { authorization: `Bearer ${addinToken}` });
      expect(withAddinToken.statusCode).toBe(401);
      expect(withAddinToken.json().detail).toMatch(/admin console’s session .* not an add-in token/);
      const crossSite = await send('PUT', '/api/v1/admin/settings', VALID, {
        ...admin,
        origin: 'https://evil.example',
      });
      // Refused as cross-site (403, saying so), not as "sign in again" (401); nothing saved.
      expect(crossSite.statusCode).toBe(403);
      expect(crossSite.json()).toMatchObject({
        code: 'forbidden',
        detail: expect.stringContaining('Origin'),
      });
      expect((await t.runtime.store.tenants.find('t-admin'))?.settings).not.toMatchObject(VALID);

      // The sign-in page is an ordinary page to read (200, so browsers log no failed load); the
      // API above answers 401, and a signed-in non-admin gets the refusal's honest 403.
      const page = await get('/admin', {});
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('href="/auth/signin?lang=en"');
      const refused = await get('/admin', member);
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('not a tenant admin');
      const console = await get('/admin');
      expect(console.statusCode).toBe(200);
      expect(console.headers['content-security-policy']).toContain("script-src 'self'");
      for (const answer of [page, refused, console])
        expect(answer.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect((await get('/admin/assets/console.js', {})).headers['content-type']).toContain(
        'text/javascript',
      );
    });

    it('saves valid settings, audits which changed, and reports every invalid field', async () => {
      // Whatever version is stored (test/admin-settings-versions.test.ts checks versions).
      const anyVersion = { ...admin, 'if-match': '*' };
      const initial = await get('/api/v1/admin/settings');
      expect(initial.json().settings).toMatchObject({ pinLength: 6, retentionDays: null, templates: {} });
      expect(initial.json().defaultTemplates.en.html).toBe(DEFAULT_TEMPLATES.en.html);
      expect(initial.headers['cache-control']).toBe('no-store');

      const saved = await send('PUT', '/api/v1/admin/settings', VALID, anyVersion);
      expect(saved.statusCode).toBe(200);
      expect((await t.runtime.store.tenants.find('t-admin'))?.settings).toMatchObject(VALID);
      const audit = await get('/api/v1/admin/audit?limit=1');
      expect(audit.json().entries[0]).toMatchObject({
        action: 'tenant.settings_changed',
        actorId: 'ada',
        details: { changed: 'defaultLanguage,pinLength,guestPinDefault,lobbyDefault,retentionDays' },
      });

      const schema = await send(
        'PUT',
        '/api/v1/admin/settings',
        {
          ...VALID,
          pinLength: 3,
          retentionDays: 120,
        },
        anyVersion,
      );
      expect(schema.statusCode).toBe(400);
      const paths = schema.json().errors.map((e: { path: string }) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['body/pinLength']));
      expect(paths.some((p: string) => p.startsWith('body/retentionDays'))).toBe(true);

      const badTemplates = await send(
        'PUT',
        '/api/v1/admin/settings',
        {
          ...VALID,
          templates: { en: { html: '<p>{{{joinUrl}}}</p>', text: 'Join: {{nope}}' } },
        },
        anyVersion,
      );
      expect(badTemplates.statusCode).toBe(422);
      expect(badTemplates.json()).toMatchObject({ code: 'invalid_tenant_settings' });
      const errors = badTemplates.json().errors as { path: string; line?: number }[];
      expect(errors.map((e) => e.path).sort()).toEqual(['/templates/en/html', '/templates/en/text']);
      expect(errors[0]?.line).toBe(1);
      // Nothing was stored.
      expect((await t.runtime.store.tenants.find('t-admin'))?.settings.templates).toEqual({});

      // A template identical to the built-in one is no override; a changed one is stored.
      const same = await send(
        'PUT',
        '/api/v1/admin/settings',
        {
          ...VALID,
          templates: { en: DEFAULT_TEMPLATES.en },
        },
        anyVersion,
      );
      expect(same.json().settings.templates).toEqual({});
      const own = { html: `${DEFAULT_TEMPLATES.fr.html}<p>Merci.</p>`, text: DEFAULT_TEMPLATES.fr.text };
      const custom = await send(
        'PUT',
        '/api/v1/admin/settings',
        { ...VALID, templates: { fr: own } },
        anyVersion,
      );
      expect(custom.json().settings.templates).toEqual({ fr: own });
    });

    it('previews templates for a sample meeting, with warnings, or says what is wrong and where', async () => {
      const ok = await send('POST', '/api/v1/admin/templates/preview', {
        language: 'fr',
        html: '<p><a href="{{joinUrl}}">Rejoindre</a> PIN hôte {{hostPin}}</p>',
        text: 'Rejoindre : {{joinUrl}}',
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().html).toContain(`${t.runtime.config.baseUrl.origin}/m/preview-sample-link`);
      expect(ok.json().html).toContain('roomlink:begin');
      expect(ok.json().text).toContain('Rejoindre : ');
      // No dial-in number is configured here: the preview shows none rather than a made-up one.
      const defaults = await send('POST', '/api/v1/admin/templates/preview', {
        language: 'en',
        ...(await get('/api/v1/admin/settings')).json().defaultTemplates.en,
      });
      expect(defaults.statusCode).toBe(200);
      expect(defaults.json().text).toContain('Meeting ID:');
      expect(defaults.json().text).not.toContain('Join by phone');
      expect(ok.json().warnings[0].path).toBe('/html');

      // Templates as long as settings take (20,000 characters each, here three UTF-8 bytes apiece:
      // over the app-wide 64 KiB body limit) can be previewed before they are saved.
      const long = (template: string) =>
        `${template}{{!-- ${'会'.repeat(20_000 - `${template}{{!--  --}}`.length)} --}}`;
      const large = await send('POST', '/api/v1/admin/templates/preview', {
        language: 'fr',
        html: long('<p><a href="{{joinUrl}}">Rejoindre</a></p>'),
        text: long('Rejoindre : {{joinUrl}}'),
      });
      expect(large.statusCode).toBe(200);

      const bad = await send('POST', '/api/v1/admin/templates/preview', {
        language: 'en',
        html: '<p>\n  <script>alert(1)</script>{{joinUrl}}</p>',
        text: '{{joinUrl}}',
      });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().errors).toEqual([
        expect.objectContaining({ path: '/html', message: expect.any(String) }),
      ]);
      expect(
        (await send('POST', '/api/v1/admin/templates/preview', { language: 'en', html: '' }, member))
          .statusCode,
      ).toBe(403);
    });

    it('lists the tenant’s users with decrypted names, status, last sign-in and meeting counts', async () => {
      const res = await get('/api/v1/admin/users');
      const users = res.json().users as {
        id: string;
        name: string | null;
        status: string;
        meetings: number;
      }[];
      expect(users.map((u) => u.id).sort()).toEqual(['ada', 'mo', 'sid']);
      expect(users.find((u) => u.id === 'mo')).toMatchObject({
        name: 'Mo Member',
        status: 'signed_in',
        meetings: 2,
      });
      expect(users.find((u) => u.id === 'sid')).toMatchObject({ status: 'signed_out' });
      expect(res.body).not.toContain('Olga');
      const overview = await get('/api/v1/admin/overview');
      expect(overview.json()).toMatchObject({
        tenantId: 't-admin',
        users: { total: 3, signedIn: 2, signedOut: 1 },
        meetings: { scheduled: 2, cancelled: 0 },
        retention: { defaultMonths: 3, maxDays: 89 },
      });
    });

    it('exports and erases users of the admin’s own tenant only', async () => {
      expect((await get('/api/v1/admin/users/mo/export', otherAdmin)).statusCode).toBe(404);
      expect((await send('DELETE', '/api/v1/admin/users/mo', undefined, otherAdmin)).statusCode).toBe(404);
      expect((await send('DELETE', '/api/v1/admin/users/ada')).statusCode).toBe(400);

      // A HEAD would run (and audit-log) an export and send nothing: there is none.
      for (const url of ['/api/v1/admin/users/mo/export', '/api/v1/admin/export']) {
        const head = await t.app.inject({ method: 'HEAD', url, headers: admin });
        expect(head.statusCode, url).toBe(404);
      }
      const audited = (await get('/api/v1/admin/audit?limit=50'))
        .json()
        .entries.map((e: { action: string }) => e.action);
      expect(audited).not.toContain('user.exported');
      expect(audited).not.toContain('tenant.exported');

      const exported = await get('/api/v1/admin/users/mo/export');
      expect(exported.statusCode).toBe(200);
      expect(exported.headers['content-disposition']).toBe('attachment; filename="roomlink-user-mo.json"');
      const data = exported.json();
      expect(data.user).toMatchObject({ id: 'mo', name: 'Mo Member' });
      expect(data.meetings.map((m: { subject: string }) => m.subject).sort()).toEqual([
        'Mo’s retro',
        'Mo’s standup',
      ]);

      const erased = await send('DELETE', '/api/v1/admin/users/mo');
      expect(erased.statusCode).toBe(200);
      expect(erased.json()).toMatchObject({ userId: 'mo', meetings: 2 });
      expect((await get('/api/v1/admin/users/mo/export')).statusCode).toBe(404);
      const actions = (await get('/api/v1/admin/audit?limit=5'))
        .json()
        .entries.map((e: { action: string }) => e.action);
      expect(actions.slice(0, 2)).toEqual(['user.erased', 'user.exported']);
    });

    it('refuses cookie requests another site or host sent (Sec-Fetch-Site), writing nothing', async () => {
      const exportsAudited = async () =>
        // Written by retention's own repository, whose actions the AuditAction type does not list.
        (await t.runtime.store.audit.list('t-admin', { limit: 200 }))
          .map((e): string => e.action)
          .filter((action) => action === 'tenant.exported' || action === 'user.exported').length;
      const before = await exportsAudited();
      // What a sibling host's `<img src=…>` or link sends: the cookie (SameSite=Strict lets it ride
      // along within the site), no Origin on a GET, and the browser's word on where it came from.
      const { origin: _origin, ...cookieOnly } = admin;
      for (const site of ['same-site', 'cross-site']) {
        for (const url of ['/api/v1/admin/export', '/api/v1/admin/users/ada/export', '/api/v1/admin/users']) {
          for (const headers of [cookieOnly, admin]) {
            const refused = await get(url, { ...headers, 'sec-fetch-site': site });
            expect(refused.statusCode, `${site} ${url}`).toBe(403);
            expect(refused.headers['content-type']).toContain('application/problem+json');
            expect(refused.json()).toMatchObject({
              code: 'forbidden',
              detail: expect.stringContaining(`Sec-Fetch-Site is ${site}`),
            });
            expect(refused.headers['content-disposition']).toBeUndefined();
          }
        }
        // Writes too, even with the right Origin.
        const write = await send('DELETE', '/api/v1/admin/session', undefined, {
          ...admin,
          'sec-fetch-site': site,
        });
        expect(write.statusCode).toBe(403);
      }
      // Nothing was exported or audit-logged, and the gate was not taken: the console's own export
      // (same-origin), a typed or bookmarked address (none) and a browser sending no Sec-Fetch-Site
      // all go through at once.
      expect(await exportsAudited()).toBe(before);
      for (const headers of [
        { ...admin, 'sec-fetch-site': 'same-origin' },
        { ...cookieOnly, 'sec-fetch-site': 'none' },
        cookieOnly,
      ]) {
        const tenant = await get('/api/v1/admin/export', headers);
        expect(tenant.statusCode).toBe(200);
        expect(tenant.headers['content-disposition']).toBe(
          'attachment; filename="roomlink-tenant-t-admin.json"',
        );
        expect(tenant.json().format).toBe('roomlink-tenant-export/1');
        const user = await get('/api/v1/admin/users/ada/export', headers);
        expect(user.statusCode).toBe(200);
        expect(user.json().user).toMatchObject({ id: 'ada' });
      }
      expect(await exportsAudited()).toBe(before + 6);
      // The session was not ended by the refused sign-out.
      expect((await get('/api/v1/admin/overview')).statusCode).toBe(200);
    });

    it('pages through the audit log, entries sharing a timestamp included', async () => {
      // A retention run writes its entries with one timestamp: five of them span page boundaries.
      const runAt = new Date();
      for (let i = 0; i < 5; i++) {
        await t.runtime.store.audit.append(
          { tenantId: 't-admin', actorId: null, action: 'data.purged', details: { meetings: i } },
          runAt,
        );
      }
      const all = (await get('/api/v1/admin/audit?limit=200')).json();
      expect(all.next).toBeNull();
      const seen: string[] = [];
      let url = '/api/v1/admin/audit?limit=2';
      for (;;) {
        const page = await get(url);
        expect(page.statusCode).toBe(200);
        const { entries, next } = page.json();
        seen.push(...entries.map((e: { id: string }) => e.id));
        if (!next) break;
        expect(next).toBe(`${entries[1].createdAt}_${entries[1].id}`);
        url = `/api/v1/admin/audit?limit=2&before=${encodeURIComponent(next)}`;
      }
      expect(seen).toEqual(all.entries.map((e: { id: string }) => e.id));
      expect(
        all.entries.filter((e: { createdAt: string }) => e.createdAt === runAt.toISOString()),
      ).toHaveLength(5);

      // The earlier cursor, a bare createdAt, is still accepted: the entries strictly older.
      const legacy = (
        await get(`/api/v1/admin/audit?limit=200&before=${encodeURIComponent(runAt.toISOString())}`)
      ).json();
      expect(legacy.entries.map((e: { id: string }) => e.id)).toEqual(
        all.entries
          .filter((e: { createdAt: string }) => e.createdAt < runAt.toISOString())
          .map((e: { id: string }) => e.id),
      );
      expect((await get('/api/v1/admin/audit?before=yesterday')).statusCode).toBe(400);
      expect((await get('/api/v1/admin/audit?limit=500')).statusCode).toBe(400);
      // Only the admin's tenant.
      const other = (await get('/api/v1/admin/audit', otherAdmin)).json();
      expect(other.entries.every((e: { actorId: string }) => e.actorId !== 'ada')).toBe(true);
    });
  });
}
