/**
 * Signing in to the admin console follows no one's calendar (demo mode as `npm start` runs it, real
 * HTTP through the identity emulator): an account that only opened the console leaves no Microsoft
 * tokens and no calendar sync behind, whether the console lets it in (an admin) or refuses it (a
 * member). An account that uses the add-in keeps its sync when it opens the console, and sync that
 * waited for a new sign-in comes back with it, as before. Once the console session has ended,
 * retention deletes the console-only account; add-in users stay.
 */
import { DEMO_USERS } from '@roomlink/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { createRetention } from '../src/retention/index.js';
import { withSyncTables } from '../src/store/repositories/sync-tables.js';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { SILENT } from './support/admin.js';
import { signInAs } from './support/identity.js';
import { eventually } from './sync-harness.js';

let server: DemoServer;
beforeAll(async () => {
  server = await startDemoServer();
});
afterAll(async () => server?.close());

function demoUser(upn: string) {
  const user = DEMO_USERS.find((u) => u.upn === upn);
  if (!user) throw new Error(`no demo user ${upn}`);
  return user;
}

/** The console's sign-in at /auth/signin, as a browser goes through it, for `upn`; the page it ends on. */
async function consoleSignIn(upn: string): Promise<{ status: number }> {
  const { response } = await signInAs(new URL('auth/signin', server.baseUrl).toString(), upn);
  return { status: response.status };
}

/** What Roomlink keeps of the account: its user row's status, whether tokens are kept, its sync's state. */
async function kept(upn: string) {
  const { tenantId, oid } = demoUser(upn);
  const user = await server.runtime.store.users.findByExchangeId(tenantId, oid);
  if (!user) return undefined;
  const db = withSyncTables(server.runtime.store.db);
  const tokens = await db
    .selectFrom('user_tokens')
    .select('user_id')
    .where('user_id', '=', user.id)
    .execute();
  const sync = await db
    .selectFrom('sync_users')
    .select(['status', 'subscription_id'])
    .where('user_id', '=', user.id)
    .executeTakeFirst();
  return { id: user.id, status: user.status, tokens: tokens.length, sync };
}

describe('a sign-in to the admin console', () => {
  it('of an admin who never used the add-in keeps no tokens and starts no calendar sync', async () => {
    expect((await consoleSignIn('diego@fabrikam.example')).status).toBe(200);
    const state = await kept('diego@fabrikam.example');
    // Signed in: the console's session is there.
    const sessions = await server.runtime.store.db
      .selectFrom('sessions')
      .select('kind')
      .where('user_id', '=', state?.id ?? '')
      .execute();
    expect(sessions).toEqual([{ kind: 'browser' }]);
    expect(state).toEqual({
      id: expect.any(String),
      status: 'active',
      tokens: 0,
      sync: undefined,
    });
  });

  it('of a member the console refuses keeps no tokens and starts no calendar sync either', async () => {
    await consoleSignIn('isaiah@fabrikam.example');
    expect(await kept('isaiah@fabrikam.example')).toMatchObject({ tokens: 0, sync: undefined });
  });

  it('of an add-in user keeps their calendar sync; the add-in sign-in after a console one starts it', async () => {
    await consoleSignIn('alex@contoso.example');
    expect(await kept('alex@contoso.example')).toMatchObject({ tokens: 0, sync: undefined });

    const addin = await scriptedSignIn(server.baseUrl, 'alex@contoso.example');
    const subscribed = () =>
      eventually(
        async () => {
          const state = await kept('alex@contoso.example');
          return state?.sync?.status === 'active' && state.sync.subscription_id ? state : undefined;
        },
        10_000,
        'a subscription after the add-in sign-in',
      );
    const following = await subscribed();
    expect(following).toMatchObject({ id: addin.user.id, tokens: 1 });

    await consoleSignIn('alex@contoso.example');
    expect(await kept('alex@contoso.example')).toEqual(following);
  });

  it('of an add-in user whose sync waits for a new sign-in brings it back', async () => {
    const addin = await scriptedSignIn(server.baseUrl, 'adele@contoso.example');
    await eventually(
      async () => (await kept('adele@contoso.example'))?.sync?.subscription_id,
      10_000,
      'a subscription after the add-in sign-in',
    );
    // As when Microsoft refuses the refresh token (TokenService): the tokens go, the user must sign in.
    await server.runtime.store.db.deleteFrom('user_tokens').where('user_id', '=', addin.user.id).execute();
    await server.runtime.store.users.requireSignIn(addin.user.id, null);
    expect(await kept('adele@contoso.example')).toMatchObject({ status: 'needs_sign_in', tokens: 0 });

    await consoleSignIn('adele@contoso.example');
    expect(await kept('adele@contoso.example')).toMatchObject({
      id: addin.user.id,
      status: 'active',
      tokens: 1,
      sync: { status: 'active' },
    });
  });

  it('leaves nothing of an account that only opened the console once its session has ended', async () => {
    const retention = createRetention(server.runtime, { logger: SILENT });
    const diego = await kept('diego@fabrikam.example');
    // Its console session still open (and the refused member's sign-in minutes old): both stay.
    await retention.job.run(new Date());
    expect(await kept('diego@fabrikam.example')).toEqual(diego);
    expect(await kept('isaiah@fabrikam.example')).toMatchObject({ status: 'active' });

    // 13 hours on, the console session has ended: the accounts' rows are gone; the add-in users, whom
    // Roomlink acts for, stay.
    const report = await retention.job.run(new Date(Date.now() + 13 * 3_600_000));
    expect(report.consoleOnlyUsersDeleted).toBe(2);
    expect(await kept('diego@fabrikam.example')).toBeUndefined();
    expect(await kept('isaiah@fabrikam.example')).toBeUndefined();
    expect(await server.runtime.store.users.findById(diego?.id ?? '')).toBeUndefined();
    expect(await kept('alex@contoso.example')).toMatchObject({ status: 'active', tokens: 1 });
    expect(await kept('adele@contoso.example')).toMatchObject({ status: 'active', tokens: 1 });
  });
});
