/**
 * A user signs out on one device while a sign-in of theirs on another has stored its tokens but not
 * yet started calendar sync. The sign-out must win: the sign-in is refused, and sync keeps no row
 * and queues no job for the signed-out user (sign-in's start of sync comes after sign-out's stop).
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { kyselySyncStore } from '../src/store/repositories/sync-state.js';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { type IdentityTestApp, startIdentityApp } from './support/identity.js';

const UPN = 'adele@contoso.example';

let server: DemoServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it('a sign-in that stored its tokens just before a sign-out is refused and starts no sync', async () => {
  server = await startDemoServer();
  const { runtime } = server;
  const first = await scriptedSignIn(server.baseUrl, UPN);
  const userId = first.user.id;

  // Hold the second sign-in right after its token write, before it starts the mailbox's sync.
  const tokens = runtime.store.tokens;
  const put = tokens.put.bind(tokens);
  const reached = deferred();
  const release = deferred();
  let holding = true;
  tokens.put = async (record) => {
    const written = await put(record);
    if (holding && record.userId === userId) {
      holding = false;
      reached.resolve();
      await release.promise;
    }
    return written;
  };
  const second = scriptedSignIn(server.baseUrl, UPN).then(
    () => 'signed in',
    (error: unknown) => String(error),
  );
  await reached.promise;

  const signOut = await server.api('api/v1/session/sign-out', first.token, { method: 'POST' });
  expect(signOut.status).toBe(204);
  release.resolve();
  const outcome = await second;

  const db = runtime.store.db;
  const syncRows = await sql<{
    user_id: string;
  }>`select user_id from sync_users where user_id = ${userId}`.execute(db);
  expect(syncRows.rows).toEqual([]);
  const jobs = await sql<{ kind: string }>`select kind from jobs where payload like ${`%${userId}%`}`.execute(
    db,
  );
  expect(jobs.rows).toEqual([]);
  expect(
    await db
      .selectFrom('users')
      .select(['status', 'exchange_id'])
      .where('id', '=', userId)
      .executeTakeFirst(),
  ).toEqual({ status: 'signed_out', exchange_id: null });
  // Refused when the sign-in completes, not only later at the add-in's handoff.
  expect(outcome).toContain('sign-in did not complete');
  expect(outcome).toContain('you signed out while this sign-in was completing; sign in again');
  expect(
    await db.selectFrom('user_tokens').select('user_id').where('user_id', '=', userId).execute(),
  ).toEqual([]);
});

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`starting a mailbox's sync on ${label}`, () => {
    let t: IdentityTestApp | undefined;
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('writes nothing for a signed-out user, and (re)activates a signed-in one', async () => {
      t = await startIdentityApp(dialect);
      const signedIn = await scriptedSignIn(t.url, 'adele@contoso.example');
      const leaving = await scriptedSignIn(t.url, 'megan@contoso.example');
      const signOut = await fetch(`${t.url}/api/v1/session/sign-out`, {
        method: 'POST',
        headers: { authorization: `Bearer ${leaving.token}` },
      });
      expect(signOut.status).toBe(204);
      const users = kyselySyncStore(t.runtime.store.db).users;
      const now = new Date();

      expect(await users.activate(leaving.user.id, leaving.user.tenantId, now)).toBe(false);
      expect(await users.find(leaving.user.id)).toBeUndefined();

      expect(await users.activate(signedIn.user.id, signedIn.user.tenantId, now)).toBe(true);
      await users.update(signedIn.user.id, { status: 'stopped' }, now);
      expect(await users.activate(signedIn.user.id, signedIn.user.tenantId, now)).toBe(true);
      expect(await users.find(signedIn.user.id)).toMatchObject({ status: 'active' });
    });
  });
}
