import type { Kysely } from 'kysely';
import {
  DEFAULT_TENANT_SETTINGS,
  type Tenant,
  type TenantRepository,
  type TenantSettings,
} from '../../domain/tenants/tenant.js';
import type { Database, TenantTable } from '../schema.js';

export class KyselyTenantRepository implements TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(id: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTenant(row);
  }

  async ensure(id: string, now: Date): Promise<Tenant> {
    const at = now.toISOString();
    await this.db
      .insertInto('tenants')
      .values({
        id,
        settings: JSON.stringify(DEFAULT_TENANT_SETTINGS),
        contract_end: null,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return (await this.find(id)) as Tenant;
  }

  async updateSettings(id: string, settings: TenantSettings, now: Date): Promise<void> {
    await this.db
      .updateTable('tenants')
      .set({ settings: JSON.stringify(settings), updated_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }
}

function toTenant(row: TenantTable): Tenant {
  // Settings saved by an older version may lack newer fields: defaults fill them in.
  const settings = { ...DEFAULT_TENANT_SETTINGS, ...(JSON.parse(row.settings) as Partial<TenantSettings>) };
  return { id: row.id, settings, contractEnd: row.contract_end };
}
