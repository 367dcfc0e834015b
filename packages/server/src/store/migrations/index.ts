/**
 * Every migration, in order. One set for both dialects: they use only types and statements that
 * mean the same on SQLite and PostgreSQL, but for 0006's id column (SQLite's row id, PostgreSQL's
 * identity). Add new ones at the end; never edit a released one.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_identity.js';
import * as m0003 from './0003_sync.js';
import * as m0004 from './0004_retention.js';
import * as m0005 from './0005_meeting_indexes.js';
import * as m0006 from './0006_job_row_ids.js';
import * as m0007 from './0007_series_seen_on.js';
import * as m0008 from './0008_login_transaction_secrets.js';
import * as m0009 from './0009_offboarded_tenants.js';
import * as m0010 from './0010_room_pin_failures.js';
import * as m0011 from './0011_meeting_provider_refs.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_identity': m0002,
  '0003_sync': m0003,
  '0004_retention': m0004,
  '0005_meeting_indexes': m0005,
  '0006_job_row_ids': m0006,
  '0007_series_seen_on': m0007,
  '0008_login_transaction_secrets': m0008,
  '0009_offboarded_tenants': m0009,
  '0010_room_pin_failures': m0010,
  '0011_meeting_provider_refs': m0011,
};

class StaticProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

export interface MigratorOptions {
  /** PostgreSQL: the schema of the bookkeeping tables (see migrateToLatest). */
  readonly schema?: string;
  /** Only the migrations up to this one, included: a database as an earlier release left it. */
  readonly upTo?: string;
}

/** Kysely's Migrator over Roomlink's migrations and bookkeeping tables. */
export function roomlinkMigrator<DB>(db: Kysely<DB>, options: MigratorOptions = {}): Migrator {
  const names = [...KNOWN_MIGRATIONS];
  const last = options.upTo === undefined ? names.length - 1 : names.indexOf(options.upTo);
  if (last < 0) throw new Error(`no migration named ${options.upTo}`);
  const migrations = Object.fromEntries(
    names.slice(0, last + 1).map((name) => [name, MIGRATIONS[name] as Migration]),
  );
  return new Migrator({
    db: db as Kysely<unknown>,
    provider: new StaticProvider(migrations),
    migrationTableName: 'roomlink_migrations',
    migrationLockTableName: 'roomlink_migrations_lock',
    ...(options.schema ? { migrationTableSchema: options.schema } : {}),
  });
}

/** The names of every migration this version knows, in order. */
export const KNOWN_MIGRATIONS: readonly string[] = Object.keys(MIGRATIONS);

/**
 * Migrations the database records as applied that this version does not know: a newer Roomlink
 * migrated it (a version rolled back without restoring the backup, or an old process beside a new
 * one). Empty when the bookkeeping table does not exist yet. Read only.
 */
export async function unknownAppliedMigrations<DB>(db: Kysely<DB>, schema?: string): Promise<string[]> {
  const table = schema ? sql.id(schema, 'roomlink_migrations') : sql.id('roomlink_migrations');
  let names: string[];
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    names = rows.map((row) => row.name);
  } catch (error) {
    // No Roomlink tables yet: nothing applied, newer or not.
    if (noSuchTable(error)) return [];
    throw error;
  }
  const known = new Set(KNOWN_MIGRATIONS);
  return names.filter((name) => !known.has(name)).sort();
}

function noSuchTable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return e?.code === '42P01' || (typeof e?.message === 'string' && e.message.startsWith('no such table'));
}

/** What to tell the operator of a database a newer Roomlink migrated. */
export function newerDatabaseMessage(unknown: readonly string[]): string {
  return (
    `this database was migrated by a newer Roomlink: it records ${unknown.length} migration(s) this ` +
    `version does not know (${unknown.join(', ')}), so this version cannot use it. Run the newer ` +
    'version again, or restore the backup taken before the upgrade (docs/operations.md, Upgrading)'
  );
}

export interface MigrationReport {
  readonly applied: string[];
}

