/**
 * Deleting a meeting deletes its metadata now: the meeting, what other tables hold about it (calendar
 * sync's rows) and its audit trail. Retention finds such rows through the meeting row, so whatever a
 * delete left behind would stay for good.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';
import { insertUser } from './support/sessions.js';

const alice = sessionHeader('tenant-del', 'alice');
const meeting = {
  subject: 'Board meeting',
  ...daysFromNow(40),
  idempotencyKey: 'outlook-item-delete',
};

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`DELETE /api/v1/meetings/{id} on ${label}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(dialect);
    });
    afterAll(async () => t?.close());
    const count = async (query: string, id: string) =>
      Number(
        (
          (await sql.raw(query.replace('$id', `'${id}'`)).execute(t.runtime.store.db)).rows[0] as {
            n: unknown;
          }
        ).n,
      );

    it('deletes what calendar sync holds about the meeting and its audit trail, and records the deletion as a count', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: alice,
        payload: meeting,
      });
      expect(created.statusCode).toBe(201);
      const id = created.json().id as string;
      const db = t.runtime.store.db;
      const now = new Date().toISOString();
      // What calendar sync writes for a linked series with a moved occurrence.
      await insertUser(t.runtime.store, 'tenant-del', 'alice');
      await sql`insert into sync_users (user_id, tenant_id, status, created_at, updated_at)
        values ('alice', 'tenant-del', 'active', ${now}, ${now})`.execute(db);
      await sql`insert into sync_events (meeting_id, tenant_id, user_id, event_hash, event_id_ct, kind, version_ct, updated_at)
        values (${id}, 'tenant-del', 'alice', 'h', 'ct', 'series', 'ct', ${now})`.execute(db);
      await sql`insert into sync_occurrences (meeting_id, tenant_id, occurrence_key, window_ct, updated_at)
        values (${id}, 'tenant-del', 'k', 'v1.x', ${now})`.execute(db);
      const updated = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/meetings/${id}`,
        headers: alice,
        payload: { subject: 'Board meeting (moved)' },
      });
      expect(updated.statusCode).toBe(200);
      expect(await count('select count(*) as n from audit_log where target_id = $id', id)).toBe(2);

      const deleted = await t.app.inject({ method: 'DELETE', url: `/api/v1/meetings/${id}`, headers: alice });
      expect(deleted.statusCode).toBe(204);

      expect(await count('select count(*) as n from meetings where id = $id', id)).toBe(0);
      expect(await count('select count(*) as n from sync_events where meeting_id = $id', id)).toBe(0);
      expect(await count('select count(*) as n from sync_occurrences where meeting_id = $id', id)).toBe(0);
      expect(await count('select count(*) as n from audit_log where target_id = $id', id)).toBe(0);
      const entries = await t.runtime.store.audit.list('tenant-del', { limit: 10 });
      expect(entries.find((e) => e.action === 'meeting.deleted')).toMatchObject({
        actorId: 'alice',
        details: { meetings: 1 },
      });
      // The user's own sync state is not the meeting's: it stays.
      expect(
        await count("select count(*) as n from sync_users where user_id = 'alice' and tenant_id <> $id", id),
      ).toBe(1);
    });

    it('deletes nothing of another tenant’s meeting', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: alice,
        payload: { ...meeting, idempotencyKey: 'outlook-item-kept' },
      });
      const id = created.json().id as string;
      const mallory = sessionHeader('tenant-other', 'mallory');
      const refused = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/meetings/${id}`,
        headers: mallory,
      });
      expect(refused.statusCode).toBe(404);
      expect(await count('select count(*) as n from meetings where id = $id', id)).toBe(1);
      expect(await count('select count(*) as n from audit_log where target_id = $id', id)).toBe(1);
    });
  });
}
