/**
 * The retention and data-subject commands as an operator runs them: the built `roomlink` CLI as a
 * child process on a SQLite database seeded beforehand, with the outputs and exit codes that
 * docs/operations.md and docs/errors.md describe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { RETENTION_EXIT } from '../src/cli/retention-commands.js';
import { createMeeting, insertNamedUser } from './support/admin.js';
import { cliDatabase, withRuntime } from './support/cli-database.js';
import type { TestDatabase } from './support/databases.js';
import { runCli } from './support/server-process.js';
import { insertTokens } from './support/sessions.js';

// Each test starts the built CLI eight to twelve times (a Node process, the keyring and the database
// checked, each); on a loaded two-core machine that has taken over 30 s.
describe('roomlink retention, tenant, export and erase commands', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let oldMeeting: string;
  let newMeeting: string;

  const run = (...args: string[]) => runCli(args, env);
  /** What a run would change: meetings, and the audit log every run that deletes writes to. */
  const counts = () =>
    withRuntime(env, async (runtime) => {
      const count = async (table: 'meetings' | 'audit_log') =>
        Number(
          (
            await runtime.store.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return { meetings: await count('meetings'), audit: await count('audit_log') };
    });

  beforeAll(async () => {
    ({ database, env } = await cliDatabase(async (runtime) => {
      await insertNamedUser(runtime, 't-cli', 'cli-admin', { isAdmin: true });
      await insertNamedUser(runtime, 't-cli', 'cli-bob', { name: 'Bob Builder', upn: 'bob@contoso.example' });
      // An add-in user (retention deletes or signs out accounts without tokens once their sessions end).
      await insertTokens(runtime.store, 't-cli', 'cli-bob');
      // Ended long ago: due for purging in the autumn of 2025.
      await createMeeting(runtime, 't-cli', 'cli-bob', 'CLI past review', new Date('2025-06-10T10:00:00Z'));
      oldMeeting = await createMeeting(
        runtime,
        't-cli',
        'cli-bob',
        'CLI old retro',
        new Date('2027-01-10T10:00:00Z'),
      );
      newMeeting = await createMeeting(
        runtime,
        't-cli',
        'cli-bob',
        'CLI future planning',
        new Date('2027-03-10T10:00:00Z'),
      );
    }));
  });
  afterAll(async () => database?.drop());

  it('retention run --help says that --as-of purges, and that a future one needs --yes', async () => {
    const help = await run('retention', 'run', '--help');
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('this deletes data, it is not a preview');
    expect(help.stdout).toContain('--yes');
  });

  it('retention run refuses an --as-of that is not a real day or a date-time with an offset, writing nothing', async () => {
    const before = await counts();
    for (const bad of [
      'next tuesday',
      '2026-02-30', // not a day (new Date made it 2 March)
      '2026-06-01 junk',
      '2026-06-01T10:00:00', // no offset: whose local time?
      '2026-06-01T24:00:00Z',
      '2026-06-01T10:00:00+0200',
      '2026-13-01T00:00:00Z',
    ]) {
      const refused = await run('retention', 'run', '--as-of', bad);
      expect(refused.code, bad).toBe(EXIT.usage);
      expect(refused.stderr, bad).toContain(`--as-of "${bad}" is not`);
      expect(refused.stderr, bad).toContain('YYYY-MM-DD');
      expect(refused.stdout, bad).toBe('');
    }
    expect(await counts()).toEqual(before);
  });

  it('retention run --as-of a past day or date-time purges what was due then', async () => {
    const before = await counts();
    const past = await run('retention', 'run', '--as-of', '2026-01-01T01:00:00+01:00');
    expect(past.code).toBe(EXIT.ok);
    expect(JSON.parse(past.stdout)).toMatchObject({
      completed: true,
      meetingsPurged: 1,
      asOf: '2026-01-01T00:00:00.000Z',
    });
    expect(past.stdout).not.toContain('CLI past review');
    expect((await counts()).meetings).toBe(before.meetings - 1);
  });

  it('retention run --as-of in the future refuses without --yes and deletes nothing; with --yes it purges', async () => {
    const before = await counts();
    const refused = await run('retention', 'run', '--as-of', '2999-12-31');
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain('--as-of 2999-12-31 is in the future');
    expect(refused.stderr).toContain('data keys destroyed');
    expect(refused.stderr).toContain('add --yes');
    expect(refused.stdout).toBe('');
    expect(await counts()).toEqual(before);

    // 3 months after 10 January is 10 April: purged on the 11th, not on the 9th.
    const early = await run('retention', 'run', '--as-of', '2027-04-09', '--yes');
    expect(early.code).toBe(EXIT.ok);
    expect(JSON.parse(early.stdout)).toMatchObject({ completed: true, meetingsPurged: 0 });
    const due = await run('retention', 'run', '--as-of', '2027-04-11T00:00:00Z', '--yes');
    expect(due.code).toBe(EXIT.ok);
    const report = JSON.parse(due.stdout) as { meetingsPurged: number; asOf: string };
    expect(report).toMatchObject({ meetingsPurged: 1, asOf: '2027-04-11T00:00:00.000Z' });
    expect(due.stdout).not.toContain('CLI old retro');
    // Idempotent.
    const again = await run('retention', 'run', '--as-of', '2027-04-11', '--yes');
    expect(JSON.parse(again.stdout)).toMatchObject({ meetingsPurged: 0 });
  });

  it('tenant offboard records, shows and cancels a contract end, with clear refusals', async () => {
    // Years ahead of today, whenever the suite runs: a contract end to come.
    const year = new Date().getUTCFullYear() + 4;
    const scheduled = await run('tenant', 'offboard', 't-cli', '--contract-end', `${year}-01-31`);
    expect(scheduled.code).toBe(EXIT.ok);
    expect(scheduled.stdout).toContain(`contract ends ${year}-01-31`);
    expect(scheduled.stdout).toContain(`destroyed on ${year}-07-31`);

    const status = await run('tenant', 'offboard', 't-cli');
    expect(status.stdout).toContain(`destroyed on ${year}-07-31`);

    const cancelled = await run('tenant', 'offboard', 't-cli', '--cancel');
    expect(cancelled.code).toBe(EXIT.ok);
    expect(cancelled.stdout).toContain('no offboarding scheduled');

    const nothing = await run('tenant', 'offboard', 't-cli', '--cancel');
    expect(nothing.code).toBe(RETENTION_EXIT.conflict);
    expect(nothing.stderr).toContain('no offboarding is scheduled');

    const unknown = await run('tenant', 'offboard', 'no-such-tenant', '--contract-end', `${year}-01-31`);
    expect(unknown.code).toBe(RETENTION_EXIT.notFound);
    expect(unknown.stderr).toContain('no tenant no-such-tenant');

    const badDay = await run('tenant', 'offboard', 't-cli', '--contract-end', `${year}-02-30`);
    expect(badDay.code).toBe(EXIT.usage);
    expect(badDay.stderr).toContain('YYYY-MM-DD');

    const past = await run('tenant', 'offboard', 't-cli', '--contract-end', '2020-01-31');
    expect(past.code).toBe(EXIT.usage);
    expect(past.stderr).toContain('add --yes');
  });

  it('export user prints the user’s data decrypted; erase user needs --yes and removes it', async () => {
    const exported = await run('export', 'user', 'cli-bob');
    expect(exported.code).toBe(EXIT.ok);
    const data = JSON.parse(exported.stdout) as {
      user: { name: string; upn: string };
      meetings: { id: string; subject: string }[];
    };
    expect(data.user).toMatchObject({ name: 'Bob Builder', upn: 'bob@contoso.example' });
    expect(data.meetings.map((m) => m.id)).toEqual([newMeeting]);
    expect(data.meetings[0]?.subject).toBe('CLI future planning');
    expect(data.meetings.map((m) => m.id)).not.toContain(oldMeeting);

    const unconfirmed = await run('erase', 'user', 'cli-bob');
    expect(unconfirmed.code).toBe(EXIT.usage);
    expect(unconfirmed.stderr).toContain('add --yes');

    const erased = await run('erase', 'user', 'cli-bob', '--yes');
    expect(erased.code).toBe(EXIT.ok);
    expect(JSON.parse(erased.stdout)).toMatchObject({ userId: 'cli-bob', meetings: 1 });

    const gone = await run('export', 'user', 'cli-bob');
    expect(gone.code).toBe(RETENTION_EXIT.notFound);
    expect(gone.stderr).toContain('no user cli-bob');
    const eraseAgain = await run('erase', 'user', 'cli-bob', '--yes');
    expect(eraseAgain.code).toBe(RETENTION_EXIT.notFound);
  });
});
