/**
 * Offboarding under a controlled clock, on both dialects: nothing of the tenant is left after its
 * purge day (in any table with a tenant_id), its data key is destroyed so that its old ciphertexts
 * open with no key that remains, and the cancel/schedule rules hold. Other tenants are untouched.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from '../src/crypto/aes-gcm.js';
import { EnvelopeCipher, wrapContext } from '../src/crypto/envelope.js';
import { createRetention, type Retention, RetentionError } from '../src/retention/index.js';
import {
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  insertTokens,
  rowsOfTenant,
  SILENT,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`offboarding on ${label}`, () => {
    let t: TestApp;
    let retention: Retention;
    let clock = new Date('2027-01-01T09:00:00Z');
    const captured: { table: string; column: string; rowId: string; ct: string }[] = [];

    beforeAll(async () => {
      t = await startTestApp(dialect);
      await sql`create table retention_test_things (tenant_id text, user_id text, meeting_id text)`.execute(
        t.runtime.store.db,
      );
      retention = createRetention(t.runtime, { logger: SILENT, now: () => clock });
      for (const tenant of ['t-off', 't-stay']) {
        await insertNamedUser(t.runtime, tenant, `${tenant}-alice`, {
          name: 'Alice Offboard',
          isAdmin: true,
        });
        await insertNamedUser(t.runtime, tenant, `${tenant}-bob`, { name: 'Bob Offboard' });
        await insertTokens(t.runtime, tenant, `${tenant}-bob`);
        await insertBrowserSession(t.runtime, tenant, `${tenant}-alice`, 5 * 365 * 86_400_000);
        // Meetings that end shortly before the purge day: meeting retention keeps them till then.
        const end = new Date('2027-07-01T10:00:00Z');
        await createMeeting(t.runtime, tenant, `${tenant}-alice`, `Offboarding secret of ${tenant}`, end);
        await createMeeting(t.runtime, tenant, `${tenant}-bob`, `Another secret of ${tenant}`, end);
        await sql`insert into retention_test_things values (${tenant}, ${`${tenant}-bob`}, null)`.execute(
          t.runtime.store.db,
        );
      }
      const db = t.runtime.store.db;
      for (const m of await db
        .selectFrom('meetings')
        .selectAll()
        .where('tenant_id', '=', 't-off')
        .execute()) {
        captured.push({ table: 'meetings', column: 'subject', rowId: m.id, ct: m.subject_ct });
        captured.push({ table: 'meetings', column: 'host_pin', rowId: m.id, ct: m.host_pin_ct });
      }
      for (const u of await db.selectFrom('users').selectAll().where('tenant_id', '=', 't-off').execute()) {
        captured.push({
          table: 'users',
          column: 'display_name',
          rowId: u.id,
          ct: u.display_name_ct as string,
        });
      }
    });
    afterAll(async () => t?.close());

    it('refuses bad days, unknown tenants, and a purge day already come unless confirmed', async () => {
      const off = retention.offboarding;
      await expect(off.schedule('t-off', '2027-02-30', { actor: 'cli' })).rejects.toMatchObject({
        code: 'invalid_day',
      });
      await expect(off.schedule('nobody', '2027-01-10', { actor: 'cli' })).rejects.toBeInstanceOf(
        RetentionError,
      );
      await expect(off.schedule('t-off', '2026-01-10', { actor: 'cli' })).rejects.toMatchObject({
        code: 'confirmation_required',
      });
      await expect(off.cancel('t-off', { actor: 'cli' })).rejects.toMatchObject({ code: 'not_scheduled' });
    });

    it('keeps everything until the purge day, and can be cancelled before it', async () => {
      const scheduled = await retention.offboarding.schedule('t-off', '2027-01-10', { actor: 'cli' });
      expect(scheduled).toEqual({ tenantId: 't-off', contractEnd: '2027-01-10', purgeOn: '2027-07-10' });
      const before = await rowsOfTenant(t.runtime, 't-off');
      const report = await retention.job.run(new Date('2027-07-09T23:59:00Z'));
      expect(report.tenantsDestroyed).toEqual([]);
      expect(await rowsOfTenant(t.runtime, 't-off')).toEqual(before);

      clock = new Date('2027-07-09T10:00:00Z');
      expect(await retention.offboarding.cancel('t-off', { actor: 'cli' })).toMatchObject({
        contractEnd: null,
      });
      expect((await retention.job.run(new Date('2027-07-11T00:00:00Z'))).tenantsDestroyed).toEqual([]);
      expect((await rowsOfTenant(t.runtime, 't-off')).meetings).toBe(2);
      await retention.offboarding.schedule('t-off', '2027-01-10', { actor: 'cli' });
      const actions = await t.runtime.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', 't-off')
        .orderBy('created_at')
        .execute();
      expect(actions.map((a) => a.action)).toEqual([
        'tenant.offboarding_scheduled',
        'tenant.offboarding_cancelled',
        'tenant.offboarding_scheduled',
      ]);
    });

    it('on the purge day deletes every row of the tenant and then its data key', async () => {
      const report = await retention.job.run(new Date('2027-07-10T00:30:00Z'));
      expect(report.tenantsDestroyed).toEqual(['t-off']);
      const left = await rowsOfTenant(t.runtime, 't-off');
      expect(Object.keys(left)).toEqual(
        expect.arrayContaining([
          'meetings',
          'users',
          'sessions',
          'user_tokens',
          'audit_log',
          'retention_test_things',
        ]),
      );
      expect(Object.values(left).every((n) => n === 0)).toBe(true);
      const db = t.runtime.store.db;
      expect(await db.selectFrom('tenants').select('id').where('id', '=', 't-off').execute()).toEqual([]);
      expect(
        await db.selectFrom('tenant_keys').select('key_id').where('tenant_id', '=', 't-off').execute(),
      ).toEqual([]);
      // The purge is recorded (counts, no tenant rows left to hold it: the operator's entry).
      const entry = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'data.purged')
        .where('target_id', '=', 't-off')
        .executeTakeFirstOrThrow();
      expect(entry.tenant_id).toBeNull();
      expect(JSON.parse(entry.details)).toMatchObject({
        reason: 'account_retention',
        meetings: 2,
        users: 2,
        data_keys: 1,
      });
      expect(entry.details).not.toContain('Alice');

      // The other tenant is whole and readable.
      expect((await rowsOfTenant(t.runtime, 't-stay')).meetings).toBe(2);
      const stay = await db
        .selectFrom('meetings')
        .select(['id', 'organizer_id'])
        .where('tenant_id', '=', 't-stay')
        .executeTakeFirstOrThrow();
      const m = await t.runtime.meetings.get(
        { tenantId: 't-stay', userId: stay.organizer_id, isTenantAdmin: false },
        stay.id,
      );
      expect(m.subject).toMatch(/secret of t-stay/);
    });

    it('leaves no key that opens the tenant’s old ciphertexts (crypto-shredding)', async () => {
      expect(captured.length).toBeGreaterThanOrEqual(6);
      // Through Roomlink: a fresh cipher finds no data key for the tenant.
      const cipher = new EnvelopeCipher(t.runtime.store.tenantKeys, t.runtime.keyProvider);
      for (const c of captured) {
        await expect(
          cipher.decrypt({ tenantId: 't-off', table: c.table, column: c.column, rowId: c.rowId }, c.ct),
        ).rejects.toMatchObject({ code: 'no_data_key' });
      }
      // Directly: every data key still stored, unwrapped, fails to open any of them.
      const keys = await t.runtime.store.db.selectFrom('tenant_keys').selectAll().execute();
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) {
        const key = await t.runtime.keyProvider.unwrap(
          { masterKeyId: k.master_key_id, wrapped: k.wrapped_key },
          wrapContext(k.tenant_id, k.key_id),
        );
        for (const c of captured) {
          const body = Buffer.from(c.ct.split('.')[2] as string, 'base64url');
          const aad = Buffer.from(['v1', 't-off', c.table, c.column, c.rowId].join('\u001f'), 'utf8');
          expect(() => open(key, body, aad)).toThrow();
        }
      }
    });

    it('cannot be cancelled once the tenant is gone', async () => {
      await expect(retention.offboarding.cancel('t-off', { actor: 'cli' })).rejects.toMatchObject({
        code: 'tenant_not_found',
      });
    });
  });
}
