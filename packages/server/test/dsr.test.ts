/**
 * Data-subject requests on both dialects, through the operator's commands (run in-process) and the
 * service they share with the admin console: an export holds everything about the user, decrypted,
 * and nothing about anyone else; an erasure cancels their rooms and leaves no row of theirs.
 */

import { Command } from 'commander';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../src/cli/exit.js';
import { RETENTION_EXIT, registerRetentionCommands } from '../src/cli/retention-commands.js';
import { loadConfig } from '../src/config/config.js';
import { createRetention, EXPORT_FORMAT, type UserExport } from '../src/retention/index.js';
import {
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  insertTokens,
  SILENT,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`data-subject requests on ${label}`, () => {
    let t: TestApp;
    const cancelled: string[] = [];
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      t = await startTestApp(dialect);
      t.runtime.roomEvents.on('cancelled', (slug) => cancelled.push(slug));
      await sql`create table retention_test_things (tenant_id text, user_id text, meeting_id text)`.execute(
        t.runtime.store.db,
      );
      await insertNamedUser(t.runtime, 't-dsr', 'carol', {
        name: 'Carol Subject',
        upn: 'carol@contoso.example',
      });
      await insertNamedUser(t.runtime, 't-dsr', 'dave', { name: 'Dave Bystander' });
      await insertTokens(t.runtime, 't-dsr', 'carol');
      await insertBrowserSession(t.runtime, 't-dsr', 'carol');
      ids.first = await createMeeting(t.runtime, 't-dsr', 'carol', 'Carol’s one-to-one');
      ids.second = await createMeeting(t.runtime, 't-dsr', 'carol', 'Carol’s team sync');
      ids.dave = await createMeeting(t.runtime, 't-dsr', 'dave', 'Dave’s planning');
      await t.runtime.meetings.cancel(
        { tenantId: 't-dsr', userId: 'carol', isTenantAdmin: false },
        ids.second,
      );
      cancelled.length = 0;
      // Rows of a table retention does not know, one belonging to Carol, one to her meeting.
      await sql`insert into retention_test_things values ('t-dsr', 'carol', null)`.execute(
        t.runtime.store.db,
      );
      await sql`insert into retention_test_things values ('t-dsr', null, ${ids.first})`.execute(
        t.runtime.store.db,
      );
    });
    afterAll(async () => t?.close());

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

    it('exports everything held about the user, decrypted, and audits it', async () => {
      const { out } = await cli('export', 'user', 'carol');
      const data = JSON.parse(out) as UserExport;
      expect(data.format).toBe(EXPORT_FORMAT);
      expect(data.user).toMatchObject({
        id: 'carol',
        tenantId: 't-dsr',
        name: 'Carol Subject',
        upn: 'carol@contoso.example',
        exchangeId: 'oid-carol',
        status: 'active',
      });
      const subjects = data.meetings.map((m) => ('subject' in m ? m.subject : null)).sort();
      expect(subjects).toEqual(['Carol’s one-to-one', 'Carol’s team sync']);
      const first = data.meetings.find((m) => m.id === ids.first);
      expect(first).toMatchObject({ status: 'scheduled', joinUrl: expect.stringContaining('/m/') });
      expect(first && 'hostPin' in first && /^\d{6}$/.test(first.hostPin)).toBe(true);
      expect(data.sessions).toHaveLength(1);
      expect(data.oauthTokens).toMatchObject({ held: true });
      expect(JSON.stringify(data)).not.toContain('refresh-carol'); // token values are never exported
      expect(data.otherRecords).toEqual({ retention_test_things: 1 });
      expect(data.audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['meeting.created', 'meeting.cancelled']),
      );
      // Nothing about anyone else.
      expect(out).not.toContain('Dave');
      expect(out).not.toContain(ids.dave);

      const audit = await t.runtime.store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'user.exported')
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ tenant_id: 't-dsr', actor_id: 'cli', target_id: 'carol' });
      expect(JSON.parse(audit.details)).toEqual({ meetings: 2 });
    });

    it('refuses an unknown user and an erasure without --yes', async () => {
      await expect(cli('export', 'user', 'nobody')).rejects.toMatchObject({
        exitCode: RETENTION_EXIT.notFound,
      });
      const refused = cli('erase', 'user', 'carol');
      await expect(refused).rejects.toBeInstanceOf(CliError);
      await expect(refused).rejects.toMatchObject({ exitCode: EXIT.usage });
      expect(await t.runtime.store.users.findById('carol')).toBeDefined();
    });

    it('erases the user: rooms cancelled, meetings, tokens, sessions and record deleted, audited', async () => {
      const slugs = await t.runtime.store.db
        .selectFrom('meetings')
        .select(['slug', 'status'])
        .where('organizer_id', '=', 'carol')
        .execute();
      // Through the service the console uses, in this process: the room service hears the cancel.
      const retention = createRetention(t.runtime, { logger: SILENT });
      const result = await retention.subjects.erase('carol', { actor: 'admin-1', tenantId: 't-dsr' });
      expect(result).toMatchObject({
        userId: 'carol',
        meetings: 2,
        rows: { users: 1, user_tokens: 1, sessions: 1, retention_test_things: 1 },
      });
      // The scheduled room was ended; the cancelled one already was.
      expect(cancelled).toEqual(slugs.filter((s) => s.status === 'scheduled').map((s) => s.slug));

      const db = t.runtime.store.db;
      expect(await t.runtime.store.users.findById('carol')).toBeUndefined();
      expect(
        await db.selectFrom('meetings').select('id').where('organizer_id', '=', 'carol').execute(),
      ).toEqual([]);
      expect(
        await db.selectFrom('sessions').select('user_id').where('user_id', '=', 'carol').execute(),
      ).toEqual([]);
      expect(await t.runtime.store.tokens.find('carol')).toBeUndefined();
      const things = await sql`
        select * from retention_test_things where user_id = 'carol' or meeting_id = ${ids.first}`.execute(db);
      expect(things.rows).toEqual([]);
      // The meetings' audit trail went with them; the erasure itself is recorded by counts.
      const trail = await db
        .selectFrom('audit_log')
        .select('id')
        .where('target_id', 'in', [ids.first, ids.second])
        .execute();
      expect(trail).toEqual([]);
      const erased = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'user.erased')
        .executeTakeFirstOrThrow();
      expect(erased).toMatchObject({ tenant_id: 't-dsr', actor_id: 'admin-1', target_id: 'carol' });
      expect(erased.details).not.toContain('Carol');

      // Dave is untouched.
      const dave = await t.runtime.meetings.get(
        { tenantId: 't-dsr', userId: 'dave', isTenantAdmin: false },
        ids.dave,
      );
      expect(dave.subject).toBe('Dave’s planning');
      await expect(cli('erase', 'user', 'carol', '--yes')).rejects.toMatchObject({
        exitCode: RETENTION_EXIT.notFound,
      });
      await expect(
        retention.subjects.erase('dave', { actor: 'admin-1', tenantId: 't-other' }),
      ).rejects.toMatchObject({
        code: 'user_not_found',
      });
    });

    it('erases from the command line', async () => {
      await insertNamedUser(t.runtime, 't-dsr', 'erin', { name: 'Erin Leaving' });
      const meeting = await createMeeting(t.runtime, 't-dsr', 'erin', 'Erin’s farewell');
      const { out } = await cli('erase', 'user', 'erin', '--yes');
      expect(JSON.parse(out)).toEqual({ userId: 'erin', tenantId: 't-dsr', meetings: 1, rows: { users: 1 } });
      expect(await t.runtime.store.users.findById('erin')).toBeUndefined();
      const left = await t.runtime.store.db
        .selectFrom('meetings')
        .select('id')
        .where('id', '=', meeting)
        .execute();
      expect(left).toEqual([]);
      const erased = await t.runtime.store.db
        .selectFrom('audit_log')
        .select('actor_id')
        .where('action', '=', 'user.erased')
        .where('target_id', '=', 'erin')
        .executeTakeFirstOrThrow();
      expect(erased.actor_id).toBe('cli');
    });

    it('runs retention and offboarding from the command line', async () => {
      // A future --as-of purges early: it needs --yes. Years ahead of today, whenever the suite runs.
      const future = `${new Date().getUTCFullYear() + 4}-01-01`;
      await expect(cli('retention', 'run', '--as-of', future)).rejects.toMatchObject({
        exitCode: EXIT.usage,
      });
      const run = await cli('retention', 'run', '--as-of', future, '--yes');
      const report = JSON.parse(run.out);
      expect(report).toMatchObject({ asOf: `${future}T00:00:00.000Z`, completed: true });
      expect(report.meetingsPurged).toBeGreaterThanOrEqual(1); // Dave's meeting, long over by then
      await expect(cli('retention', 'run', '--as-of', 'next tuesday')).rejects.toMatchObject({
        exitCode: EXIT.usage,
      });

      const scheduled = await cli('tenant', 'offboard', 't-dsr', '--contract-end', '2099-01-31');
      expect(scheduled.out).toBe(
        'tenant t-dsr: contract ends 2099-01-31; its data is deleted and its key destroyed on 2099-07-31\n',
      );
      expect((await cli('tenant', 'offboard', 't-dsr')).out).toContain('2099-07-31');
      expect((await cli('tenant', 'offboard', 't-dsr', '--cancel')).out).toBe(
        'tenant t-dsr: no offboarding scheduled\n',
      );
      await expect(cli('tenant', 'offboard', 't-dsr', '--contract-end', '2000-01-01')).rejects.toMatchObject({
        exitCode: EXIT.usage,
      });
      await expect(cli('tenant', 'offboard', 'no-such-tenant', '--cancel')).rejects.toMatchObject({
        exitCode: RETENTION_EXIT.notFound,
      });
    });
  });
}
