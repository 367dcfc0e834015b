import type { Kysely } from 'kysely';
import type { TenantKeyRecord, TenantKeyRepository } from '../../crypto/envelope.js';
import type { Database, TenantKeyTable } from '../schema.js';

export class KyselyTenantKeyRepository implements TenantKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findActive(tenantId: string): Promise<TenantKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('tenant_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async find(tenantId: string, keyId: string): Promise<TenantKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('tenant_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('key_id', '=', keyId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async insert(r: TenantKeyRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('tenant_keys')
      .values({
        tenant_id: r.tenantId,
        key_id: r.keyId,
        wrapped_key: r.wrappedKey,
        master_key_id: r.masterKeyId,
        created_at: r.createdAt,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async listWrappedWithOtherThan(masterKeyId: string, limit: number): Promise<TenantKeyRecord[]> {
    const rows = await this.db
      .selectFrom('tenant_keys')
      .selectAll()
      .where('master_key_id', '!=', masterKeyId)
      .orderBy('tenant_id')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async rewrap(r: TenantKeyRecord, wrappedKey: string, masterKeyId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tenant_keys')
      .set({ wrapped_key: wrappedKey, master_key_id: masterKeyId })
      .where('tenant_id', '=', r.tenantId)
      .where('key_id', '=', r.keyId)
      .where('master_key_id', '=', r.masterKeyId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countByMasterKey(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('tenant_keys')
      .select(['master_key_id', (eb) => eb.fn.countAll<string | number>().as('n')])
      .groupBy('master_key_id')
      .execute();
    return new Map(rows.map((r) => [r.master_key_id, Number(r.n)]));
  }
}

function toRecord(row: TenantKeyTable): TenantKeyRecord {
  return {
    tenantId: row.tenant_id,
    keyId: row.key_id,
    wrappedKey: row.wrapped_key,
    masterKeyId: row.master_key_id,
    createdAt: row.created_at,
  };
}
