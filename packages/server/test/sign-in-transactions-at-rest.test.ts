/**
 * A sign-in under way (its login transaction, up to 10 minutes) keeps its state, nonce and PKCE
 * verifier sealed: a raw read of the database while the user is at Microsoft's page finds none of
 * them, on both dialects. They are sealed under the sign-in key scope (a data key of its own, wrapped
 * by the master key provider; no tenant's) and bound to their transaction: one moved to another
 * transaction does not open. Migration 0008 drops the transactions stored in clear by earlier releases.
 */
import { readFile } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest, randomToken, s256 } from '../src/identity/secrets.js';
import { SIGN_IN_KEY_SCOPE } from '../src/identity/sign-in.js';
import { openStore } from '../src/store/kysely-store.js';
import { retryWhileSchemasVanish, roomlinkMigrator } from '../src/store/migrations/index.js';
import type { Database } from '../src/store/schema.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { browse, dialogMessage, type IdentityTestApp, startIdentityApp } from './support/identity.js';

const UPN = 'adele@contoso.example';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`sign-ins under way on ${label}`, () => {
    let t: IdentityTestApp;
    /** The bodies of Roomlink's requests to the token endpoint (they carry the PKCE verifier). */
    const tokenRequests: string[] = [];
    beforeAll(async () => {
      t = await startIdentityApp(dialect, {
        fetch: async (input, init) => {
          const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
          if (url.endsWith('/oauth2/v2.0/token') && init?.body) tokenRequests.push(String(init.body));
          return fetch(input, init);
        },
      });
    });
    afterAll(async () => t?.close());

    const db = () => t.runtime.store.db as Kysely<Database>;

    /** What a thief of the database files (SQLite) or of its rows (PostgreSQL) reads. */
    async function rawContent(): Promise<string> {
      if (dialect === 'sqlite') {
        const file = t.database.file as string;
        const parts = await Promise.all(
          [file, `${file}-wal`].map((f) => readFile(f).catch(() => Buffer.alloc(0))),
        );
        const all = Buffer.concat(parts);
        return all.toString('latin1') + all.toString('utf8');
      }
      const rows = await sql<{ t: string }>`
        select row_to_json(l)::text as t from login_transactions l
        union all select row_to_json(k)::text from tenant_keys k`.execute(db());
      return rows.rows.map((r) => r.t).join('\n');
    }

    /** An add-in sign-in started, left at Microsoft's authorize endpoint. */
    async function atMicrosoft() {
      const jar = new Map<string, string>();
      const start = `${t.url}/auth/addin/start?challenge=${s256(randomToken(32))}`;
      const { url } = await browse(start, jar, (next) => next.pathname.endsWith('/oauth2/v2.0/authorize'));
      const authorize = new URL(url);
      return { jar, authorize, idHash: digest(jar.get('roomlink_login') as string) };
    }

    /** Signs UPN in at the authorize endpoint and ends the flow at Roomlink's callback. */
    async function finish(flow: { jar: Map<string, string>; authorize: URL }) {
      const named = new URL(flow.authorize);
      named.searchParams.set('login_hint', UPN);
      return (await browse(named.toString(), flow.jar)).response;
    }

    it('keeps no state, nonce or PKCE verifier in clear while the user is at Microsoft', async () => {
      const flow = await atMicrosoft();
      const state = flow.authorize.searchParams.get('state') as string;
      const nonce = flow.authorize.searchParams.get('nonce') as string;
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const raw = await rawContent();
      // The scan sees the transaction: its id's digest is there, in clear as it always was.
      expect(raw).toContain(flow.idHash);
      expect(raw).not.toContain(state);
      expect(raw).not.toContain(nonce);

      const row = await db()
        .selectFrom('login_transactions')
        .selectAll()
        .where('id_hash', '=', flow.idHash)
        .executeTakeFirstOrThrow();
      // Stored as ciphertexts of the envelope format.
      for (const ct of [row.state_ct, row.nonce_ct, row.code_verifier_ct]) expect(ct).toMatch(/^v1\./);

      // The verifier is known only once Roomlink sends it to Microsoft's token endpoint, at the callback.
      tokenRequests.length = 0;
      const answer = await finish(flow);
      expect(answer.status).toBe(200);
      expect(dialogMessage(await answer.text()).type).toBe('roomlink-signin');
      const verifier = new URLSearchParams(tokenRequests[0]).get('code_verifier');
      expect(verifier).toMatch(/^[A-Za-z0-9_-]{64}$/);
      expect(raw).not.toContain(verifier);
      // Taken once: the row is gone.
      expect(
        await db()
          .selectFrom('login_transactions')
          .select('id_hash')
          .where('id_hash', '=', flow.idHash)
          .execute(),
      ).toEqual([]);
    });

    it('seals them under a sign-in key of their own, which belongs to no tenant', async () => {
      await atMicrosoft();
      const keys = await db()
        .selectFrom('tenant_keys')
        .select(['tenant_id', 'master_key_id'])
        .where('tenant_id', '=', SIGN_IN_KEY_SCOPE)
        .execute();
      expect(keys).toHaveLength(1);
      expect(await t.runtime.keyProvider.masterKeyIds()).toContain(keys[0]?.master_key_id);
      expect(
        await db().selectFrom('tenants').select('id').where('id', '=', SIGN_IN_KEY_SCOPE).execute(),
      ).toEqual([]);
    });

    it('does not open a secret moved to another transaction', async () => {
      const mine = await atMicrosoft();
      const other = await atMicrosoft();
      const theirs = await db()
        .selectFrom('login_transactions')
        .select(['state_ct', 'nonce_ct', 'code_verifier_ct'])
        .where('id_hash', '=', other.idHash)
        .executeTakeFirstOrThrow();
      // The other transaction's verifier in this one's row: sealed for another row, it does not open.
      await db()
        .updateTable('login_transactions')
        .set({ code_verifier_ct: theirs.code_verifier_ct })
        .where('id_hash', '=', mine.idHash)
        .execute();
      const refused = await finish(mine);
      expect(refused.status).toBe(500);
      expect(refused.headers.get('set-cookie') ?? '').not.toContain('roomlink_session=');
      // The other sign-in is untouched.
      expect((await finish(other)).status).toBe(200);
    });
  });
}

