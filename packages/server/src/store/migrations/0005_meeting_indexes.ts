import type { Kysely } from 'kysely';

/**
 * Drops `meetings_tenant` (tenant_id, organizer_id): `meetings_idempotency` (tenant_id,
 * organizer_id, idempotency_key) starts with the same columns and serves the same lookups, on
 * SQLite and PostgreSQL alike. Every index is one more page written per created meeting.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('meetings_tenant').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('meetings_tenant')
    .ifNotExists()
    .on('meetings')
    .columns(['tenant_id', 'organizer_id'])
    .execute();
}
