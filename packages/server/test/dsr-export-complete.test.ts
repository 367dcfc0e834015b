/**
 * Exports hold everything Roomlink keeps, on both dialects (docs/privacy.md):
 * - a user export holds calendar sync's records about the user (the mailbox's sync state, the
 *   calendar events linked to meetings, decrypted; each meeting's occurrence overrides, decrypted),
 *   the queued jobs whose payload names the user (on PostgreSQL in pg-boss's tables too) and the
 *   pending claims challenge, and nothing of anyone else;
 * - a tenant export (admin API and `roomlink export tenant`) holds the tenant's settings, every
 *   user's export (signed-out users' too), meetings whose organiser has no user row any more, and
 *   the tenant's whole audit log, across pages, and nothing of another tenant; it is audit-logged.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { RETENTION_EXIT, registerRetentionCommands } from '../src/cli/retention-commands.js';
import { loadConfig } from '../src/config/config.js';
import { sealOverride } from '../src/domain/sync/occurrences.js';
import { pgBossSchemaFor } from '../src/graph/index.js';
import { JOB, JOB_KINDS } from '../src/graph/sync-worker.js';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { TENANT_EXPORT_FORMAT, type UserExport } from '../src/retention/subject-requests.js';
import {
  type AdminTestApp,
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  insertTokens,
  startAdminApp,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';

const T = 't-exp';
const OTHER = 't-exp-other';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`complete exports on ${label}`, () => {
    let t: AdminTestApp;
    let queue: PgBossJobQueue | undefined;
    const headers: Record<string, Record<string, string>> = {};
    const ids: Record<string, string> = {};
    const db = () => t.runtime.store.db;
    const seal = (tenantId: string, table: string, column: string, rowId: string, value: string) =>
      t.runtime.cipher.encrypt({ tenantId, table, column, rowId }, value);

    /** Calendar sync's records about a user and one of their meetings, as sync writes them. */
    async function syncRecords(tenantId: string, userId: string, meetingId: string): Promise<void> {
      const now = new Date().toISOString();
      await sql`insert into sync_users (user_id, tenant_id, status, subscription_id, client_state_hash,
          subscription_expires_at, delta_link_ct, delta_started_at, created_at, updated_at)
        values (${userId}, ${tenantId}, 'active', ${`sub-${userId}`}, ${`state-hash-${userId}`},
          '2026-10-01T00:00:00.000Z',
          ${await seal(tenantId, 'sync_users', 'delta_link', userId, `https://graph/delta?token=dl-${userId}`)},
          '2026-09-01T00:00:00.000Z', ${now}, ${now})`.execute(db());
      await sql`insert into sync_events (meeting_id, tenant_id, user_id, event_hash, event_id_ct, kind,
          version_ct, updated_at)
        values (${meetingId}, ${tenantId}, ${userId}, ${`hash-${userId}`},
          ${await seal(tenantId, 'sync_events', 'event_id', meetingId, `AAMk-event-${userId}`)}, 'series',
          ${await seal(tenantId, 'sync_events', 'version', meetingId, JSON.stringify({ lastModified: '2026-09-02T08:00:00Z', changeKey: `ck-${userId}` }))},
          ${now})`.execute(db());
      const o = await sealOverride(t.runtime.cipher, tenantId, meetingId, {
        originalStart: new Date('2026-09-14T09:00:00Z'),
        originalEnd: new Date('2026-09-14T10:00:00Z'),
        start: new Date('2026-09-15T13:00:00Z'),
        end: new Date('2026-09-15T14:00:00Z'),
        cancelled: false,
      });
      await sql`insert into sync_occurrences (meeting_id, tenant_id, occurrence_key, window_ct, updated_at)
        values (${meetingId}, ${tenantId}, ${o.occurrenceKey}, ${o.windowCt}, ${now})`.execute(db());
      await sql`insert into jobs (kind, payload, dedupe_key, status, attempts, max_attempts, run_at,
          locked_by, last_error, created_at, updated_at)
        values (${JOB.change}, ${JSON.stringify({ userId, eventId: `AAMk-job-${userId}` })}, null, 'ready',
          0, 8, ${now}, null, null, ${now}, ${now})`.execute(db());
    }

    async function series(tenantId: string, userId: string, subject: string): Promise<string> {
      const { meeting } = await t.runtime.meetings.create({ tenantId, userId, isTenantAdmin: false }, {
        subject,
        start: new Date('2026-09-07T09:00:00Z'),
        end: new Date('2026-09-07T10:00:00Z'),
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
          range: { type: 'endDate', startDate: '2026-09-07', endDate: '2026-12-28' },
        },
        timeZone: 'UTC',
        options: {},
      } as never);
      return meeting.id;
    }

    beforeAll(async () => {
      t = await startAdminApp(dialect);
      const origin = t.runtime.config.baseUrl.origin;
      for (const [tenant, user, isAdmin, name] of [
        [T, 'x-admin', true, 'Xena Admin'],
        [T, 'x-subject', false, 'Sam Subject'],
        [T, 'x-bystander', false, 'Bo Bystander'],
        [OTHER, 'y-admin', true, 'Yara Otheradmin'],
        [OTHER, 'y-user', false, 'Yuri Elsewhere'],
      ] as const) {
        await insertNamedUser(t.runtime, tenant, user, { isAdmin, name });
        headers[user] = {
          cookie: `roomlink_session=${await insertBrowserSession(t.runtime, tenant, user)}`,
          origin,
        };
      }
      await insertNamedUser(t.runtime, T, 'x-gone', { name: 'Gil Signedout', status: 'signed_out' });
      await insertTokens(t.runtime, T, 'x-subject');
      ids.single = await createMeeting(t.runtime, T, 'x-subject', 'Sam’s one-to-one');
      ids.series = await series(T, 'x-subject', 'Sam’s weekly');
      ids.bystander = await series(T, 'x-bystander', 'Bo’s weekly');
      ids.gone = await createMeeting(t.runtime, T, 'x-gone', 'Gil’s leftover');
      ids.elsewhere = await createMeeting(t.runtime, OTHER, 'y-user', 'Yuri’s board');
      // A meeting whose organiser's user row is gone (nobody's user export holds it).
      await insertNamedUser(t.runtime, T, 'x-ghost', { name: 'Gus Ghost' });
      ids.orphan = await createMeeting(t.runtime, T, 'x-ghost', 'Gus’s orphan');
      await db().deleteFrom('users').where('id', '=', 'x-ghost').execute();
      await syncRecords(T, 'x-subject', ids.series);
      await syncRecords(T, 'x-bystander', ids.bystander);
      await syncRecords(OTHER, 'y-user', ids.elsewhere);
      await db()
        .updateTable('users')
        .set({ pending_claims: 'claims-of-sam' })
        .where('id', '=', 'x-subject')
        .execute();
      if (dialect === 'postgres') {
        // Calendar sync's queue as the product runs it on PostgreSQL (not started: jobs wait).
        queue = new PgBossJobQueue({
          connectionString: t.database.url,
          schema: pgBossSchemaFor(t.database.url),
          kinds: JOB_KINDS,
        });
        await queue.ready();
        await queue.enqueue([
          { kind: JOB.change, payload: { userId: 'x-subject', eventId: 'AAMk-boss-x-subject' } },
          { kind: JOB.change, payload: { userId: 'x-bystander', eventId: 'AAMk-boss-x-bystander' } },
        ]);
      }
    });
    afterAll(async () => {
      await queue?.stop();
      await t?.close();
    });

    const get = (url: string, as: string) => t.app.inject({ method: 'GET', url, headers: headers[as] });

    async function cli(...args: string[]): Promise<{ out: string; err: string }> {
      const program = new Command('roomlink').exitOverride();
      let out = '';
      let err = '';
      registerRetentionCommands(program, () => loadConfig({ ...t.env, LOG_LEVEL: 'silent' }), {
        out: (s) => {
          out += s;
        },
        err: (s) => {
          err += s;
        },
      });
      await program.parseAsync(['node', 'roomlink', ...args]);
      return { out, err };
    }

    /** What a user export must hold about Sam, whichever way it is asked for. */
    function expectSamComplete(data: Omit<UserExport, 'format' | 'exportedAt' | 'audit'>): void {
      expect(data.user.pendingClaims).toBe('claims-of-sam');
      const weekly = data.meetings.find((m) => m.id === ids.series);
      expect(weekly).toMatchObject({ subject: 'Sam’s weekly' });
      expect(weekly?.occurrences).toEqual([
        {
          originalStart: '2026-09-14T09:00:00.000Z',
          originalEnd: '2026-09-14T10:00:00.000Z',
          start: '2026-09-15T13:00:00.000Z',
          end: '2026-09-15T14:00:00.000Z',
          cancelled: false,
          updatedAt: expect.any(String),
        },
      ]);
      expect(data.meetings.find((m) => m.id === ids.single)?.occurrences).toEqual([]);
      expect(data.calendarSync.mailbox).toMatchObject({
        status: 'active',
        subscription: { id: 'sub-x-subject', expiresAt: '2026-10-01T00:00:00.000Z', clientStateHeld: true },
        deltaLink: { held: true, startedAt: '2026-09-01T00:00:00.000Z' },
      });
      expect(data.calendarSync.events).toEqual([
        {
          meetingId: ids.series,
          kind: 'series',
          eventId: 'AAMk-event-x-subject',
          appliedVersion: { lastModified: '2026-09-02T08:00:00Z', changeKey: 'ck-x-subject' },
          updatedAt: expect.any(String),
        },
      ]);
      // The embedded queue's table on both dialects; pg-boss's table on PostgreSQL.
      const jobs = data.queuedJobs.jobs;
      expect(data.queuedJobs.count).toBe(dialect === 'postgres' ? 2 : 1);
      expect(jobs).toHaveLength(data.queuedJobs.count);
      for (const job of jobs) {
        expect(job).toEqual({ kind: JOB.change, status: expect.any(String), createdAt: expect.any(String) });
        expect(Number.isNaN(Date.parse(job.createdAt))).toBe(false);
      }
      expect(data.otherRecords).toEqual({});
      // Secrets stay out: the delta link and the client state, and of course the token.
      const text = JSON.stringify(data);
      for (const secret of ['dl-x-subject', 'state-hash-x-subject', 'refresh-x-subject']) {
        expect(text).not.toContain(secret);
      }
      // Nothing about anyone else.
      for (const other of ['x-bystander', 'Bo’s weekly', ids.bystander, 'y-user', ids.elsewhere]) {
        expect(text).not.toContain(other);
      }
    }

    it('exports calendar sync’s records, queued jobs and pending claims of a user (admin API and CLI)', async () => {
      const r = await get('/api/v1/admin/users/x-subject/export', 'x-admin');
      expect(r.statusCode).toBe(200);
      expectSamComplete(r.json());
      expectSamComplete(JSON.parse((await cli('export', 'user', 'x-subject')).out));
    });

    it('exports the admin’s whole tenant as a download, audit-logged, nothing of another tenant', async () => {
      // Entries sharing one timestamp across the export's audit pages (200 a page).
      const at = new Date();
      for (let i = 0; i < 205; i++) {
        await t.runtime.store.audit.append(
          { tenantId: T, actorId: null, action: 'data.purged', details: { meetings: i } },
          at,
        );
      }
      expect((await get('/api/v1/admin/export', 'x-subject')).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/export' })).statusCode).toBe(401);

      const r = await get('/api/v1/admin/export', 'x-admin');
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-disposition']).toBe(`attachment; filename="roomlink-tenant-${T}.json"`);
      expect(r.headers['cache-control']).toBe('no-store');
      const data = r.json();
      expect(data).toMatchObject({ format: TENANT_EXPORT_FORMAT, tenant: { id: T, contractEnd: null } });
      expect(typeof data.tenant.settings).toBe('object');
      const users = data.users as Omit<UserExport, 'format' | 'exportedAt' | 'audit'>[];
      expect(users.map((u) => u.user.id).sort()).toEqual(['x-admin', 'x-bystander', 'x-gone', 'x-subject']);
      const sam = users.find((u) => u.user.id === 'x-subject');
      expect(sam?.meetings.map((m) => m.id).sort()).toEqual([ids.single, ids.series].sort());
      expect(sam?.calendarSync.events.map((e) => ('eventId' in e ? e.eventId : null))).toEqual([
        'AAMk-event-x-subject',
      ]);
      expect(sam?.user.name).toBe('Sam Subject');
      const gil = users.find((u) => u.user.id === 'x-gone');
      expect(gil?.user.status).toBe('signed_out');
      expect(gil?.meetings.map((m) => ('subject' in m ? m.subject : null))).toEqual(['Gil’s leftover']);
      expect(data.meetingsWithoutUser.map((m: { subject: string }) => m.subject)).toEqual(['Gus’s orphan']);

      const audit = data.audit as { id: string; action: string; details: unknown }[];
      expect(new Set(audit.map((a) => a.id)).size).toBe(audit.length);
      expect(audit.filter((a) => a.action === 'data.purged')).toHaveLength(205);
      const own = audit.find((a) => a.action === 'tenant.exported');
      expect(own).toMatchObject({ details: { users: 4, meetings: 5 } });
      const logged = await db()
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'tenant.exported')
        .where('tenant_id', '=', T)
        .execute();
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ actor_id: 'x-admin', target_type: 'tenant', target_id: T });

      // The console offers it beside the users.
      const page = await get('/admin', 'x-admin');
      expect(page.body).toMatch(/<a [^>]*id="export-tenant"[^>]*href="\/api\/v1\/admin\/export"/);

      for (const other of [OTHER, 'y-user', 'Yuri', ids.elsewhere, 'AAMk-event-y-user']) {
        expect(r.body).not.toContain(other);
      }
      // The other tenant's admin gets their own tenant only.
      const theirs = (await get('/api/v1/admin/export', 'y-admin')).json();
      expect(theirs.users.map((u: { user: { id: string } }) => u.user.id).sort()).toEqual([
        'y-admin',
        'y-user',
      ]);
    });

    it('exports a tenant from the command line, to stdout or a new owner-only file', async () => {
      // More users than one page holds.
      for (let i = 0; i < 201; i++) {
        await insertNamedUser(t.runtime, 't-exp-big', `big-${String(i).padStart(3, '0')}`);
      }
      const stdout = JSON.parse((await cli('export', 'tenant', 't-exp-big')).out);
      expect(stdout.format).toBe(TENANT_EXPORT_FORMAT);
      expect(stdout.users).toHaveLength(201);
      expect(new Set(stdout.users.map((u: { user: { id: string } }) => u.user.id)).size).toBe(201);

      const out = path.join(t.database.dir, 'tenant-export.json');
      const written = await cli('export', 'tenant', T, '--out', out);
      expect(written.out).toBe('');
      expect(written.err).toContain(`wrote ${out}`);
      expect((await stat(out)).mode & 0o777).toBe(0o600);
      const data = JSON.parse(await readFile(out, 'utf8'));
      expect(data.tenant.id).toBe(T);
      expect(data.users.map((u: { user: { id: string } }) => u.user.id)).toContain('x-subject');
      const logged = await db()
        .selectFrom('audit_log')
        .select('actor_id')
        .where('action', '=', 'tenant.exported')
        .where('tenant_id', '=', T)
        .where('actor_id', '=', 'cli')
        .execute();
      expect(logged).toHaveLength(1);

      // Never over an existing file; an unknown tenant is "not found" and leaves no file behind.
      const existing = path.join(t.database.dir, 'existing.json');
      await writeFile(existing, 'keep\n');
      await expect(cli('export', 'tenant', T, '--out', existing)).rejects.toMatchObject({
        exitCode: EXIT.usage,
      });
      const nowhere = path.join(t.database.dir, 'nobody.json');
      await expect(cli('export', 'tenant', 'no-such-tenant', '--out', nowhere)).rejects.toMatchObject({
        exitCode: RETENTION_EXIT.notFound,
      });
      await expect(stat(nowhere)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
}
