/**
 * Exports hold what Roomlink keeps in clear about each meeting besides its encrypted values
 * (docs/privacy.md): its organiser, its provider, the day retention deletes it (`purgeOn`) and, for
 * a series with no end, the day calendar sync last saw it (`seriesSeenOn`), also for a meeting that
 * no longer decrypts; and a tenant export holds the retention period last applied to the tenant's
 * meetings (`tenant.retentionApplied`). Over real HTTP on both dialects, and through the layer the
 * CLI's `roomlink export tenant` shares.
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

const T = 't-bookkeeping';

type Exported = {
  id: string;
  organizerId: string;
  provider: string;
  purgeOn: string;
  seriesSeenOn: string | null;
  unreadable?: true;
  subject?: string;
};

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`exported meeting bookkeeping on ${label}`, () => {
    let t: AdminTestApp;
    let cookie: string;
    const ids: Record<string, string> = {};
    const db = () => t.runtime.store.db;

    beforeAll(async () => {
      t = await startAdminApp(dialect);
      await insertNamedUser(t.runtime, T, 'k-admin', { isAdmin: true });
      await insertNamedUser(t.runtime, T, 'k-user', { name: 'Kim User' });
      await insertNamedUser(t.runtime, T, 'k-gone');
      ids.plain = await createMeeting(t.runtime, T, 'k-user', 'Kim’s plain meeting');
      ids.seen = await createMeeting(t.runtime, T, 'k-user', 'Kim’s open series');
      ids.broken = await createMeeting(t.runtime, T, 'k-user', 'Kim’s damaged meeting');
      ids.orphan = await createMeeting(t.runtime, T, 'k-gone', 'An orphan');
      await db()
        .updateTable('meetings')
        .set({ series_seen_on: '2026-03-02' })
        .where('id', '=', ids.seen)
        .execute();
      await db()
        .updateTable('meetings')
        .set({ subject_ct: 'v1.garbage' })
        .where('id', '=', ids.broken)
        .execute();
      await db().deleteFrom('users').where('id', '=', 'k-gone').execute();
      cookie = `roomlink_session=${await insertBrowserSession(t.runtime, T, 'k-admin')}`;
    });
    afterAll(async () => t?.close());

    const purgeDays = async () =>
      new Map(
        (
          await db().selectFrom('meetings').select(['id', 'purge_after']).where('tenant_id', '=', T).execute()
        ).map((r) => [r.id, r.purge_after]),
      );

    function expectBookkeeping(meetings: Exported[], purge: Map<string, string>, organizer: string): void {
      expect(meetings.length).toBeGreaterThan(0);
      for (const m of meetings) {
        expect(m, m.id).toMatchObject({
          organizerId: organizer,
          provider: 'builtin',
          purgeOn: purge.get(m.id),
          seriesSeenOn: m.id === ids.seen ? '2026-03-02' : null,
        });
        expect(m.purgeOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }

    it('exports each meeting’s organiser, provider, purge day and last-seen day, unreadable ones too', async () => {
      const purge = await purgeDays();
      const r = await fetch(`${t.url}/api/v1/admin/users/k-user/export`, { headers: { cookie } });
      expect(r.status).toBe(200);
      const meetings = ((await r.json()) as { meetings: Exported[] }).meetings;
      expect(meetings.map((m) => m.id).sort()).toEqual([ids.plain, ids.seen, ids.broken].sort());
      expectBookkeeping(meetings, purge, 'k-user');
      expect(meetings.find((m) => m.id === ids.broken)).toMatchObject({ unreadable: true });
      expect(meetings.find((m) => m.id === ids.plain)?.subject).toBe('Kim’s plain meeting');
    });

    it('exports them in the tenant export, with the retention period last applied to the tenant', async () => {
      const purge = await purgeDays();
      const read = async () => {
        const r = await fetch(`${t.url}/api/v1/admin/export`, { headers: { cookie } });
        expect(r.status).toBe(200);
        return (await r.json()) as {
          tenant: { retentionApplied: unknown };
          users: { user: { id: string }; meetings: Exported[] }[];
          meetingsWithoutUser: Exported[];
        };
      };
      const before = await read();
      expect(before.tenant.retentionApplied).toBeNull();
      expectBookkeeping(before.users.find((u) => u.user.id === 'k-user')?.meetings ?? [], purge, 'k-user');
      expectBookkeeping(before.meetingsWithoutUser, purge, 'k-gone');

      // What retention records once it has applied a shortened period to the tenant's meetings.
      await sql`insert into tenant_retention (tenant_id, applied_days, applied_at)
        values (${T}, 30, '2026-03-03T04:00:00.000Z')`.execute(db());
      const after = await read();
      expect(after.tenant.retentionApplied).toEqual({ days: 30, appliedAt: '2026-03-03T04:00:00.000Z' });

      // The CLI's `roomlink export tenant` reads the same chunks.
      let text = '';
      for await (const chunk of await t.retention.subjects.exportTenant(T, { actor: 'cli' })) text += chunk;
      const cli = JSON.parse(text) as typeof after;
      expect(cli.tenant.retentionApplied).toEqual({ days: 30, appliedAt: '2026-03-03T04:00:00.000Z' });
      expectBookkeeping(cli.meetingsWithoutUser, purge, 'k-gone');
    });
  });
}
