import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { TokenRecord, TokenRepository } from '../../identity/ports.js';
import type { Database, UserTokenTable } from '../schema.js';

export class KyselyTokenRepository implements TokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(userId: string): Promise<TokenRecord | undefined> {
    const row = await this.db
      .selectFrom('user_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async put(record: TokenRecord): Promise<boolean> {
    const row = toRow(record);
    // In the statement that writes: a sign-out that has marked the user is never followed by a
    // token write (sign-out deletes the tokens after marking). On PostgreSQL FOR SHARE makes this
    // wait for a sign-out's uncommitted mark, then see it.
    const user = this.db
      .selectFrom('users')
      .select(sql<number>`1`.as('signed_in'))
      .where('id', '=', row.user_id)
      .where('status', '!=', 'signed_out');
    const held = this.db.getExecutor().adapter instanceof PostgresAdapter ? user.forShare() : user;
    const result = await this.db
      .insertInto('user_tokens')
      .columns(TOKEN_COLUMNS)
      .expression(sql`select ${sql.join(TOKEN_COLUMNS.map((c) => row[c]))} where exists ${held}`)
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          refresh_token_ct: row.refresh_token_ct,
          access_token_ct: row.access_token_ct,
          access_expires_at: row.access_expires_at,
          version: row.version,
          updated_at: row.updated_at,
        }),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async replace(record: TokenRecord, expectedVersion: number): Promise<boolean> {
    const { user_id, tenant_id, ...changes } = toRow(record);
    const result = await this.db
      .updateTable('user_tokens')
      .set(changes)
      .where('user_id', '=', user_id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(userId: string): Promise<void> {
    await this.db.deleteFrom('user_tokens').where('user_id', '=', userId).execute();
  }

  async deleteVersion(userId: string, version: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom('user_tokens')
      .where('user_id', '=', userId)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

const TOKEN_COLUMNS = [
  'user_id',
  'tenant_id',
  'refresh_token_ct',
  'access_token_ct',
  'access_expires_at',
  'version',
  'updated_at',
] as const satisfies readonly (keyof UserTokenTable)[];

function toRow(r: TokenRecord): UserTokenTable {
  return {
    user_id: r.userId,
    tenant_id: r.tenantId,
    refresh_token_ct: r.refreshTokenCt,
    access_token_ct: r.accessTokenCt,
    access_expires_at: r.accessExpiresAt,
    version: r.version,
    updated_at: r.updatedAt,
  };
}

function fromRow(r: UserTokenTable): TokenRecord {
  return {
    userId: r.user_id,
    tenantId: r.tenant_id,
    refreshTokenCt: r.refresh_token_ct,
    accessTokenCt: r.access_token_ct,
    accessExpiresAt: r.access_expires_at,
    version: Number(r.version),
    updatedAt: r.updated_at,
  };
}
