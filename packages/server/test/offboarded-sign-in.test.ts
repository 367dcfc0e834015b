/**
 * An offboarded tenant's users cannot sign in again (through the identity emulator), on both dialects:
 * to the add-in from the contract end on (its data not deleted yet; the admin console stays open until
 * then, for its admins to export or delete their data), and to either once retention deleted it, whose
 * record (`offboarded_tenants`) outlives the deletion. A refused sign-in
 * writes nothing: no tenant made anew without a deletion day, no user, no tokens, no session. The
 * tenant's sessions stop working at its contract end. `readmit` lets it back in. The CLI's
 * `tenant readmit` exit codes on SQLite.
 */
import { CONTOSO_TENANT_ID, DEMO_USERS } from '@roomlink/emulators';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { RETENTION_EXIT } from '../src/cli/retention-commands.js';
import { randomToken, s256 } from '../src/identity/secrets.js';
import { createRetention, type Retention, utcDay } from '../src/retention/index.js';
import { insertNamedUser, SILENT } from './support/admin.js';
import { cliDatabase, withRuntime } from './support/cli-database.js';
import { DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { dialogMessage, type IdentityTestApp, signInAs, startIdentityApp } from './support/identity.js';
import { runCli } from './support/server-process.js';

const DIEGO = DEMO_USERS.find((u) => u.upn === 'diego@fabrikam.example');
const FABRIKAM = (DIEGO?.tenantId ?? '').toLowerCase();
const CONTOSO = CONTOSO_TENANT_ID.toLowerCase();

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`sign-in of an offboarded tenant on ${label}`, () => {
    let t: IdentityTestApp;
    let retention: Retention;
    beforeAll(async () => {
      t = await startIdentityApp(dialect);
      retention = createRetention(t.runtime, { logger: SILENT });
    });
    afterAll(async () => t?.close());

    const db = () => t.runtime.store.db;

    /** An add-in sign-in as `upn`: the dialog page, and the session the task pane gets, if any. */
    async function addinSignIn(upn: string): Promise<{ status: number; body: string; token?: string }> {
      const verifier = randomToken(32);
      const { response } = await signInAs(`${t.url}/auth/addin/start?challenge=${s256(verifier)}`, upn);
      const body = await response.text();
      const message = dialogMessage(body);
      if (response.status !== 200 || !message.code) return { status: response.status, body };
      const session = await fetch(`${t.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: message.code, verifier }),
      });
      expect(session.status).toBe(200);
      return { status: 200, body, token: ((await session.json()) as { token: string }).token };
    }

    async function consoleSignIn(upn: string): Promise<{ status: number; body: string }> {
      const { response } = await signInAs(`${t.url}/auth/signin`, upn);
      return { status: response.status, body: await response.text() };
    }

    const me = async (token: string) =>
      (await fetch(`${t.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;

    /** Everything sign-in writes about a tenant, as rows. */
    const footprint = async (tenantId: string) => ({
      tenants: await db().selectFrom('tenants').selectAll().where('id', '=', tenantId).execute(),
      users: await db().selectFrom('users').selectAll().where('tenant_id', '=', tenantId).execute(),
      tokens: await db().selectFrom('user_tokens').selectAll().where('tenant_id', '=', tenantId).execute(),
      sessions: await db().selectFrom('sessions').selectAll().where('tenant_id', '=', tenantId).execute(),
      handoffs: await db()
        .selectFrom('handoff_codes')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .execute(),
    });

    const offboardedRecords = (tenantId: string) =>
      db().selectFrom('offboarded_tenants').selectAll().where('id', '=', tenantId).execute();

    it('refuses sign-in and sessions from the contract end on, changing nothing; readmit undoes it', async () => {
      const first = await addinSignIn('adele@contoso.example');
      expect(first.status).toBe(200);
      const token = first.token as string;
      expect(await me(token)).toBe(200);

      // The contract ended yesterday: the deletion day is 6 months away, the data still there.
      const yesterday = utcDay(new Date(Date.now() - 86_400_000));
      await retention.offboarding.schedule(CONTOSO, yesterday, { actor: 'cli' });
      expect(await me(token)).toBe(401);

      const before = await footprint(CONTOSO);
      const refused = await addinSignIn('adele@contoso.example');
      expect(refused.status).toBe(403);
      expect(dialogMessage(refused.body)).toMatchObject({ error: 'tenant_offboarded' });
      expect(refused.body).toContain('contract for this Roomlink has ended');
      // Nothing written: the tenant keeps its contract end, no user is made or refreshed, no tokens.
      expect(await footprint(CONTOSO)).toEqual(before);
      expect(before.tenants[0]?.contract_end).toBe(yesterday);
      // Until its data is deleted, the admin console stays open: its admins can still see, export and
      // delete that data.
      expect((await consoleSignIn('megan@contoso.example')).status).toBe(200);
      expect((await footprint(CONTOSO)).tenants[0]?.contract_end).toBe(yesterday);

      await expect(retention.offboarding.readmit(CONTOSO, { actor: 'cli' })).resolves.toMatchObject({
        readmitted: 'contract_end_cleared',
      });
      expect(await me(token)).toBe(200);
      expect((await addinSignIn('adele@contoso.example')).status).toBe(200);
      expect((await consoleSignIn('megan@contoso.example')).status).toBe(200);
    });

    it('refuses sign-in of a tenant retention deleted, whose record survives; readmit lets it back', async () => {
      const diego = DIEGO as (typeof DEMO_USERS)[number];
      const first = await addinSignIn(diego.upn);
      expect(first.status).toBe(200);
      await retention.offboarding.schedule(FABRIKAM, '2020-01-31', { actor: 'cli', allowPast: true });
      const run = await retention.job.run(new Date());
      expect(run.tenantsDestroyed).toEqual([FABRIKAM]);
      const record = await offboardedRecords(FABRIKAM);
      expect(record).toEqual([
        { id: FABRIKAM, contract_end: '2020-01-31', destroyed_at: expect.any(String) },
      ]);
      // The next runs' sweeps (by tenant_id, user_id, meeting_id) leave it.
      await retention.job.run(new Date());
      expect(await offboardedRecords(FABRIKAM)).toEqual(record);

      const empty = await footprint(FABRIKAM);
      expect(empty).toEqual({ tenants: [], users: [], tokens: [], sessions: [], handoffs: [] });
      const refused = await addinSignIn(diego.upn);
      expect(refused.status).toBe(403);
      expect(dialogMessage(refused.body)).toMatchObject({ error: 'tenant_offboarded' });
      expect((await consoleSignIn(diego.upn)).status).toBe(403);
      // Not made anew (with no contract end, it would never be deleted): nothing at all.
      expect(await footprint(FABRIKAM)).toEqual(empty);
      // Nor by anything else that makes a tenant on the way.
      await expect(t.runtime.store.tenants.ensure(FABRIKAM, new Date())).rejects.toThrow('offboarded');
      expect(await footprint(FABRIKAM)).toEqual(empty);
      await expect(retention.offboarding.status(FABRIKAM)).rejects.toThrow(
        `roomlink tenant readmit ${FABRIKAM}`,
      );

      await expect(retention.offboarding.readmit(FABRIKAM, { actor: 'cli' })).resolves.toMatchObject({
        readmitted: 'deleted_record_removed',
        contractEnd: '2020-01-31',
      });
      expect(await offboardedRecords(FABRIKAM)).toEqual([]);
      const readmitted = await db()
        .selectFrom('audit_log')
        .select(['tenant_id', 'actor_id'])
        .where('action', '=', 'tenant.readmitted')
        .where('target_id', '=', FABRIKAM)
        .execute();
      expect(readmitted).toEqual([{ tenant_id: null, actor_id: 'cli' }]);
      const again = await addinSignIn(diego.upn);
      expect(again.status).toBe(200);
      expect(await me(again.token as string)).toBe(200);
      const tenant = await db().selectFrom('tenants').selectAll().where('id', '=', FABRIKAM).execute();
      expect(tenant.map((r) => r.contract_end)).toEqual([null]);
    });
  });
}

describe('roomlink tenant readmit', () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ database, env } = await cliDatabase(async (runtime) => {
      for (const tenant of ['t-ended', 't-due', 't-active'])
        await insertNamedUser(runtime, tenant, `${tenant}-admin`, { isAdmin: true });
      // The CLI runs on the real clock.
      const ended = utcDay(new Date(Date.now() - 86_400_000));
      await sql`update tenants set contract_end = ${ended} where id = 't-ended'`.execute(runtime.store.db);
      await sql`update tenants set contract_end = '2020-01-31' where id = 't-due'`.execute(runtime.store.db);
      await runtime.store.db
        .insertInto('offboarded_tenants')
        .values({ id: 't-gone', contract_end: '2020-01-31', destroyed_at: '2020-07-31T10:00:00.000Z' })
        .execute();
    }));
  });
  afterAll(async () => database?.drop());

  it('readmits an ended or deleted tenant (0), refuses a deletion under way or no offboarding (65)', async () => {
    const gone = await runCli(['tenant', 'offboard', 't-gone'], env);
    expect(gone.code).toBe(RETENTION_EXIT.notFound);
    expect(gone.stderr).toContain('roomlink tenant readmit t-gone');

    const readmitGone = await runCli(['tenant', 'readmit', 't-gone'], env);
    expect(readmitGone.code, readmitGone.stderr).toBe(EXIT.ok);
    expect(readmitGone.stdout).toContain('tenant t-gone readmitted');
    const readmitEnded = await runCli(['tenant', 'readmit', 't-ended'], env);
    expect(readmitEnded.code, readmitEnded.stderr).toBe(EXIT.ok);
    expect(readmitEnded.stdout).toContain('is cleared');

    const due = await runCli(['tenant', 'readmit', 't-due'], env);
    expect(due.code).toBe(RETENTION_EXIT.conflict);
    expect(due.stderr).toContain('roomlink retention run');
    expect((await runCli(['tenant', 'readmit', 't-active'], env)).code).toBe(RETENTION_EXIT.conflict);
    // Readmitted already: nothing is recorded any more.
    expect((await runCli(['tenant', 'readmit', 't-gone'], env)).code).toBe(RETENTION_EXIT.notFound);
    expect((await runCli(['tenant', 'readmit', 'nobody'], env)).code).toBe(RETENTION_EXIT.notFound);

    await withRuntime(env, async (runtime) => {
      const db = runtime.store.db;
      expect(await db.selectFrom('offboarded_tenants').selectAll().execute()).toEqual([]);
      const tenants = await db.selectFrom('tenants').select(['id', 'contract_end']).orderBy('id').execute();
      expect(tenants).toEqual([
        { id: 't-active', contract_end: null },
        { id: 't-due', contract_end: '2020-01-31' },
        { id: 't-ended', contract_end: null },
      ]);
    });
  });
});