/**
 * `schema` (PostgreSQL) names where the bookkeeping tables live. Without it Kysely looks for them in
 * any schema, and a database shared by several Roomlink schemas would see another one's tables.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, schema?: string): Promise<MigrationReport> {
  // Kysely would refuse too, but only as "corrupted migrations", which reads like damage.
  const newer = await unknownAppliedMigrations(db, schema);
  if (newer.length > 0)
    throw new Error(`database migration failed: ${newerDatabaseMessage(newer)}; nothing was changed`);
  const { error, results } = await retryWhileSchemasVanish(() =>
    roomlinkMigrator(db, schema ? { schema } : {}).migrateToLatest(),
  );
  if (error) throw new Error(`database migration failed: ${await failureOf(db, error)}`, { cause: error });
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/**
 * Why a migration failed, for the operator: the database's message and code (they name relations
 * and schemas, never the connection's password), and the usual cause when PostgreSQL has no schema to
 * create the tables in.
 */
async function failureOf<DB>(db: Kysely<DB>, error: unknown): Promise<string> {
  const e = error as { message?: unknown; code?: unknown } | undefined;
  const text =
    (typeof e?.message === 'string' ? e.message : String(error)) +
    (typeof e?.code === 'string' ? ` (${e.code})` : '');
  const problem = await searchPathProblem(db);
  return problem === undefined ? text : `${problem}; ${text}`;
}

/**
 * What is wrong when PostgreSQL's search_path names no schema that exists (Roomlink would have nowhere
 * to create its tables), for `migrate` and `doctor`; undefined when nothing is (and on SQLite).
 */
export async function searchPathProblem<DB>(db: Kysely<DB>): Promise<string | undefined> {
  const searchPath = await unusableSearchPath(db);
  if (searchPath === undefined) return undefined;
  return (
    `the search_path "${searchPath}" names no schema that exists, so Roomlink has nowhere to create ` +
    'its tables: create the schema first (CREATE SCHEMA …), or name an existing one in DATABASE_URL ' +
    '(?options=-c%20search_path%3D<schema>)'
  );
}

/** PostgreSQL's search_path when none of its schemas exists (current_schema() is null); else undefined. */
async function unusableSearchPath<DB>(db: Kysely<DB>): Promise<string | undefined> {
  try {
    const { rows } = await sql<{ schema: string | null; path: string }>`
      select current_schema() as schema, current_setting('search_path') as path`.execute(db);
    const row = rows[0];
    return row && row.schema === null ? row.path : undefined;
  } catch {
    // SQLite has neither function; an unreachable database says so in the error itself.
    return undefined;
  }
}

/** Attempts at a migration run whose catalog scan met a schema dropped meanwhile. */
const VANISHED_SCHEMA_ATTEMPTS = 3;

/**
 * Kysely's migrator first looks for its bookkeeping tables by listing the tables of every schema the
 * role may use, checking each schema by name (`has_schema_privilege`). A schema another session drops
 * during that scan (a database shared with other applications, or test suites side by side) makes
 * PostgreSQL answer 3F000 "schema … does not exist" for it, and a table dropped with it 42P01
 * "relation … does not exist". Nothing was applied by then (and on PostgreSQL a run that failed later
 * is rolled back whole: its migrations run in one transaction), and a new scan no longer sees them:
 * asking again is safe.
 */
export async function retryWhileSchemasVanish<R>(run: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const last = attempt === VANISHED_SCHEMA_ATTEMPTS;
    let outcome: R;
    try {
      outcome = await run();
    } catch (error) {
      if (!last && schemaVanished(error)) continue;
      throw error;
    }
    // migrateToLatest reports its failure in the result rather than throwing.
    if (!last && schemaVanished((outcome as { readonly error?: unknown } | undefined)?.error)) continue;
    return outcome;
  }
}

/** PostgreSQL's "schema … does not exist" and "relation … does not exist". */
const VANISHED = new Set(['3F000', '42P01']);

function schemaVanished(error: unknown): boolean {
  return VANISHED.has(String((error as { code?: unknown } | undefined)?.code));
}
