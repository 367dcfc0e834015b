import type { Kysely } from 'kysely';

/**
 * `meetings.series_seen_on`: for a series with no end, the UTC day (YYYY-MM-DD) calendar sync last
 * saw it in the organizer's calendar. Its room and metadata are kept 2 years from the later of that
 * day and the first occurrence (src/domain/meetings/window.ts). Clear text at day granularity, like
 * `purge_after`; null for every existing row, which keeps the horizon they had (2 years after the
 * first occurrence) until sync sees the series again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('meetings').addColumn('series_seen_on', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('meetings').dropColumn('series_seen_on').execute();
}
