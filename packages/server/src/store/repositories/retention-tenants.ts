/**
 * Offboarding in SQL: the contract end day on the tenant row, and the tenant's deletion, table by
 * table in small batches, ending with its data key and its row in one transaction that also records
 * the tenant as destroyed (`offboarded_tenants`).
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { Database } from '../schema.js';
import { deleteSome, tablesWithColumn, timedTransaction } from './retention-tables.js';

export interface OffboardingRecord {
  readonly tenantId: string;
  readonly contractEnd: string | null;
}

/** A tenant retention destroyed (migration 0009): refused at sign-in until readmitted. */
export interface OffboardedRecord {
  readonly tenantId: string;
  readonly contractEnd: string;
  readonly destroyedAt: string;
}

/**
 * The order tables are emptied in: tables this code does not know first (they may reference the
 * known ones), then children before parents, the audit log last so that it records to the end.
 */
const KNOWN_ORDER = ['sessions', 'user_tokens', 'handoff_codes', 'meetings', 'users', 'audit_log'];

export class KyselyTenantPurgeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async find(tenantId: string): Promise<OffboardingRecord | undefined> {
    const row = await this.db
      .selectFrom('tenants')
      .select(['id', 'contract_end'])
      .where('id', '=', tenantId)
      .executeTakeFirst();
    return row && { tenantId: row.id, contractEnd: row.contract_end };
  }

  async withContractEnd(): Promise<OffboardingRecord[]> {
    const rows = await this.db
      .selectFrom('tenants')
      .select(['id', 'contract_end'])
      .where('contract_end', 'is not', null)
      .execute();
    return rows.map((r) => ({ tenantId: r.id, contractEnd: r.contract_end }));
  }

  async setContractEnd(tenantId: string, day: string | null, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('tenants')
      .set({ contract_end: day, updated_at: at.toISOString() })
      .where('id', '=', tenantId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Every table holding rows of a tenant (by `tenant_id`), in deletion order. */
  async tenantTables(): Promise<string[]> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'tenant_id');
    const unknown = tables.filter((t) => !KNOWN_ORDER.includes(t));
    return [...unknown, ...KNOWN_ORDER.filter((t) => tables.includes(t))];
  }

  /** Deletes up to `limit` of the tenant's rows in `table`, in one transaction. */
  async deleteRows(tenantId: string, table: string, limit: number): Promise<{ rows: number; ms: number }> {
    const { result, ms } = await timedTransaction(this.db, this.dialect, (trx) =>
      deleteSome(trx, this.dialect, table, sql`tenant_id = ${tenantId}`, limit),
    );
    return { rows: result, ms };
  }

  /**
   * The last step: the tenant's data key and its row, together, and the record that the tenant was
   * destroyed (`offboarded_tenants`: its id, contract end and this instant), so that a later sign-in
   * of its users is refused instead of creating the tenant anew. Without the key no ciphertext of the
   * tenant, in this database or any backup of it, can be opened again.
   */
  async destroyTenant(tenantId: string, at: Date = new Date()): Promise<{ keys: number; ms: number }> {
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      const tenant = await trx
        .selectFrom('tenants')
        .select('contract_end')
        .where('id', '=', tenantId)
        .executeTakeFirst();
      if (tenant?.contract_end) {
        const record = { contract_end: tenant.contract_end, destroyed_at: at.toISOString() };
        await trx
          .insertInto('offboarded_tenants')
          .values({ id: tenantId, ...record })
          .onConflict((oc) => oc.column('id').doUpdateSet(record))
          .execute();
      }
      const keys = await trx.deleteFrom('tenant_keys').where('tenant_id', '=', tenantId).executeTakeFirst();
      await trx.deleteFrom('tenants').where('id', '=', tenantId).execute();
      return Number(keys.numDeletedRows);
    });
    return { keys: result, ms };
  }

  /** The record of a tenant retention destroyed after offboarding, if any. */
  async offboarded(tenantId: string): Promise<OffboardedRecord | undefined> {
    const row = await this.db
      .selectFrom('offboarded_tenants')
      .selectAll()
      .where('id', '=', tenantId)
      .executeTakeFirst();
    return row && { tenantId: row.id, contractEnd: row.contract_end, destroyedAt: row.destroyed_at };
  }

  /** Deletes the record of a destroyed tenant (readmission); false when there was none. */
  async forgetOffboarded(tenantId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('offboarded_tenants')
      .where('id', '=', tenantId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
