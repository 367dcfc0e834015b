import type { Kysely } from 'kysely';
import type { UserRecord, UserRepository } from '../../identity/ports.js';
import type { Database, UserTable } from '../schema.js';

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: string): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async findByExchangeId(tenantId: string, exchangeId: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('exchange_id', '=', exchangeId)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async insert(user: UserRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('users')
      .values(toRow(user))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async update(user: UserRecord): Promise<void> {
    const { id, tenant_id, created_at, ...changes } = toRow(user);
    await this.db
      .updateTable('users')
      .set(changes)
      .where('id', '=', id)
      .where('tenant_id', '=', tenant_id)
      .execute();
  }

  async listByTenant(tenantId: string): Promise<UserRecord[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .execute();
    return rows.map(fromRow);
  }
}

function toRow(u: UserRecord): UserTable {
  return {
    id: u.id,
    tenant_id: u.tenantId,
    exchange_id: u.exchangeId,
    display_name_ct: u.displayNameCt,
    upn_ct: u.upnCt,
    status: u.status,
    is_admin: u.isAdmin ? 1 : 0,
    settings: JSON.stringify(u.settings),
    pending_claims: u.pendingClaims,
    last_sign_in_at: u.lastSignInAt,
    created_at: u.createdAt,
  };
}

function fromRow(r: UserTable): UserRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    exchangeId: r.exchange_id,
    displayNameCt: r.display_name_ct,
    upnCt: r.upn_ct,
    status: r.status,
    isAdmin: Number(r.is_admin) === 1,
    settings: JSON.parse(r.settings),
    pendingClaims: r.pending_claims,
    lastSignInAt: r.last_sign_in_at,
    createdAt: r.created_at,
  };
}
