/**
 * Retention covers calendar sync's data, on both dialects, through the product's retention feature
 * (retention/feature.ts) with a recording stand-in for calendar sync's stopSyncForUser:
 * - a purged meeting takes sync's rows about it (sync_events link, sync_occurrences) with it;
 * - erasing a user, and offboarding a tenant, stop the users' sync first and leave no sync_users
 *   row and no queued job naming them;
 * - the job queue keeps no payload about a user sync no longer knows, nor old dead letters (on
 *   PostgreSQL also in pg-boss's own tables, where the product's queue keeps them);
 * - the admin console's users list shows each user's sync status from sync_users.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonthsClamped } from '../src/domain/meetings/window.js';
import { pgBossSchemaFor } from '../src/graph/index.js';
import { JOB, JOB_KINDS } from '../src/graph/sync-worker.js';
import { sessionAuthenticator } from '../src/identity/authenticator.js';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { type RetentionFeature, retentionFeature } from '../src/retention/feature.js';
import {
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  rowsOfTenant,
  SILENT,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { insertTokens } from './support/sessions.js';

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`retention of calendar sync data on ${label}`, () => {
    let t: TestApp;
    let feature: RetentionFeature;
    const stopped: string[] = [];
    const db = () => t.runtime.store.db;

    beforeAll(async () => {
      t = await startTestApp(dialect, {
        realBaseUrl: true,
        features: async (runtime) => {
          feature = retentionFeature(runtime, {
            logger: SILENT,
            stopSyncForUser: async (userId) => {
              stopped.push(userId);
              // As calendar sync does: its record of the user goes (the subscription at Graph too).
              await sql`delete from sync_events where user_id = ${userId}`.execute(runtime.store.db);
              await sql`delete from sync_users where user_id = ${userId}`.execute(runtime.store.db);
            },
          });
          return {
            authenticate: sessionAuthenticator(runtime.store.authFlow, runtime.config.baseUrl),
            plugins: feature.plugins,
          };
        },
      });
    });
    afterAll(async () => t?.close());

    async function syncUser(
      tenantId: string,
      userId: string,
      status = 'active',
      lastChangeAt: string | null = null,
    ): Promise<void> {
      const now = new Date().toISOString();
      await sql`insert into sync_users (user_id, tenant_id, status, subscription_id, last_change_at,
          created_at, updated_at)
        values (${userId}, ${tenantId}, ${status}, ${`sub-${userId}`}, ${lastChangeAt}, ${now}, ${now})`.execute(
        db(),
      );
      // Sync acts for the user with their tokens.
      await insertTokens(t.runtime.store, tenantId, userId);
    }
    async function link(tenantId: string, userId: string, meetingId: string): Promise<void> {
      const now = new Date().toISOString();
      await sql`insert into sync_events (meeting_id, tenant_id, user_id, event_hash, event_id_ct, kind,
          version_ct, updated_at)
        values (${meetingId}, ${tenantId}, ${userId}, ${`hash-${meetingId}`}, 'ct', 'series', 'ct', ${now})`.execute(
        db(),
      );
      await sql`insert into sync_occurrences (meeting_id, tenant_id, occurrence_key, window_ct, updated_at)
        values (${meetingId}, ${tenantId}, ${`occ-${meetingId}`}, 'ct', ${now})`.execute(db());
    }
    let jobSeq = 0;
    /** A job row as the queue writes them; returns its id (the row id, as the queue hands it out). */
    async function job(userId: string | null, status = 'ready', updatedAt = new Date()): Promise<string> {
      const name = `job-${dialect}-${++jobSeq}`;
      const at = updatedAt.toISOString();
      const payload = JSON.stringify(userId ? { userId, eventId: `AAMk-${name}` } : { sweep: true });
      const { rows } = await sql<{ id: string | number }>`insert into jobs (kind, payload, dedupe_key, status,
          attempts, max_attempts, run_at, locked_by, last_error, created_at, updated_at)
        values ('sync.change', ${payload}, null, ${status}, 1, 8, ${at}, null, null, ${at}, ${at})
        returning id`.execute(db());
      return String(rows[0]?.id);
    }
    const count = async (table: string, column: string, value: string) =>
      Number(
        (
          await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)}
            where ${sql.ref(column)} = ${value}`.execute(db())
        ).rows[0]?.n,
      );
    const jobIds = async () =>
      (await sql<{ id: string | number }>`select id from jobs order by id`.execute(db())).rows.map((r) =>
        String(r.id),
      );

    it('purges sync’s links and occurrences with the meeting they are about, and nothing else', async () => {
      await insertNamedUser(t.runtime, 't-m', 'm-user');
      await syncUser('t-m', 'm-user');
      const end = new Date('2027-01-10T10:00:00Z');
      const old = await createMeeting(t.runtime, 't-m', 'm-user', 'Synced old meeting', end);
      const kept = await createMeeting(
        t.runtime,
        't-m',
        'm-user',
        'Synced later meeting',
        new Date(end.getTime() + 30 * DAY),
      );
      await link('t-m', 'm-user', old);
      await link('t-m', 'm-user', kept);

      const report = await feature.retention.job.run(new Date(addMonthsClamped(end, 3).getTime() + DAY));
      expect(report.meetingsPurged).toBe(1);
      for (const table of ['sync_events', 'sync_occurrences']) {
        expect(await count(table, 'meeting_id', old)).toBe(0);
        expect(await count(table, 'meeting_id', kept)).toBe(1);
      }
      expect(await count('sync_users', 'user_id', 'm-user')).toBe(1);
    });

    it('erasing a user stops their sync and leaves no sync row or job about them', async () => {
      await insertNamedUser(t.runtime, 't-e', 'e-admin', { isAdmin: true });
      await insertNamedUser(t.runtime, 't-e', 'e-gone');
      await insertNamedUser(t.runtime, 't-e', 'e-stays');
      await syncUser('t-e', 'e-gone');
      await syncUser('t-e', 'e-stays');
      const m = await createMeeting(t.runtime, 't-e', 'e-gone', 'Erased user’s meeting');
      await link('t-e', 'e-gone', m);
      const goneJob = await job('e-gone');
      const deadJob = await job('e-gone', 'dead');
      const staysJob = await job('e-stays');

      await feature.retention.subjects.erase('e-gone', { actor: 'e-admin', tenantId: 't-e' });
      expect(stopped).toContain('e-gone');
      expect(stopped).not.toContain('e-stays');
      expect(await count('sync_users', 'user_id', 'e-gone')).toBe(0);
      expect(await count('sync_events', 'user_id', 'e-gone')).toBe(0);
      expect(await count('sync_occurrences', 'meeting_id', m)).toBe(0);
      const jobs = await jobIds();
      expect(jobs).not.toContain(goneJob);
      expect(jobs).not.toContain(deadJob);
      expect(jobs).toContain(staysJob);
      expect(await count('sync_users', 'user_id', 'e-stays')).toBe(1);
    });

    it('offboarding stops every user’s sync before the tenant’s rows and key go', async () => {
      await insertNamedUser(t.runtime, 't-off', 'off-1');
      await insertNamedUser(t.runtime, 't-off', 'off-2');
      await syncUser('t-off', 'off-1');
      await syncUser('t-off', 'off-2', 'needs_sign_in');
      const m = await createMeeting(t.runtime, 't-off', 'off-1', 'Offboarded tenant’s meeting');
      await link('t-off', 'off-1', m);
      const offJob = await job('off-2');
      await feature.retention.offboarding.schedule('t-off', '2027-01-31', { actor: 'cli', allowPast: true });

      const report = await feature.retention.job.run(new Date('2027-08-01T00:00:00Z'));
      expect(report.tenantsDestroyed).toContain('t-off');
      expect(stopped).toEqual(expect.arrayContaining(['off-1', 'off-2']));
      const left = await rowsOfTenant(t.runtime, 't-off');
      expect(Object.entries(left).filter(([, n]) => n > 0)).toEqual([]);
      expect(await jobIds()).not.toContain(offJob);
    });

    it('sweeps jobs about users sync no longer knows and old dead letters, not live ones', async () => {
      await insertNamedUser(t.runtime, 't-j', 'j-live');
      await syncUser('t-j', 'j-live');
      const asOf = new Date();
      const unknown = await job('j-nobody');
      const oldDead = await job('j-live', 'dead', new Date(asOf.getTime() - 8 * DAY));
      const freshDead = await job('j-live', 'dead', new Date(asOf.getTime() - 1 * DAY));
      const live = await job('j-live');
      const running = await job('j-nobody', 'running');
      const anonymous = await job(null);

      const report = await feature.retention.job.run(asOf);
      expect(report.extra.sync_jobs).toBeGreaterThanOrEqual(2);
      const jobs = await jobIds();
      expect(jobs).not.toContain(unknown);
      expect(jobs).not.toContain(oldDead);
      expect(jobs).toEqual(expect.arrayContaining([freshDead, live, running, anonymous]));
      // Counted in the audit log, as every purge.
      const audits = await db()
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'data.purged')
        .execute();
      expect(audits.some((a) => (JSON.parse(a.details) as { reason?: string }).reason === 'sync_jobs')).toBe(
        true,
      );
    });

    it('shows each user’s calendar sync status in the admin console', async () => {
      await insertNamedUser(t.runtime, 't-s', 's-admin', { isAdmin: true });
      await insertNamedUser(t.runtime, 't-s', 's-sync');
      await insertNamedUser(t.runtime, 't-s', 's-needs', { status: 'needs_sign_in' });
      await insertNamedUser(t.runtime, 't-s', 's-off');
      await syncUser('t-s', 's-sync', 'active', '2027-03-01T09:30:00.000Z');
      await syncUser('t-s', 's-needs', 'needs_sign_in');
      const session = await insertBrowserSession(t.runtime, 't-s', 's-admin');
      const response = await fetch(`${t.url}/api/v1/admin/users`, {
        headers: { cookie: `roomlink_session=${session}` },
      });
      expect(response.status).toBe(200);
      const { users } = (await response.json()) as {
        users: { id: string; status: string; sync: { status: string; lastChangeAt: string | null } }[];
      };
      const of = (id: string) => users.find((u) => u.id === id);
      expect(of('s-sync')?.sync).toEqual({
        status: 'syncing',
        lastChangeAt: '2027-03-01T09:30:00.000Z',
        lastReconciledAt: null,
      });
      expect(of('s-needs')?.status).toBe('needs_sign_in');
      expect(of('s-needs')?.sync.status).toBe('needs_sign_in');
      expect(of('s-off')?.sync).toEqual({ status: 'off', lastChangeAt: null, lastReconciledAt: null });
    });

    it.skipIf(dialect !== 'postgres')(
      'reaches the payloads in pg-boss’s tables on PostgreSQL: erasure, unknown users, old dead letters',
      async () => {
        // Calendar sync's queue as the product runs it on PostgreSQL (not started: jobs wait).
        const schema = pgBossSchemaFor(t.database.url);
        const queue = new PgBossJobQueue({ connectionString: t.database.url, schema, kinds: JOB_KINDS });
        try {
          await queue.ready();
          await insertNamedUser(t.runtime, 't-pb', 'pb-admin', { isAdmin: true });
          await insertNamedUser(t.runtime, 't-pb', 'pb-gone');
          await insertNamedUser(t.runtime, 't-pb', 'pb-stays');
          await syncUser('t-pb', 'pb-gone');
          await syncUser('t-pb', 'pb-stays');
          const change = (userId: string, eventId: string) => ({
            kind: JOB.change,
            payload: { userId, eventId },
          });
          await queue.enqueue([
            change('pb-gone', 'AAMk-gone'),
            change('pb-stays', 'AAMk-stays'),
            change('pb-nobody', 'AAMk-nobody'),
          ]);
          // Dead letters as pg-boss writes them when retries run out: the failed job's payload.
          const dead = sql.table(`${schema}.job`);
          const deadLetter = (userId: string, daysAgo: number) =>
            sql`insert into ${dead} (name, data, created_on)
              values (${`${JOB.change}__dead`}, ${JSON.stringify({ userId, eventId: `AAMk-dead-${daysAgo}` })}::jsonb,
                now() - ${`${daysAgo} days`}::interval)`.execute(db());
          await deadLetter('pb-gone', 1);
          await deadLetter('pb-stays', 8);
          await deadLetter('pb-stays', 1);
          const payloads = async () =>
            (
              await sql<{ data: { userId: string; eventId: string } }>`select data from ${dead}
                where data ->> 'userId' is not null`.execute(db())
            ).rows.map((r) => `${r.data.userId}:${r.data.eventId}`);

          await feature.retention.subjects.erase('pb-gone', { actor: 'pb-admin', tenantId: 't-pb' });
          expect((await payloads()).filter((p) => p.startsWith('pb-gone:'))).toEqual([]);

          await feature.retention.job.run(new Date());
          expect((await payloads()).sort()).toEqual(['pb-stays:AAMk-dead-1', 'pb-stays:AAMk-stays']);
        } finally {
          await queue.stop();
        }
      },
    );
  });
}
