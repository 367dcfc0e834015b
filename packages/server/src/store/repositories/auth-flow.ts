import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type {
  AuthFlowRepository,
  HandoffCode,
  LoginTransaction,
  SessionRecord,
  UserStatus,
} from '../../identity/ports.js';
import { Precompiled } from '../precompiled.js';
import type { Database } from '../schema.js';
import { writeBatcherOf } from '../write-batcher.js';

/** Runs on every authenticated request: compiled once (see precompiled.ts). */
const FIND_SESSION = new Precompiled<Database, [string]>(1, (db: Kysely<Database>, [tokenHash]) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    // By primary key: the tenant's contract end costs no further query (authenticator.ts).
    .leftJoin('tenants', 'tenants.id', 'sessions.tenant_id')
    .select([
      'sessions.token_hash',
      'sessions.user_id',
      'sessions.tenant_id',
      'sessions.kind',
      'sessions.created_at',
      'sessions.expires_at',
      'users.is_admin',
      'users.status',
      'tenants.contract_end',
    ])
    .where('sessions.token_hash', '=', tokenHash as string),
);

/**
 * Runs in every create made with a session (see holdSession): compiled once per dialect. On
 * PostgreSQL FOR KEY SHARE is the weakest lock that a DELETE of the row waits for; under READ
 * COMMITTED a row being deleted makes it wait for that transaction, then return nothing if the
 * delete committed.
 */
const HOLD_SESSION = new Precompiled<Database, [string]>(1, (db: Kysely<Database>, [tokenHash]) => {
  const query = db
    .selectFrom('sessions')
    .select(sql<number>`1`.as('held'))
    .where('token_hash', '=', tokenHash as string);
  return db.getExecutor().adapter instanceof PostgresAdapter ? query.forKeyShare() : query;
});

interface SessionRow {
  token_hash: string;
  user_id: string;
  tenant_id: string;
  kind: SessionRecord['kind'];
  created_at: string;
  expires_at: string;
  is_admin: number | boolean;
  status: string;
  contract_end: string | null;
}

export class KyselyAuthFlowRepository implements AuthFlowRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertTransaction(t: LoginTransaction): Promise<void> {
    await this.db
      .insertInto('login_transactions')
      .values({
        id_hash: t.idHash,
        state_ct: t.stateCt,
        nonce_ct: t.nonceCt,
        code_verifier_ct: t.codeVerifierCt,
        purpose: t.purpose,
        addin_challenge: t.addinChallenge,
        expires_at: t.expiresAt,
      })
      .execute();
  }

  async findTransaction(idHash: string): Promise<LoginTransaction | undefined> {
    const row = await this.db
      .selectFrom('login_transactions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return (
      row && {
        idHash: row.id_hash,
        stateCt: row.state_ct,
        nonceCt: row.nonce_ct,
        codeVerifierCt: row.code_verifier_ct,
        purpose: row.purpose,
        addinChallenge: row.addin_challenge,
        expiresAt: row.expires_at,
      }
    );
  }

  async redeemTransaction(idHash: string): Promise<boolean> {
    // One statement: of requests racing to redeem the row, only the one whose DELETE removed it gets
    // it back (PostgreSQL: the others wait on the row lock, then find it gone; SQLite serialises writes).
    const row = await this.db
      .deleteFrom('login_transactions')
      .where('id_hash', '=', idHash)
      .returning('id_hash')
      .executeTakeFirst();
    return row !== undefined;
  }

  async insertHandoff(h: HandoffCode): Promise<void> {
    await this.db
      .insertInto('handoff_codes')
      .values({
        code_hash: h.codeHash,
        user_id: h.userId,
        tenant_id: h.tenantId,
        challenge: h.challenge,
        expires_at: h.expiresAt,
      })
      .execute();
  }

  async takeHandoff(codeHash: string): Promise<HandoffCode | undefined> {
    const row = await this.db
      .deleteFrom('handoff_codes')
      .where('code_hash', '=', codeHash)
      .returningAll()
      .executeTakeFirst();
    return (
      row && {
        codeHash: row.code_hash,
        userId: row.user_id,
        tenantId: row.tenant_id,
        challenge: row.challenge,
        expiresAt: row.expires_at,
      }
    );
  }

  async insertSession(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: s.tokenHash,
        user_id: s.userId,
        tenant_id: s.tenantId,
        kind: s.kind,
        created_at: s.createdAt,
        expires_at: s.expiresAt,
      })
      .execute();
  }

  async findSession(tokenHash: string) {
    const row = (await FIND_SESSION.run<SessionRow>(this.db, [tokenHash])).rows[0];
    return (
      row && {
        tokenHash: row.token_hash,
        userId: row.user_id,
        tenantId: row.tenant_id,
        kind: row.kind,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        isAdmin: Number(row.is_admin) === 1,
        status: row.status as UserStatus,
        contractEnd: row.contract_end ?? null,
      }
    );
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  async holdSession(tokenHash: string): Promise<boolean> {
    return (await HOLD_SESSION.run(this.db, [tokenHash])).rows.length > 0;
  }

  async deleteUserSessionsAndHandoffs(userId: string): Promise<void> {
    const work = async (db: Kysely<Database>) => {
      await db.deleteFrom('handoff_codes').where('user_id', '=', userId).execute();
      await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    };
    // One transaction: SQLite's write batcher (a unit of its group commit), else PostgreSQL's own
    // (or the caller's, inside a store transaction).
    const batcher = writeBatcherOf<Kysely<Database>>(this.db);
    if (batcher) await batcher.run(work);
    else if (this.db.isTransaction) await work(this.db);
    else await this.db.transaction().execute(work);
  }

  async deleteExpired(now: Date): Promise<number> {
    const at = now.toISOString();
    let n = 0;
    for (const table of ['sessions', 'handoff_codes', 'login_transactions'] as const) {
      const r = await this.db.deleteFrom(table).where('expires_at', '<=', at).executeTakeFirst();
      n += Number(r.numDeletedRows);
    }
    return n;
  }
}
