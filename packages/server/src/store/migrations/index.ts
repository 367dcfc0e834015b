/**
 * Every migration, in order. One set for both dialects: they use only types and statements that
 * mean the same on SQLite and PostgreSQL, but for 0006's id column (SQLite's row id, PostgreSQL's
 * identity). Add new ones at the end; never edit a released one.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_identity.js';
import * as m0003 from './0003_sync.js';
import * as m0004 from './0004_retention.js';
import * as m0005 from './0005_meeting_indexes.js';
import * as m0006 from './0006_job_row_ids.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_identity': m0002,
  '0003_sync': m0003,
  '0004_retention': m0004,
  '0005_meeting_indexes': m0005,
  '0006_job_row_ids': m0006,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export interface MigrationReport {
  readonly applied: string[];
}

/**
 * `schema` (PostgreSQL) names where the bookkeeping tables live. Without it Kysely looks for them in
 * any schema, and a database shared by several Roomlink schemas would see another one's tables.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, schema?: string): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: new StaticProvider(),
    migrationTableName: 'roomlink_migrations',
    migrationLockTableName: 'roomlink_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new Error('database migration failed', { cause: error });
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
