/**
 * Once a tenant's deletion day has come its purge may be under way: cancelling is refused, and so is
 * any new contract end that moves the day later (that would cancel the purge by another name, and
 * leave a half-deleted tenant). An earlier or the same day stays accepted. Service on both dialects
 * under a controlled clock; the CLI's exit code on SQLite.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { RETENTION_EXIT } from '../src/cli/retention-commands.js';
import { createRetention, type Retention } from '../src/retention/index.js';
import { insertNamedUser, SILENT } from './support/admin.js';
import { cliDatabase } from './support/cli-database.js';
import { DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { runCli } from './support/server-process.js';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`offboarding after the deletion day on ${label}`, () => {
    let t: TestApp;
    let retention: Retention;
    let clock = new Date('2027-01-01T09:00:00Z');

    beforeAll(async () => {
      t = await startTestApp(dialect);
      retention = createRetention(t.runtime, { logger: SILENT, now: () => clock });
      for (const tenant of ['t-due', 't-early']) await insertNamedUser(t.runtime, tenant, `${tenant}-alice`);
    });
    afterAll(async () => t?.close());

    const scheduledActions = async (tenantId: string) =>
      (
        await t.runtime.store.db
          .selectFrom('audit_log')
          .select('action')
          .where('target_id', '=', tenantId)
          .where('action', '=', 'tenant.offboarding_scheduled')
          .execute()
      ).length;

    it('before the deletion day, the day can still be moved later', async () => {
      await retention.offboarding.schedule('t-early', '2027-01-10', { actor: 'cli' });
      clock = new Date('2027-07-09T23:00:00Z');
      await expect(
        retention.offboarding.schedule('t-early', '2027-03-01', { actor: 'cli' }),
      ).resolves.toEqual({
        tenantId: 't-early',
        contractEnd: '2027-03-01',
        purgeOn: '2027-09-01',
      });
    });

    it('from the deletion day on, refuses a later day as it refuses a cancel, confirmed or not', async () => {
      clock = new Date('2027-01-01T09:00:00Z');
      await retention.offboarding.schedule('t-due', '2027-01-10', { actor: 'cli' });
      const audited = await scheduledActions('t-due');
      clock = new Date('2027-07-10T08:00:00Z');
      const off = retention.offboarding;
      await expect(off.cancel('t-due', { actor: 'cli' })).rejects.toMatchObject({ code: 'too_late' });
      await expect(off.schedule('t-due', '2027-06-01', { actor: 'cli' })).rejects.toMatchObject({
        code: 'too_late',
      });
      // A day that has come too (so needing confirmation) but is later than the recorded one.
      await expect(
        off.schedule('t-due', '2027-01-11', { actor: 'cli', allowPast: true }),
      ).rejects.toMatchObject({ code: 'too_late' });
      expect(await off.status('t-due')).toEqual({
        tenantId: 't-due',
        contractEnd: '2027-01-10',
        purgeOn: '2027-07-10',
      });
      expect(await scheduledActions('t-due')).toBe(audited);

      // The same day, or an earlier one, leaves the purge due.
      await expect(
        off.schedule('t-due', '2027-01-10', { actor: 'cli', allowPast: true }),
      ).resolves.toMatchObject({
        purgeOn: '2027-07-10',
      });
      await expect(
        off.schedule('t-due', '2027-01-05', { actor: 'cli', allowPast: true }),
      ).resolves.toMatchObject({
        purgeOn: '2027-07-05',
      });
      const report = await retention.job.run(clock);
      expect(report.tenantsDestroyed).toEqual(['t-due']);
    });
  });
}

describe('roomlink tenant offboard after the deletion day', () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ database, env } = await cliDatabase(async (runtime) => {
      await insertNamedUser(runtime, 't-cli-due', 'cli-due-admin', { isAdmin: true });
      // The CLI runs on the real clock: a contract end long past makes the deletion day come.
      await sql`update tenants set contract_end = '2020-01-31' where id = 't-cli-due'`.execute(
        runtime.store.db,
      );
    }));
  });
  afterAll(async () => database?.drop());

  it('exits 65 for a later contract end, as for --cancel, and keeps the recorded day', async () => {
    const cancel = await runCli(['tenant', 'offboard', 't-cli-due', '--cancel'], env);
    expect(cancel.code).toBe(RETENTION_EXIT.conflict);
    const later = await runCli(['tenant', 'offboard', 't-cli-due', '--contract-end', '2099-01-31'], env);
    expect(later.code).toBe(RETENTION_EXIT.conflict);
    expect(RETENTION_EXIT.conflict).toBe(65);
    expect(later.stderr).toContain('2020-07-31');
    const status = await runCli(['tenant', 'offboard', 't-cli-due'], env);
    expect(status.code).toBe(EXIT.ok);
    expect(status.stdout).toContain('contract ends 2020-01-31');
  });
});
