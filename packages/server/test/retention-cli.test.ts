/**
 * The retention and data-subject commands as an operator runs them: the built `roomlink` CLI as a
 * child process on a SQLite database seeded beforehand, with the outputs and exit codes that
 * docs/operations.md and docs/errors.md describe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { RETENTION_EXIT } from '../src/cli/retention-commands.js';
import { loadConfig } from '../src/config/config.js';
import { createRuntime } from '../src/runtime.js';
import { createMeeting, insertNamedUser } from './support/admin.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { testMasterKeys } from './support/harness.js';
import { runCli } from './support/server-process.js';

describe('roomlink retention, tenant, export and erase commands', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let oldMeeting: string;
  let newMeeting: string;

  const run = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    env = {
      DATABASE_URL: database.url,
      ROOMLINK_DATA_DIR: database.dir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
      LOG_LEVEL: 'silent',
    };
    const runtime = await createRuntime(loadConfig(env), { warn: () => undefined, error: () => undefined });
    try {
      await insertNamedUser(runtime, 't-cli', 'cli-admin', { isAdmin: true });
      await insertNamedUser(runtime, 't-cli', 'cli-bob', { name: 'Bob Builder', upn: 'bob@contoso.example' });
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
    } finally {
      await runtime.close();
    }
  });
  afterAll(async () => database?.drop());

  it('retention run --as-of purges what is due then and prints the counts', async () => {
    const bad = await run('retention', 'run', '--as-of', 'next tuesday');
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('--as-of "next tuesday" is not an ISO 8601 date');

    // 3 months after 10 January is 10 April: purged on the 11th, not on the 9th.
    const early = await run('retention', 'run', '--as-of', '2027-04-09');
    expect(early.code).toBe(EXIT.ok);
    expect(JSON.parse(early.stdout)).toMatchObject({ completed: true, meetingsPurged: 0 });
    const due = await run('retention', 'run', '--as-of', '2027-04-11T00:00:00Z');
    expect(due.code).toBe(EXIT.ok);
    const report = JSON.parse(due.stdout) as { meetingsPurged: number; asOf: string };
    expect(report).toMatchObject({ meetingsPurged: 1, asOf: '2027-04-11T00:00:00.000Z' });
    expect(due.stdout).not.toContain('CLI old retro');
    // Idempotent.
    const again = await run('retention', 'run', '--as-of', '2027-04-11');
    expect(JSON.parse(again.stdout)).toMatchObject({ meetingsPurged: 0 });
  });

  it('tenant offboard records, shows and cancels a contract end, with clear refusals', async () => {
    const scheduled = await run('tenant', 'offboard', 't-cli', '--contract-end', '2030-01-31');
    expect(scheduled.code).toBe(EXIT.ok);
    expect(scheduled.stdout).toContain('contract ends 2030-01-31');
    expect(scheduled.stdout).toContain('destroyed on 2030-07-31');

    const status = await run('tenant', 'offboard', 't-cli');
    expect(status.stdout).toContain('destroyed on 2030-07-31');

    const cancelled = await run('tenant', 'offboard', 't-cli', '--cancel');
    expect(cancelled.code).toBe(EXIT.ok);
    expect(cancelled.stdout).toContain('no offboarding scheduled');

    const nothing = await run('tenant', 'offboard', 't-cli', '--cancel');
    expect(nothing.code).toBe(RETENTION_EXIT.conflict);
    expect(nothing.stderr).toContain('no offboarding is scheduled');

    const unknown = await run('tenant', 'offboard', 'no-such-tenant', '--contract-end', '2030-01-31');
    expect(unknown.code).toBe(RETENTION_EXIT.notFound);
    expect(unknown.stderr).toContain('no tenant no-such-tenant');

    const badDay = await run('tenant', 'offboard', 't-cli', '--contract-end', '2030-02-30');
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