describe('migration 0008 (login transaction secrets)', () => {
  let database: TestDatabase | undefined;
  afterAll(async () => database?.drop());

  it('drops the transactions earlier releases stored in clear, for columns of ciphertexts', async () => {
    database = await createTestDatabase('sqlite');
    const before = await openStore(database.url, { migrate: false });
    const migrator = roomlinkMigrator(before.db, { upTo: '0007_series_seen_on' });
    expect((await retryWhileSchemasVanish(() => migrator.migrateToLatest())).error).toBeUndefined();
    await sql`insert into login_transactions (id_hash, state, nonce, code_verifier, purpose, addin_challenge, expires_at)
      values ('in-flight', 'clear-state', 'clear-nonce', 'clear-verifier', 'browser', null, '2099-01-01T00:00:00.000Z')`.execute(
      before.db,
    );
    await before.close();

    const store = await openStore(database.url);
    try {
      const columns = (
        await sql<{ name: string }>`select name from pragma_table_info('login_transactions')`.execute(
          store.db,
        )
      ).rows.map((r) => r.name);
      expect(columns).toEqual([
        'id_hash',
        'state_ct',
        'nonce_ct',
        'code_verifier_ct',
        'purpose',
        'addin_challenge',
        'expires_at',
      ]);
      expect(await store.db.selectFrom('login_transactions').selectAll().execute()).toEqual([]);
      // Undone (with the migrations after it), the table has its clear columns back (and nothing in it).
      const down = await roomlinkMigrator(store.db).migrateTo('0007_series_seen_on');
      expect(down.error).toBeUndefined();
      const old = (
        await sql<{ name: string }>`select name from pragma_table_info('login_transactions')`.execute(
          store.db,
        )
      ).rows.map((r) => r.name);
      expect(old).toEqual([
        'id_hash',
        'state',
        'nonce',
        'code_verifier',
        'purpose',
        'addin_challenge',
        'expires_at',
      ]);
    } finally {
      await store.close();
    }
  });
});
