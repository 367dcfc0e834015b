/**
 * Opens the database named by DATABASE_URL with the matching Kysely dialect. The rest of the store
 * is dialect-neutral Kysely; this is the one place that knows SQLite from PostgreSQL.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Human-readable location without credentials, for logs and `roomlink doctor`. */
  readonly location: string;
}

export interface OpenOptions {
  /** PostgreSQL only: schema to use (created if missing); lets test suites run side by side. */
  readonly schema?: string;
  readonly poolSize?: number;
  /** SQLite only: FULL (default) survives power loss; NORMAL survives process crashes only. */
  readonly sqliteSynchronous?: 'FULL' | 'NORMAL';
}

export function openDatabase(url: string, options: OpenOptions = {}): OpenDatabase {
  if (url.startsWith('sqlite:'))
    return openSqlite(url.slice('sqlite:'.length), options.sqliteSynchronous ?? 'FULL');
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new Error('DATABASE_URL must start with sqlite: or postgres://');
}

/**
 * SQLite settings, chosen for durability first (see docs/operations.md):
 * - WAL: readers never block the writer; crash-safe.
 * - synchronous=FULL: a committed transaction survives power loss, not only a process crash
 *   (ROOMLINK_SQLITE_SYNCHRONOUS=NORMAL trades that for throughput; see docs/operations.md).
 * - secure_delete: deleted rows are overwritten, so purged ciphertext is not left in free pages.
 * - foreign_keys and a busy timeout so that a second process (the CLI) waits instead of failing.
 */
function openSqlite(file: string, synchronous: 'FULL' | 'NORMAL'): OpenDatabase {
  const memory = file === ':memory:';
  if (!memory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SqliteDatabase(file);
  if (!memory) database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${synchronous}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('secure_delete = ON');
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }),
    dialect: 'sqlite',
    location: memory ? 'sqlite::memory:' : `sqlite:${path.resolve(file)}`,
  };
}

/**
 * Kysely prepares every query anew; preparing costs as much as running a small statement, and the
 * store issues a handful of distinct statements over and over. Prepared statements are reusable,
 * so they are kept per SQL text (bounded, least recently used first out).
 */
function withStatementCache(database: SqliteDatabase.Database, size = 256) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare: (sqlText: string) => {
      let statement = cache.get(sqlText);
      if (statement) {
        cache.delete(sqlText);
      } else {
        statement = database.prepare(sqlText);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sqlText, statement);
      return statement;
    },
  };
}

function openPostgres(url: string, options: OpenOptions): OpenDatabase {
  const parsed = new URL(url);
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('invalid schema name');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      ...(schema
        ? {
            onCreateConnection: async (connection) => {
              await connection.executeQuery(sql`create schema if not exists ${sql.id(schema)}`.compile(db));
            },
          }
        : {}),
    }),
  });
  parsed.password = '';
  parsed.username = parsed.username ? parsed.username : '';
  return { db, dialect: 'postgres', location: `${parsed.protocol}//${parsed.host}${parsed.pathname}` };
}
