/**
 * A user whose name or UPN no longer decrypts is exported marked `unreadable`, as meetings are: one
 * damaged row never cuts a tenant's export short (the admin API and `roomlink export tenant` share
 * SubjectRequestService.exportTenant). An export that still fails midway is logged, by error type
 * only.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPlugin } from '../src/admin/plugin.js';
import { sessionAuthenticator } from '../src/identity/authenticator.js';
import { loggerOptions } from '../src/observability/logger.js';
import { createRetention, type Retention } from '../src/retention/index.js';
import type { TenantExport, UserHoldings } from '../src/retention/subject-requests.js';
import { createMeeting, insertBrowserSession, insertNamedUser, SILENT } from './support/admin.js';
import { startTestApp, type TestApp } from './support/harness.js';

const T = 't-unreadable';
const SUBJECT = 'Salary talk with jane.doe@contoso.example';

type ExportedUser = Omit<UserHoldings, 'user'> & { user: Record<string, unknown> };

describe('exports with a name that no longer decrypts', () => {
  let t: TestApp;
  let retention: Retention;
  const lines: string[] = [];
  const db = () => t.runtime.store.db;
  const cookieOf: Record<string, string> = {};

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    t = await startTestApp('sqlite', {
      realBaseUrl: true,
      logger: pino(loggerOptions('info'), sink),
      features: async (runtime) => {
        retention = createRetention(runtime, { logger: SILENT });
        return {
          authenticate: sessionAuthenticator(runtime.store.authFlow, runtime.config.baseUrl),
          plugins: [adminPlugin({ runtime, retention })],
        };
      },
    });
    await insertNamedUser(t.runtime, T, 'a-admin', { isAdmin: true, name: 'Ada Admin' });
    // Sorted after the admin and before the last user: the export has more to write after it.
    await insertNamedUser(t.runtime, T, 'b-broken', { name: 'Bob Broken', upn: 'bob@contoso.example' });
    await insertNamedUser(t.runtime, T, 'c-after', { name: 'Cy After' });
    await createMeeting(t.runtime, T, 'b-broken', 'Bob’s board');
    // A damaged name, and a UPN sealed for another row (it fails authentication, as a swap would).
    const admin = await db()
      .selectFrom('users')
      .selectAll()
      .where('id', '=', 'a-admin')
      .executeTakeFirstOrThrow();
    await db()
      .updateTable('users')
      .set({ display_name_ct: 'v1.garbage', upn_ct: admin.upn_ct })
      .where('id', '=', 'b-broken')
      .execute();
    cookieOf[T] = `roomlink_session=${await insertBrowserSession(t.runtime, T, 'a-admin')}`;
  });
  afterAll(async () => t?.close());

  async function text(chunks: TenantExport): Promise<string> {
    let all = '';
    for await (const chunk of chunks) all += chunk;
    return all;
  }

  function checkTenantExport(data: { users: ExportedUser[]; audit: { action: string }[] }): void {
    const byId = new Map(data.users.map((u) => [u.user.id, u]));
    expect([...byId.keys()]).toEqual(['a-admin', 'b-broken', 'c-after']);
    expect(byId.get('b-broken')?.user).toMatchObject({
      id: 'b-broken',
      name: { unreadable: true },
      upn: { unreadable: true },
      status: 'active',
    });
    expect(byId.get('b-broken')?.meetings.map((m) => ('subject' in m ? m.subject : m))).toEqual([
      'Bob’s board',
    ]);
    expect(byId.get('a-admin')?.user.name).toBe('Ada Admin');
    expect(byId.get('c-after')?.user.name).toBe('Cy After');
    expect(data.audit.map((a) => a.action)).toContain('tenant.exported');
  }

  it('are complete and mark it unreadable (the layer the admin API and the CLI share)', async () => {
    const subjects = retention.subjects;
    checkTenantExport(JSON.parse(await text(await subjects.exportTenant(T, { actor: 'cli' }))));
    const one = await subjects.export('b-broken', { actor: 'cli' });
    expect(one.user).toMatchObject({ name: { unreadable: true }, upn: { unreadable: true } });
    expect(one.meetings).toHaveLength(1);
  });

  it('download whole from the admin console', async () => {
    const r = await fetch(`${t.url}/api/v1/admin/export`, { headers: { cookie: cookieOf[T] as string } });
    expect(r.status).toBe(200);
    checkTenantExport(JSON.parse(await r.text()));
  });

  it('cut short by another failure are logged by error type, without the data', async () => {
    // Settings that are not JSON: JSON.parse's message quotes them.
    const other = 't-unreadable-settings';
    await insertNamedUser(t.runtime, other, 'x-admin', { isAdmin: true });
    await insertNamedUser(t.runtime, other, 'y-damaged');
    await db().updateTable('users').set({ settings: SUBJECT }).where('id', '=', 'y-damaged').execute();
    const cookie = `roomlink_session=${await insertBrowserSession(t.runtime, other, 'x-admin')}`;
    lines.length = 0;

    const r = await fetch(`${t.url}/api/v1/admin/export`, { headers: { cookie } });
    expect(r.status).toBe(200);
    await expect(r.text()).rejects.toThrow('terminated');

    const failed = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'tenant export failed midway; the download was cut short');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: 50, err: { type: 'SyntaxError' } });
    expect(failed[0]?.reqId).toEqual(expect.any(String));
    for (const secret of ['Salary', 'jane.doe', 'contoso.example']) {
      expect(lines.join(''), secret).not.toContain(secret);
    }
  });
});
