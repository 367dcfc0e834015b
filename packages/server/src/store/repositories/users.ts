import type { Kysely } from 'kysely';
import type { SignInFields, UserRecord, UserRepository, UserSettings } from '../../identity/ports.js';
import type { Database, UserTable } from '../schema.js';

/**
 * A signed-out user row: marked, and its Exchange id, name, UPN and pending claims cleared. The one
 * shape of sign-out, erasure and retention's sign-out of lapsed users.
 */
export const SIGNED_OUT = {
  status: 'signed_out',
  exchange_id: null,
  display_name_ct: null,
  upn_ct: null,
  pending_claims: null,
} as const;

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

  async recordSignIn(id: string, exchangeId: string, fields: SignInFields): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({
        display_name_ct: fields.displayNameCt,
        upn_ct: fields.upnCt,
        is_admin: fields.isAdmin ? 1 : 0,
        last_sign_in_at: fields.lastSignInAt,
        status: 'active',
        pending_claims: null,
      })
      .where('id', '=', id)
      .where('exchange_id', '=', exchangeId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async requireSignIn(id: string, pendingClaims: string | null): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ status: 'needs_sign_in', pending_claims: pendingClaims })
      .where('id', '=', id)
      .where('status', '!=', 'signed_out')
      .execute();
  }

  async markSignedOut(id: string): Promise<void> {
    await this.db.updateTable('users').set(SIGNED_OUT).where('id', '=', id).execute();
  }

  async updateSettings(id: string, settings: UserSettings): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ settings: JSON.stringify(settings) })
      .where('id', '=', id)
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
