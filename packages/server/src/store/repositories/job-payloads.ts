/**
 * Calendar sync's queued jobs, as retention and data-subject requests find them: the user a job's
 * JSON payload names, in the embedded queue's `jobs` table and, on PostgreSQL, in pg-boss's tables
 * (where the `jobs` table stays empty).
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DialectName } from '../database.js';

/** The user id a `jobs` row's payload names, as SQL. */
export function payloadUserSql(dialect: DialectName): RawBuilder<string | null> {
  return dialect === 'sqlite'
    ? sql<string | null>`json_extract(payload, '$.userId')`
    : sql<string | null>`(payload::jsonb ->> 'userId')`;
}

/** pg-boss's job and archive tables, qualified, once pg-boss has created them (PostgreSQL only). */
export async function pgBossJobTables<DB>(
  db: Kysely<DB>,
  dialect: DialectName,
  schema: string | undefined,
): Promise<string[]> {
  if (dialect !== 'postgres' || !schema) return [];
  const names = [`${schema}.job`, `${schema}.archive`];
  const { rows } = await sql<{ job: string | null; archive: string | null }>`select
      to_regclass(${names[0]})::text as job, to_regclass(${names[1]})::text as archive`.execute(db);
  return names.filter((_, i) => (i === 0 ? rows[0]?.job : rows[0]?.archive));
}
