import { type Kysely, sql } from 'kysely';

/**
 * Calendar sync state (see src/graph and src/domain/sync) and the embedded job queue.
 * Nothing here holds an event's content: event ids, delta links and times are ciphertext (`_ct`) or
 * one-way hashes, and only events that carry a Roomlink meeting are ever recorded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sync_users')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('subscription_id', 'text')
    /** SHA-256 (hex) of the subscription's clientState: compared in constant time, never stored in clear. */
    .addColumn('client_state_hash', 'text')
    .addColumn('subscription_expires_at', 'text')
    .addColumn('delta_link_ct', 'text')
    .addColumn('delta_started_at', 'text')
    .addColumn('last_change_at', 'text')
    .addColumn('last_reconciled_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sync_users_subscription')
    .on('sync_users')
    .column('subscription_id')
    .unique()
    .execute();

  await db.schema
    .createTable('sync_events')
    .addColumn('meeting_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    /** SHA-256 (hex) of the Graph event id, to find the meeting of a deleted event. */
    .addColumn('event_hash', 'text', (c) => c.notNull())
    .addColumn('event_id_ct', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    /** {lastModifiedDateTime, changeKey} of the last applied version: older changes never win. */
    .addColumn('version_ct', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sync_events_event')
    .on('sync_events')
    .columns(['user_id', 'event_hash'])
    .execute();

  await db.schema
    .createTable('sync_occurrences')
    .addColumn('meeting_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    /**
     * Random (domain/sync/occurrences.ts). Rows written before that change hold SHA-256 of meeting id
     * and original start, which a guess of the start can match; sync re-keys them when it next
     * applies their series.
     */
    .addColumn('occurrence_key', 'text', (c) => c.notNull())
    /** {originalStart, originalEnd, start, end, cancelled} */
    .addColumn('window_ct', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_occurrences_pk', ['meeting_id', 'occurrence_key'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_ready').on('jobs').columns(['status', 'run_at']).execute();
  // Coalescing: at most one waiting job per (kind, dedupe key).
  await db.schema
    .createIndex('jobs_dedupe')
    .on('jobs')
    .columns(['kind', 'dedupe_key'])
    .unique()
    .where(sql<boolean>`status = 'ready' and dedupe_key is not null`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['jobs', 'sync_occurrences', 'sync_events', 'sync_users']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
