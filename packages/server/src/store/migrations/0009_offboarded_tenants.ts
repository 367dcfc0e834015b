import type { Kysely } from 'kysely';

/**
 * `offboarded_tenants`: the tenants retention destroyed after their contract ended, so that their
 * users' sign-ins are refused instead of creating the tenant anew (with no contract end, hence no
 * deletion day). Written in the transaction that deletes the tenant's row and data key; removed by
 * `roomlink tenant readmit`. It holds the Entra tenant id and two dates, nothing personal. The id
 * column is `id`, as in `tenants`, not `tenant_id`: retention and erasure delete through every table
 * with a `tenant_id` column (retention-tables.ts), and this row must outlive the tenant's deletion.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('offboarded_tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contract_end', 'text', (c) => c.notNull())
    .addColumn('destroyed_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('offboarded_tenants').execute();
}
