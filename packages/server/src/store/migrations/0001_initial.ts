import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('contract_end', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tenant_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    .addColumn('master_key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_keys_pk', ['tenant_id', 'key_id'])
    .execute();
  // One active data key per tenant: the unique index makes concurrent first writes race safely.
  await db.schema
    .createIndex('tenant_keys_one_per_tenant')
    .on('tenant_keys')
    .column('tenant_id')
    .unique()
    .execute();
  await db.schema.createIndex('tenant_keys_master').on('tenant_keys').column('master_key_id').execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_tenant').on('users').column('tenant_id').execute();

  await db.schema
    .createTable('meetings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('organizer_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('subject_ct', 'text', (c) => c.notNull())
    .addColumn('start_ct', 'text', (c) => c.notNull())
    .addColumn('end_ct', 'text', (c) => c.notNull())
    .addColumn('recurrence_ct', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('conference_id', 'text', (c) => c.notNull().unique())
    .addColumn('host_pin_ct', 'text', (c) => c.notNull())
    .addColumn('guest_pin_ct', 'text')
    .addColumn('provider_ref', 'text')
    .addColumn('purge_after', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('meetings_idempotency')
    .on('meetings')
    .columns(['tenant_id', 'organizer_id', 'idempotency_key'])
    .unique()
    .execute();
  await db.schema.createIndex('meetings_purge_after').on('meetings').column('purge_after').execute();
  await db.schema
    .createIndex('meetings_tenant')
    .on('meetings')
    .columns(['tenant_id', 'organizer_id'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_log_tenant_time')
    .on('audit_log')
    .columns(['tenant_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'meetings', 'users', 'tenant_keys', 'tenants']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
