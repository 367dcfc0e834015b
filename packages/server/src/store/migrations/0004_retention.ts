import type { Kysely } from 'kysely';

/**
 * Retention bookkeeping: which retention period has been applied to a tenant's existing meetings.
 * A tenant that shortens its retention gets its meetings' purge days recomputed once (they were
 * computed at creation with the period then in force); this row says it was done.
 *
 * Audit entries about a meeting (created, updated…) are deleted with the meeting, by target id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenant_retention')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    // Days applied to existing meetings; null: the product default (3 months).
    .addColumn('applied_days', 'integer')
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_target').on('audit_log').column('target_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_log_target').ifExists().execute();
  await db.schema.dropTable('tenant_retention').ifExists().execute();
}
