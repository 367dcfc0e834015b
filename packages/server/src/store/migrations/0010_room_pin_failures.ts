import type { Kysely } from 'kysely';

/**
 * `room_pin_failures`: each room's budget of PIN tries (all clients together), kept in the database
 * so that every server process on it spends the same budget and a restart forgives nothing (the
 * rooms package's PinFailureLedger; repositories/room-pin-failures.ts). One row per meeting that has
 * had a PIN tried, keyed by its id: counts and times only, no PIN, name or address. It goes with its
 * meeting: retention's purge, erasure and a meeting's deletion delete it by its `meeting_id` column,
 * and the foreign key cascades for every other delete of a meeting row (a tenant's offboarding).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('room_pin_failures')
    .addColumn('meeting_id', 'text', (c) => c.primaryKey().references('meetings.id').onDelete('cascade'))
    // Tries counted since count_started_at (0: none; the next one starts a new count).
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('count_started_at', 'text', (c) => c.notNull())
    // Lockouts in a row (each within a day of the previous one's end), and the last one's end.
    .addColumn('lockouts', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('room_pin_failures').ifExists().execute();
}
