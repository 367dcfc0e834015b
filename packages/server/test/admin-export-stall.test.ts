/**
 * A tenant export on SQLite does not stall the server (docs/privacy.md, docs/operations.md): every
 * query and decryption is synchronous there (better-sqlite3), so an export that only awaits them
 * never lets another request in. With thousands of users, /healthz must still be answered while the
 * export is under way; and a tenant's exports run one at a time per process, a second refused with
 * `export_in_progress` (429) until the first has finished or been abandoned, while another tenant's
 * export is not held up by it.
 *
 * SQLite only: on PostgreSQL every query waits for the network, which lets other requests in anyway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportGate } from '../src/admin/export-gate.js';
import { adminPlugin } from '../src/admin/plugin.js';
import { sessionAuthenticator } from '../src/identity/authenticator.js';
import { createRetention, type Retention } from '../src/retention/index.js';
import { insertBrowserSession, insertNamedUser, SILENT, seedUsers } from './support/admin.js';
import { startTestApp, type TestApp } from './support/harness.js';

const T = 't-stall';
const OTHER = 't-stall-other';
/** Enough that an export takes many turns of the event loop: the reviewer saw 13 s for 20,000. */
const USERS = 3000;

describe('a tenant export of thousands of users on SQLite', () => {
  let t: TestApp;
  let retention: Retention;
  const gate = new ExportGate();
  const cookie: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      realBaseUrl: true,
      features: async (runtime) => {
        retention = createRetention(runtime, { logger: SILENT });
        return {
          authenticate: sessionAuthenticator(runtime.store.authFlow, runtime.config.baseUrl),
          plugins: [adminPlugin({ runtime, retention, exportGate: gate })],
        };
      },
    });
    await insertNamedUser(t.runtime, T, 'a-admin', { isAdmin: true, name: 'Ada Admin' });
    await insertNamedUser(t.runtime, OTHER, 'o-admin', { isAdmin: true, name: 'Otto Other' });
    await seedUsers(t.runtime, T, USERS);
    cookie[T] = `roomlink_session=${await insertBrowserSession(t.runtime, T, 'a-admin')}`;
    cookie[OTHER] = `roomlink_session=${await insertBrowserSession(t.runtime, OTHER, 'o-admin')}`;
  }, 120_000);
  afterAll(async () => t?.close());

  const exportAudits = async () =>
    (
      await t.runtime.store.db
        .selectFrom('audit_log')
        .select('id')
        .where('action', '=', 'tenant.exported')
        .execute()
    ).length;

  it('answers /healthz while the export is still being written', async () => {
    const events: string[] = [];
    let healthz: Promise<void> | undefined;
    // The export reads its users a page at a time once its body is under way: the first page read
    // is when /healthz is asked, over real HTTP.
    const repository = retention.subjectRepository;
    const usersPage = repository.usersPage.bind(repository);
    repository.usersPage = async (...args) => {
      healthz ??= fetch(`${t.url}/healthz`).then(async (r) => {
        events.push(`healthz ${r.status} ${((await r.json()) as { status: string }).status}`);
      });
      return usersPage(...args);
    };
    try {
      // The export's body goes to memory (no socket): nothing but the export itself can hold it back.
      const exported = await t.app
        .inject({ method: 'GET', url: '/api/v1/admin/export', headers: { cookie: cookie[T] as string } })
        .then((r) => {
          events.push('export ended');
          return r;
        });
      await healthz;
      // Answered while the export was still going, not after it.
      expect(events).toEqual(['healthz 200 ok', 'export ended']);
      expect(exported.statusCode).toBe(200);
      const data = JSON.parse(exported.body) as { users: { user: { id: string } }[] };
      expect(data.users).toHaveLength(USERS + 1);
    } finally {
      repository.usersPage = usersPage;
    }
  });

  it('runs one export of a tenant at a time: a second is refused with 429 until the first ends or is abandoned', async () => {
    const before = await exportAudits();
    // The first export, read only as far as its first chunk: it is under way, and waits for its reader.
    const first = await fetch(`${t.url}/api/v1/admin/export`, { headers: { cookie: cookie[T] as string } });
    expect(first.status).toBe(200);
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).done).toBe(false);
    expect(gate.busy).toBe(true);

    // Another of this tenant: refused, said so, and neither exported nor audit-logged.
    const second = await fetch(`${t.url}/api/v1/admin/export`, { headers: { cookie: cookie[T] as string } });
    expect(second.status).toBe(429);
    expect(second.headers.get('content-type')).toContain('application/problem+json');
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await second.json()).toMatchObject({
      code: 'export_in_progress',
      status: 429,
      detail: expect.stringContaining('another export of your organisation'),
    });
    expect(await exportAudits()).toBe(before + 1);

    // Another tenant's is not held up: one organisation's slow download cannot keep the others
    // from their data.
    const elsewhere = await fetch(`${t.url}/api/v1/admin/export`, {
      headers: { cookie: cookie[OTHER] as string },
    });
    expect(elsewhere.status).toBe(200);
    expect(((await elsewhere.json()) as { tenant: { id: string } }).tenant.id).toBe(OTHER);
    expect(gate.busy).toBe(true);
    expect(await exportAudits()).toBe(before + 2);

    // The download abandoned: the server notices, and the next export may run.
    await reader.cancel();
    await gate.whenFree();
    const third = await fetch(`${t.url}/api/v1/admin/export`, {
      headers: { cookie: cookie[OTHER] as string },
    });
    expect(third.status).toBe(200);
    const data = (await third.json()) as { tenant: { id: string } };
    expect(data.tenant.id).toBe(OTHER);
    // Read to its end, the export gives the gate back by itself.
    expect(gate.busy).toBe(false);
    const fourth = await fetch(`${t.url}/api/v1/admin/export`, {
      headers: { cookie: cookie[OTHER] as string },
    });
    expect(fourth.status).toBe(200);
    expect(((await fourth.json()) as { tenant: { id: string } }).tenant.id).toBe(OTHER);
    expect(gate.busy).toBe(false);
    expect(await exportAudits()).toBe(before + 4);
  });

  it('gives the gate back when the export cannot start (no data of the tenant)', async () => {
    const repository = retention.subjectRepository;
    const findTenant = repository.findTenant.bind(repository);
    repository.findTenant = async () => undefined;
    try {
      const r = await fetch(`${t.url}/api/v1/admin/export`, { headers: { cookie: cookie[T] as string } });
      expect(r.status).toBe(404);
    } finally {
      repository.findTenant = findTenant;
    }
    expect(gate.busy).toBe(false);
  });
});
