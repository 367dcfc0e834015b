/**
 * A user signs out on one device while a sign-in of theirs completes on another. Whichever way the
 * two interleave, no refresh token may outlive the sign-out: the sign-in that lost is refused, and
 * signing in again works.
 */
import type { RootOperationNode } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityError } from '../src/identity/errors.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { KyselySubjectRepository } from '../src/store/repositories/retention-subjects.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { type IdentityTestApp, startIdentityApp } from './support/identity.js';
import { HoldAfter, heldBackend, hold, settledOrWaiting } from './support/pg-interleaving.js';

/** A raw `delete from <table> …` (retention deletes a user's rows table by table). */
const rawDeleteOf = (table: string) => (node: RootOperationNode) =>
  node.kind === 'RawNode' &&
  (node.sqlFragments[0]?.trimStart().startsWith('delete from') ?? false) &&
  JSON.stringify(node).includes(`"name":"${table}"`);

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`sign-out racing a sign-in of the same user on ${label}`, () => {
    let t: IdentityTestApp | undefined;
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it.skipIf(dialect !== 'postgres')(
      'an erasure and a sign-in’s token write never deadlock (PostgreSQL), and leave no token',
      async () => {
        t = await startIdentityApp(dialect);
        const app = t;
        const db = app.runtime.store.db;
        const first = await scriptedSignIn(app.url, 'adele@contoso.example');
        const { id: userId, tenantId } = first.user;
        const record = await app.runtime.store.tokens.find(userId);
        if (!record) throw new Error('the sign-in stored no token');

        // The erasure's first transaction, held once it has deleted the user's tokens.
        const point = hold();
        const held = db.withPlugin(new HoldAfter(rawDeleteOf('user_tokens'), point));
        const erasure = new KyselySubjectRepository(held, 'postgres').signOutForErasure(tenantId, userId);
        await point.reached;
        let put: Promise<boolean> | undefined;
        let outcome: 'settled' | 'waiting';
        try {
          const pid = await heldBackend(db, 'delete from "user_tokens"');
          // A sign-in of the same user completing meanwhile writes its tokens: it must wait, not lock
          // the user row in an order the erasure then waits on.
          put = app.runtime.store.tokens.put({ ...record, version: record.version + 1 });
          outcome = await settledOrWaiting(db, put, pid, 1);
        } finally {
          // Also when the above failed: a held erasure would keep the app's close waiting for good.
          point.release();
        }
        expect(outcome).toBe('waiting');

        await expect(erasure).resolves.toMatchObject({ rows: { user_tokens: 1 } });
        expect(await put).toBe(false);
        const left = await db
          .selectFrom('user_tokens')
          .select('user_id')
          .where('user_id', '=', userId)
          .execute();
        expect(left).toEqual([]);
      },
    );

    it('a sign-in whose token write comes after the sign-out is refused and leaves no token', async () => {
      t = await startIdentityApp(dialect);
      const app = t;
      const first = await scriptedSignIn(app.url, 'adele@contoso.example');
      const userId = first.user.id;

      // Hold the second sign-in after it has matched and refreshed the user row, just before it
      // writes the tokens (TokenService.store reads the current version first).
      const tokens = app.runtime.store.tokens;
      const find = tokens.find.bind(tokens);
      const reached = deferred();
      const release = deferred();
      let hold = true;
      tokens.find = async (id: string) => {
        if (hold && id === userId) {
          hold = false;
          reached.resolve();
          await release.promise;
        }
        return find(id);
      };
      const second = scriptedSignIn(app.url, 'adele@contoso.example').then(
        () => 'signed in',
        (error: unknown) => String(error),
      );
      await reached.promise;

      const signOut = await fetch(`${app.url}/api/v1/session/sign-out`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.token}` },
      });
      expect(signOut.status).toBe(204);
      release.resolve();
      expect(await second).toContain('you signed out while this sign-in was completing; sign in again');

      const db = app.runtime.store.db;
      const left = await db
        .selectFrom('user_tokens')
        .select('user_id')
        .where('user_id', '=', userId)
        .execute();
      expect(left).toEqual([]);
      expect(
        await db
          .selectFrom('users')
          .select(['status', 'exchange_id'])
          .where('id', '=', userId)
          .executeTakeFirst(),
      ).toEqual({ status: 'signed_out', exchange_id: null });
      const refused = await app.identity.tokens.getAccessToken(userId).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(IdentityError);
      expect((refused as IdentityError).code).toBe('sign_in_required');

      // Signing in again works: a new user row, with its own tokens.
      const again = await scriptedSignIn(app.url, 'adele@contoso.example');
      expect(again.user.id).not.toBe(userId);
      expect(await app.identity.tokens.getAccessToken(again.user.id)).toEqual(expect.any(String));
    });
  });
}
