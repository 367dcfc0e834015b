import { type Kysely, sql } from 'kysely';

/**
 * `meetings_provider_ref` (provider, provider_ref), only for rows that have an engine's meeting id:
 * the room service asks which of the calls an external engine runs are this deployment's (every few
 * minutes, per process: MeetingService.runningEngineCalls), and must not read every meeting to answer.
 * Built-in rooms have no provider_ref, so a created meeting on the built-in engine writes no entry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('meetings_provider_ref')
    .ifNotExists()
    .on('meetings')
    .columns(['provider', 'provider_ref'])
    .where(sql.ref('provider_ref'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('meetings_provider_ref').ifExists().execute();
}
