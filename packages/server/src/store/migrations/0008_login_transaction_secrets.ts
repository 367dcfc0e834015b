import type { Kysely } from 'kysely';

/**
 * A sign-in's state, nonce and PKCE verifier are stored sealed (`*_ct`: envelope encryption under
 * the sign-in key scope, identity/sign-in.ts) instead of in clear. The table is made anew: sign-ins
 * under way while Roomlink is upgraded (their rows last 10 minutes) are dropped with it, and their
 * users start again ("this sign-in was not started in this browser, or expired").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_transactions').execute();
  await db.schema
    .createTable('login_transactions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('state_ct', 'text', (c) => c.notNull())
    .addColumn('nonce_ct', 'text', (c) => c.notNull())
    .addColumn('code_verifier_ct', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('addin_challenge', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

/** Back to the clear columns of 0002; sign-ins under way are dropped here too. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_transactions').execute();
  await db.schema
    .createTable('login_transactions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('addin_challenge', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}
