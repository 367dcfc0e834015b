/**
 * Commands that work on data (key rotation, exports, erasures, retention) must not create a
 * database: with a mistyped DATABASE_URL (or data dir) they would act on a new, empty one, and key
 * rotation would then retire a master key that the real database's data keys still need.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError, EXIT } from './exit.js';

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

/** Refuses (exit 69) when the SQLite database the URL names does not exist. */
export function requireExistingDatabase(databaseUrl: string): void {
  const file = sqliteFileOf(databaseUrl);
  if (file !== undefined && !existsSync(file))
    throw new CliError(missingDatabaseMessage(file), EXIT.database);
}
