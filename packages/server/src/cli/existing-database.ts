/**
 * Commands that work on data (key rotation, exports, erasures, retention) must not create a
 * database, nor migrate one: with a mistyped DATABASE_URL (or data dir), a PostgreSQL URL without its
 * search_path (which falls back to the schema public) or one naming another database, they would act
 * on a new, empty one, and key rotation would then retire a master key that the real database's data
 * keys still need. Migrating is left to `roomlink migrate` and the server's start: a CLI newer than
 * the running servers must not change their database under them as a side effect.
 */
import { type Stats, statSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { checkSqliteDatabasePath } from '../runtime.js';
import { currentSchema, type KyselyStore, openStore } from '../store/kysely-store.js';
import {
  newerDatabaseMessage,
  retryWhileSchemasVanish,
  roomlinkMigrator,
  searchPathProblem,
  unknownAppliedMigrations,
} from '../store/migrations/index.js';
import { CliError, EXIT } from './exit.js';

/** The first migration: pending, the database holds no Roomlink tables at all. */
const FIRST_MIGRATION = '0001_initial';

/** The SQLite file a database URL names; undefined for PostgreSQL or an in-memory database. */
export function sqliteFileOf(databaseUrl: string): string | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const file = databaseUrl.slice('sqlite:'.length);
  return file === ':memory:' ? undefined : path.resolve(file);
}

export function missingDatabaseMessage(file: string): string {
  return (
    `no database exists at ${file}. Start Roomlink or run \`roomlink migrate\` to create it; ` +
    'if it should exist, check DATABASE_URL (or ROOMLINK_DATA_DIR)'
  );
}

/**
 * The SQLite file the URL names when no database is there: nothing at that path, or an empty file
 * (the server and `roomlink migrate` create the file empty before SQLite fills it, so an empty file
 * holds no database either, and opening it would write SQLite's header into it). Undefined
 * otherwise, and for PostgreSQL.
 */
export function missingSqliteDatabase(databaseUrl: string): string | undefined {
  const file = sqliteFileOf(databaseUrl);
  if (file === undefined) return undefined;
  // Follows symbolic links, as SQLite does; nothing to stat counts as missing, as for existsSync.
  // Anything but a regular file is left to checkSqliteDatabasePath, which names what it is (78).
  let info: Stats | undefined;
  try {
    info = statSync(file);
  } catch {
    info = undefined;
  }
  return info === undefined || (info.isFile() && info.size === 0) ? file : undefined;
}

/**
 * Refuses, before anything on disk changes, unless the URL names an existing SQLite database that
 * is Roomlink's with every migration applied: exit 69 (missingSqliteDatabase, then
 * requireMigratedDatabase), or 78 for a path that names no SQLite database at all. The normal open
 * would change what it refuses: it switches the file to WAL (rewriting its header) and, for the
 * retention commands, makes it private; so the file is first opened as `roomlink doctor` opens it
 * (`mustExist`: journal mode left as it is, and SQLite removes the -wal and -shm it made when it
 * closes). PostgreSQL is checked once opened (openExistingStore, requireMigratedDatabase): opening
 * it creates nothing.
 */
