/** The same store suite on every dialect (SQLite always; PostgreSQL in CI). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredMeeting } from '../src/domain/meetings/meeting.js';
import { openStore } from '../src/store/kysely-store.js';
import { auditCursor } from '../src/store/repositories/audit.js';
import { KyselyRetentionRepository } from '../src/store/repositories/retention.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { storedMeeting } from './support/stored-meeting.js';

const now = new Date('2026-11-28T10:00:00Z');

function meeting(overrides: Partial<StoredMeeting> = {}): StoredMeeting {
  return storedMeeting(now, overrides);
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`store on ${label}`, () => {
    let database: TestDatabase;
    let store: Awaited<ReturnType<typeof openStore>>;

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      store = await openStore(database.url);
      await store.tenants.ensure('tenant-a', now);
      await store.tenants.ensure('tenant-b', now);
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    it('reports its dialect and answers ping', async () => {
      expect(store.dialect).toBe(dialect);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('migrations are idempotent', async () => {
      const again = await openStore(database.url);
      await again.close();
      expect((await store.tenants.find('tenant-a'))?.settings.pinLength).toBe(6);
    });

    it('indexes meetings without the redundant tenant index (migration 0005)', async () => {
      const { sql } = await import('kysely');
      const names =
        dialect === 'sqlite'
          ? await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'index' and tbl_name = 'meetings' and sql is not null`.execute(
              store.db,
            )
          : await sql<{
              name: string;
            }>`select indexname as name from pg_indexes where tablename = 'meetings' and schemaname = current_schema()`.execute(
              store.db,
            );
      const indexes = names.rows.map((r) => r.name);
      expect(indexes).toContain('meetings_idempotency');
      expect(indexes).not.toContain('meetings_tenant');
      if (dialect === 'sqlite') {
        // The organizer's meetings are still found through an index, not a scan of the table.
        const plan = await sql<{
          detail: string;
        }>`explain query plan select id from meetings where tenant_id = 'tenant-a' and organizer_id = 'user-1'`.execute(
          store.db,
        );
        expect(plan.rows.map((r) => r.detail).join(' ')).toMatch(
          /USING (COVERING )?INDEX meetings_idempotency/,
        );
      }
    });

    it("finds the rooms an engine knows by its meeting ids, in any tenant, through the engine's index", async () => {
      const first = meeting({ provider: 'bigbluebutton', providerRef: 'rl-first' });
      const second = meeting({ tenantId: 'tenant-b', provider: 'bigbluebutton', providerRef: 'rl-second' });
      const elsewhere = meeting({ provider: 'other-engine', providerRef: 'rl-third' });
      for (const m of [first, second, elsewhere, meeting()])
        expect(await store.meetings.insert(m)).toBe('inserted');
      // A large engine's list: more ids than one query takes, most of them another deployment's.
      const refs = Array.from({ length: 1_200 }, (_, i) => `rl-unknown-${i}`);
      refs.splice(700, 0, 'rl-second', 'rl-third');
      refs.push('rl-first');
      const found = await store.meetings.findRoomsByProviderRefs('bigbluebutton', refs);
      expect(found.sort((a, b) => a.meetingId.localeCompare(b.meetingId))).toEqual(
        [first, second]
          .map((m) => ({ meetingId: m.id, slug: m.slug }))
          .sort((a, b) => a.meetingId.localeCompare(b.meetingId)),
      );
      expect(await store.meetings.findRoomsByProviderRefs('bigbluebutton', [])).toEqual([]);
      if (dialect === 'sqlite') {
        const { sql } = await import('kysely');
        const plan = await sql<{
          detail: string;
        }>`explain query plan select id, slug from meetings where provider = 'bigbluebutton' and provider_ref in ('rl-a', 'rl-b')`.execute(
          store.db,
        );
        expect(plan.rows.map((r) => r.detail).join(' ')).toMatch(/USING INDEX meetings_provider_ref/);
      }
    });

    it('tenants are created once with default settings and keep updated settings', async () => {
      const first = await store.tenants.ensure('tenant-a', now);
      await store.tenants.updateSettings('tenant-a', { ...first.settings, pinLength: 8 }, now);
      const again = await store.tenants.ensure('tenant-a', now);
      expect(again.settings.pinLength).toBe(8);
    });

    it('inserts, finds and deletes meetings scoped to their tenant', async () => {
      const m = meeting();
      expect(await store.meetings.insert(m)).toBe('inserted');
      expect(await store.meetings.findById('tenant-a', m.id)).toEqual(m);
      expect(await store.meetings.findById('tenant-b', m.id)).toBeUndefined();
      expect(await store.meetings.findBySlug(m.slug)).toEqual(m);
      expect(await store.meetings.delete('tenant-b', m.id)).toBe(false);
      expect(await store.meetings.delete('tenant-a', m.id)).toBe(true);
      expect(await store.meetings.findById('tenant-a', m.id)).toBeUndefined();
    });

    it('reports a conflict instead of throwing on a duplicate idempotency key, slug or conference id', async () => {
      const m = meeting({ idempotencyKey: 'outlook-item-1' });
      await store.meetings.insert(m);
      expect(await store.meetings.insert(meeting({ idempotencyKey: 'outlook-item-1' }))).toBe('conflict');
      expect(await store.meetings.insert(meeting({ slug: m.slug }))).toBe('conflict');
      expect(await store.meetings.insert(meeting({ conferenceId: m.conferenceId }))).toBe('conflict');
      // The same key under another organizer is another item.
      expect(
        await store.meetings.insert(meeting({ idempotencyKey: 'outlook-item-1', organizerId: 'user-2' })),
      ).toBe('inserted');
      expect((await store.meetings.findByIdempotencyKey('tenant-a', 'user-1', 'outlook-item-1'))?.id).toBe(
        m.id,
      );
    });

    it('updates optimistically: a stale version writes nothing', async () => {
      const m = meeting();
      await store.meetings.insert(m);
      expect(await store.meetings.update({ ...m, subjectCt: 'v1.k.new', version: 2 })).toBe(true);
      expect(await store.meetings.update({ ...m, subjectCt: 'v1.k.stale', version: 2 })).toBe(false);
      expect((await store.meetings.findById('tenant-a', m.id))?.subjectCt).toBe('v1.k.new');
    });

    it('confirms an open-ended series without a new version: a later day, a purge day never earlier', async () => {
      const m = meeting({ purgeAfter: '2028-04-03' });
      await store.meetings.insert(m);
      const confirm = (seriesSeenOn: string, purgeAfter: string, version = 1) =>
        store.meetings.confirmSeries({ tenantId: 'tenant-a', id: m.id, version, seriesSeenOn, purgeAfter });
      const stored = () => store.meetings.findById('tenant-a', m.id);
      expect((await stored())?.seriesSeenOn).toBeNull();
      expect(await confirm('2027-06-10', '2029-09-11', 2)).toBe(false); // another version
      expect(await confirm('2027-06-10', '2029-09-11')).toBe(true);
      expect(await stored()).toMatchObject({
        seriesSeenOn: '2027-06-10',
        purgeAfter: '2029-09-11',
        version: 1,
      });
      expect(await confirm('2027-06-10', '2029-12-31')).toBe(false); // not a later day
      expect(await confirm('2027-06-20', '2028-01-01')).toBe(true);
      expect(await stored()).toMatchObject({ seriesSeenOn: '2027-06-20', purgeAfter: '2029-09-11' });
      // An update that read the row before the confirmations (same version: they do not bump it)
      // does not write the older day back.
      await store.meetings.update({ ...m, status: 'cancelled', version: 2 });
      expect(await confirm('2027-07-01', '2029-10-02', 2)).toBe(false); // cancelled
      expect(await stored()).toMatchObject({
        status: 'cancelled',
        seriesSeenOn: '2027-06-20',
        purgeAfter: '2028-04-03',
      });
    });

    it('rolls a failed transaction back completely', async () => {
      const m = meeting();
      await expect(
        store.transaction(async (tx) => {
          await tx.meetings.insert(m);
          await tx.audit.append({ tenantId: 'tenant-a', actorId: 'user-1', action: 'meeting.created' }, now);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.meetings.findById('tenant-a', m.id)).toBeUndefined();
      expect(await store.audit.list('tenant-a', { limit: 10 })).toEqual([]);
    });

    it('keeps one data key per tenant and rewraps with compare-and-set', async () => {
      const record = {
        tenantId: 'tenant-a',
        keyId: 'k1',
        wrappedKey: 'w1',
        masterKeyId: 'm1',
        createdAt: now.toISOString(),
      };
      expect(await store.tenantKeys.insert(record)).toBe(true);
      expect(await store.tenantKeys.insert({ ...record, keyId: 'k2' })).toBe(false);
      expect(await store.tenantKeys.rewrap(record, 'w2', 'm2')).toBe(true);
      expect(await store.tenantKeys.rewrap(record, 'w3', 'm3')).toBe(false);
      expect(await store.tenantKeys.find('tenant-a', 'k1')).toMatchObject({
        wrappedKey: 'w2',
        masterKeyId: 'm2',
      });
      expect(await store.tenantKeys.listWrappedWithOtherThan('m2', 10)).toEqual([]);
      expect(await store.tenantKeys.countByMasterKey()).toEqual(new Map([['m2', 1]]));
    });

    it('lists the audit log newest first per tenant', async () => {
      await store.audit.append(
        { tenantId: 'tenant-a', actorId: 'u', action: 'meeting.created', targetId: 'm1' },
        now,
      );
      await store.audit.append(
        { tenantId: 'tenant-a', actorId: 'u', action: 'meeting.cancelled', targetId: 'm1' },
        new Date(now.getTime() + 1000),
      );
      await store.audit.append({ tenantId: 'tenant-b', actorId: 'u', action: 'meeting.created' }, now);
      const entries = await store.audit.list('tenant-a', { limit: 10 });
      expect(entries.map((e) => e.action)).toEqual(['meeting.cancelled', 'meeting.created']);
    });

    it('pages the audit log without skipping or repeating entries that share a timestamp', async () => {
      // A retention run writes all its entries with the run's time, with random (v4) ids; the
      // audit service's ids are time-ordered. Seven share `now`: more than a page of three.
      const retention = new KyselyRetentionRepository(store.db, store.dialect);
      await store.audit.append(
        { tenantId: 'tenant-a', actorId: 'u', action: 'meeting.created' },
        new Date(now.getTime() + 1000),
      );
      for (let i = 0; i < 4; i++) {
        await retention.appendAudit(
          { tenantId: 'tenant-a', actorId: 'system', action: 'data.purged', targetId: `p${i}`, details: {} },
          now,
        );
      }
      for (let i = 0; i < 3; i++) {
        await store.audit.append(
          { tenantId: 'tenant-a', actorId: 'u', action: 'meeting.deleted', targetId: `d${i}` },
          now,
        );
      }
      await store.audit.append(
        { tenantId: 'tenant-a', actorId: 'u', action: 'meeting.created' },
        new Date(now.getTime() - 1000),
      );
      await store.audit.append({ tenantId: 'tenant-b', actorId: 'u', action: 'meeting.created' }, now);

      const seen: string[] = [];
      let before: string | undefined;
      for (let page = 0; page < 10; page++) {
        const entries = await store.audit.list('tenant-a', { limit: 3, ...(before ? { before } : {}) });
        seen.push(...entries.map((e) => e.id));
        const last = entries.at(-1);
        if (entries.length < 3 || !last) break;
        before = auditCursor(last);
      }
      const all = await store.audit.list('tenant-a', { limit: 100 });
      expect(all).toHaveLength(9);
      expect(seen).toEqual(all.map((e) => e.id));
      expect(new Set(seen).size).toBe(9);

      // A bare createdAt (the admin API's earlier cursor) still lists what is strictly older.
      const older = await store.audit.list('tenant-a', { limit: 100, before: now.toISOString() });
      expect(older.map((e) => e.createdAt)).toEqual([new Date(now.getTime() - 1000).toISOString()]);
    });
  });
}
