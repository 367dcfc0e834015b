/**
 * `roomlink retention run` when an offboarded tenant's purge fails: the built CLI prints the report
 * (`completed: false`) and exits 1, so that a script (after a restore, before serving, as
 * docs/operations.md advises) does not take the run for done. The run's other deletions stand.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { createMeeting, insertNamedUser } from './support/admin.js';
import { cliDatabase, withRuntime } from './support/cli-database.js';
import type { TestDatabase } from './support/databases.js';
import { runCli } from './support/server-process.js';
import { insertTokens } from './support/sessions.js';

describe('roomlink retention run with a tenant whose purge fails', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let oldMeeting: string;

  beforeAll(async () => {
    ({ database, env } = await cliDatabase(async (runtime) => {
      await insertNamedUser(runtime, 't-stuck', 'stuck-alice');
      await insertTokens(runtime.store, 't-stuck', 'stuck-alice');
      await sql`update tenants set contract_end = '2025-01-10' where id = 't-stuck'`.execute(
        runtime.store.db,
      );
      await insertNamedUser(runtime, 't-live', 'live-bob');
      await insertTokens(runtime.store, 't-live', 'live-bob');
      oldMeeting = await createMeeting(
        runtime,
        't-live',
        'live-bob',
        'Old review',
        new Date('2025-06-10T10:00:00Z'),
      );
      // Deleting the stuck tenant's rows of this table fails, so its purge does.
      await sql`create table stuck_things (tenant_id text)`.execute(runtime.store.db);
      await sql`insert into stuck_things values ('t-stuck')`.execute(runtime.store.db);
      await sql`create trigger refuse_stuck before delete on stuck_things
        when old.tenant_id = 't-stuck' begin select raise(abort, 'refused'); end`.execute(runtime.store.db);
    }));
  });
  afterAll(async () => database?.drop());

  it('prints the report, says the run is incomplete and exits 1; what else was due is deleted', async () => {
    const run = await runCli(['retention', 'run'], env);
    expect(run.code).toBe(EXIT.failure);
    expect(JSON.parse(run.stdout)).toMatchObject({
      completed: false,
      meetingsPurged: 1,
      tenantsDestroyed: [],
    });
    expect(run.stderr).toContain('retention run incomplete');
    const left = await withRuntime(env, async (runtime) => ({
      tenant: await runtime.store.db.selectFrom('tenants').select('id').where('id', '=', 't-stuck').execute(),
      meeting: await runtime.store.db
        .selectFrom('meetings')
        .select('id')
        .where('id', '=', oldMeeting)
        .execute(),
    }));
    expect(left).toEqual({ tenant: [{ id: 't-stuck' }], meeting: [] });
  });
});