export async function requireExistingDatabase(databaseUrl: string): Promise<void> {
  const file = sqliteFileOf(databaseUrl);
  if (file === undefined) return;
  if (missingSqliteDatabase(databaseUrl) !== undefined)
    throw new CliError(missingDatabaseMessage(file), EXIT.database);
  // A directory, a device or a file that is not a SQLite database: 78, before SQLite opens it.
  await checkSqliteDatabasePath(databaseUrl);
  let store: KyselyStore;
  try {
    store = await openStore(databaseUrl, { migrate: false, mustExist: true, groupCommit: false });
  } catch (error) {
    throw new CliError(
      `cannot read the database at sqlite:${file}: ${error instanceof Error ? error.message : String(error)}`,
      EXIT.database,
    );
  }
  try {
    await requireMigratedDatabase(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Where a database stands against this version's migrations (read only: nothing is created). */
export interface MigrationState {
  /** PostgreSQL's current schema, where the bookkeeping tables are; undefined on SQLite. */
  readonly schema: string | undefined;
  /** Migrations the database has not had yet. */
  readonly pending: string[];
  /** Migrations a newer Roomlink applied, which this one does not know (see unknownAppliedMigrations). */
  readonly newer: string[];
}

export async function migrationState(store: KyselyStore): Promise<MigrationState> {
  const schema = await currentSchema(store.db, store.dialect);
  // Kysely's getMigrations creates nothing.
  const migrations = await retryWhileSchemasVanish(() =>
    roomlinkMigrator(store.db, schema ? { schema } : {}).getMigrations(),
  );
  const newer = await retryWhileSchemasVanish(() => unknownAppliedMigrations(store.db, schema));
  return {
    schema,
    pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
    newer,
  };
}

/**
 * The tables the database's schema holds, sorted, for one that holds none of Roomlink's: some there
 * means DATABASE_URL most likely names another application's database, which the server would add
 * its own tables to at start. Read only.
 */
export async function tablesInSchema(store: KyselyStore): Promise<string[]> {
  const query =
    store.dialect === 'sqlite'
      ? sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema()`;
  return (await query.execute(store.db)).rows.map((row) => row.name).sort();
}

/** Whether the pending migrations are all of them: the database holds no Roomlink tables yet. */
export function holdsNoRoomlinkTables(pending: readonly string[]): boolean {
  return pending.includes(FIRST_MIGRATION);
}

/**
 * Refuses (exit 69) unless the opened store is a Roomlink database with every migration applied.
 * The message names the database as the store does (never its password) and, on PostgreSQL, the
 * schema looked in, since a URL without its search_path lands in public.
 */
export async function requireMigratedDatabase(store: KyselyStore): Promise<void> {
  let where = store.location;
  let pending: string[];
  try {
    // Without a schema to look in, Kysely would find another schema's bookkeeping tables.
    const searchPath = await searchPathProblem(store.db);
    if (searchPath !== undefined) throw new CliError(`${searchPath}; nothing was changed`, EXIT.database);
    const state = await migrationState(store);
    if (state.schema) where = `${where}, schema ${state.schema}`;
    pending = state.pending;
    const newer = state.newer;
    if (newer.length > 0)
      throw new CliError(`${newerDatabaseMessage(newer)} (${where}); nothing was changed`, EXIT.database);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `cannot read the database at ${where}: ${error instanceof Error ? error.message : String(error)}`,
      EXIT.database,
    );
  }
  if (pending.length === 0) return;
  const check =
    store.dialect === 'postgres'
      ? "check DATABASE_URL: the database's name, and its search_path " +
        '(?options=-c%20search_path%3D<schema>; without it PostgreSQL uses the schema public)'
      : 'check DATABASE_URL (or ROOMLINK_DATA_DIR)';
  if (holdsNoRoomlinkTables(pending)) {
    throw new CliError(
      `no Roomlink database exists at ${where} (it holds no Roomlink tables); this command creates ` +
        `none and changed nothing. Start Roomlink or run \`roomlink migrate\` to create it; if it ` +
        `should exist, ${check}`,
      EXIT.database,
    );
  }
  throw new CliError(
    `the database at ${where} has ${pending.length} migration(s) pending (${pending.join(', ')}); ` +
      'this command does not apply them and changed nothing. Run `roomlink migrate` (or restart ' +
      'Roomlink, which applies them at start), then run this command again',
    EXIT.database,
  );
}

/**
 * The store of an existing, fully migrated Roomlink database, opened without migrating (exit 69
 * otherwise; see requireMigratedDatabase). Call requireExistingDatabase first: opening a SQLite file
 * that is not there would create it, and one it refuses would be changed (journal mode) before
 * this refuses it.
 */
export async function openExistingStore(databaseUrl: string): Promise<KyselyStore> {
  const store = await openStore(databaseUrl, { migrate: false });
  try {
    await requireMigratedDatabase(store);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
