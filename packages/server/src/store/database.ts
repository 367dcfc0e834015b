/**
 * Opens the database named by DATABASE_URL with the matching Kysely dialect. The rest of the store
 * is dialect-neutral Kysely; this is the one place that knows SQLite from PostgreSQL.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type QueryResult,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import pg from 'pg';
import { Checkpointer } from './checkpointer.js';
import { registerDirectRunner, unregisterDirectRunner } from './precompiled.js';
import type { Database } from './schema.js';
import { timedClient } from './timed-pg-client.js';
import { WalSync } from './wal-sync.js';
import { type ControlStep, registerWriteBatcher, WriteBatcher } from './write-batcher.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Human-readable location without credentials, for logs and `roomlink doctor`. */
  readonly location: string;
  /** Why the database refuses writes for good (SQLite: a failed log sync, see wal-sync.ts). */
  readonly failure?: () => Error | undefined;
}

export interface OpenOptions {
  /** PostgreSQL only: schema to use (created if missing); lets test suites run side by side. */
  readonly schema?: string;
  readonly poolSize?: number;
  /** SQLite only: FULL (default) survives power loss; NORMAL survives process crashes only. */
  readonly sqliteSynchronous?: 'FULL' | 'NORMAL';
  /**
   * SQLite only: group commit of store transactions and queue inserts (see write-batcher.ts);
   * default true. Durability is the same either way; off, every write unit pays its own fsync.
   */
  readonly groupCommit?: boolean;
  /** Told of the store's group commits and log syncs (SQLite), e.g. for metrics. */
  readonly observer?: StoreObserver;
  /**
   * SQLite only: open the file only if it exists, creating neither it nor its directory, and
   * leave its journal mode as it is (`roomlink doctor` checks: switching an empty file or a
   * rollback-journal database to WAL writes to it; the server and `roomlink migrate` create the
   * database and set WAL).
   */
  readonly mustExist?: boolean;
}

/** What the store reports about its own work, for metrics. */
export interface StoreObserver {
  /** A group commit ended: its write units, its time from BEGIN until its callers were answered. */
  groupCommit(units: number, seconds: number, committed: boolean): void;
  /** One sync of SQLite's write-ahead log (fdatasync) for a group commit, and how long it took. */
  logSync(seconds: number): void;
  /** The first failed log sync: from now on the store refuses writes (see wal-sync.ts). */
  logSyncFailed?(error: Error): void;
}

export function openDatabase(url: string, options: OpenOptions = {}): OpenDatabase {
  if (url.startsWith('sqlite:'))
    return openSqlite(
      url.slice('sqlite:'.length),
      options.sqliteSynchronous ?? 'FULL',
      options.groupCommit ?? true,
      options.observer,
      options.mustExist ?? false,
    );
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
 * - temp_store=MEMORY: the group commit's savepoints keep their undo pages (the sub-journal) in
 *   memory. Every page a unit changes is copied there first; by default the sub-journal moves to
 *   a temporary file once it passes 64 KiB, which a meeting create (a dozen pages or more) reaches, and
 *   from then on every page costs a pwrite until the transaction ends (12 % of the server's CPU
 *   in a perf profile). Measured (2026-11-29, bench/meetings-bench.mjs, alternating runs):
 *   0.39–0.41 → 0.35 ms CPU per create. (The webhook's job inserts run without a savepoint,
 *   see write-batcher.ts. Temporary tables and sorts of large queries also stay in memory;
 *   Roomlink's queries are bounded.)
 */
function openSqlite(
  file: string,
  synchronous: 'FULL' | 'NORMAL',
  groupCommit: boolean,
  observer: StoreObserver | undefined,
  mustExist: boolean,
): OpenDatabase {
  const memory = file === ':memory:';
  if (!memory && !mustExist) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new SqliteDatabase(file, { fileMustExist: mustExist });
  if (!memory && !mustExist) database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${synchronous}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('secure_delete = ON');
  database.pragma('temp_store = MEMORY');
  // Started once writes are sustained, so that short-lived stores (CLI, tests) do without a thread.
  const checkpointer = memory ? undefined : new Checkpointer({ file: path.resolve(file), synchronous });
  // FULL: group commits sync the log off the event loop (see wal-sync.ts); same guarantee.
  const walSync =
    groupCommit && !memory && synchronous === 'FULL'
      ? new WalSync(
          `${path.resolve(file)}-wal`,
          observer && ((seconds) => observer.logSync(seconds)),
          (failure) => {
            // Besides the guard below and the batch check: SQLite itself then refuses writes on
            // this connection, whatever path they take.
            try {
              database.pragma('query_only = ON');
            } finally {
              observer?.logSyncFailed?.(failure);
            }
          },
        )
      : undefined;
  const cached = withStatementCache(database, () => {
    checkpointer?.stop();
    walSync?.close();
  });
  const connection: ConnectionState = {
    held: false,
    // After a failed log sync only reads go through, and a refused write says why (see wal-sync.ts).
    refusal: (sqlText) => {
      const failure = walSync?.failure;
      if (!failure) return undefined;
      try {
        return cached.prepare(sqlText).reader ? undefined : failure;
      } catch {
        return undefined; // not valid SQL: running it reports that
      }
    },
  };
  const db = new Kysely<Database>({
    dialect: new HeldConnectionSqliteDialect({ database: cached }, connection),
  });
  // A precompiled read while nobody holds the connection runs at once, without Kysely's executor
  // and connection mutex around it: nothing can run between its start and its end (it is
  // synchronous), and with no holder there is no transaction, so it reads committed, durable rows.
  registerDirectRunner(db, (query) => {
    if (connection.held || database.inTransaction) return undefined;
    const statement = cached.prepare(query.sql);
    return statement.reader ? runStatement(statement, query) : undefined;
  });
  if (groupCommit) {
    let commits = 0;
    const onCommit = () => {
      if (++commits !== CHECKPOINTER_AFTER_COMMITS || !checkpointer) return;
      checkpointer.start();
      // The worker now keeps the log short; SQLite's own checkpoint (run inside a COMMIT, on the
      // event loop) stays as the fallback, at a longer log. Left alone when someone changed it
      // (a retention run pauses it). Runs inside the batch, which holds the connection.
      // Never fails the COMMIT that has just succeeded: at worst the default threshold stays.
      try {
        if (database.pragma('wal_autocheckpoint', { simple: true }) === SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES)
          database.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      } catch {}
    };
    registerWriteBatcher(
      db,
      new WriteBatcher(
        sqliteBatchHost(db, cached.prepare, () => database.inTransaction, onCommit, walSync),
        observer
          ? { onBatch: (units, seconds, committed) => observer.groupCommit(units, seconds, committed) }
          : {},
      ),
    );
  }
  return {
    db,
    dialect: 'sqlite',
    location: memory ? 'sqlite::memory:' : `sqlite:${path.resolve(file)}`,
    failure: () => walSync?.failure,
  };
}

const CONTROL: Readonly<Record<ControlStep, string>> = {
  // IMMEDIATE: take the write lock at once, so that COMMIT cannot meet SQLITE_BUSY from another
  // process (the CLI) after the batch's work is done.
  begin: 'begin immediate',
  commit: 'commit',
  rollback: 'rollback',
  savepoint: 'savepoint roomlink_unit',
  release: 'release roomlink_unit',
  rollbackTo: 'rollback to roomlink_unit',
};
const UNSYNCED = 'pragma synchronous = NORMAL';
const SYNCED = 'pragma synchronous = FULL';

/** Group commits after which the background checkpointer starts (see checkpointer.ts). */
const CHECKPOINTER_AFTER_COMMITS = 200;
/**
 * SQLite's automatic checkpoint threshold once the background checkpointer runs (default 1000
 * pages). At ~150 log pages per group commit of creates, 1000 pages made every seventh COMMIT copy
 * the log on the event loop; measured (2026-11-29): COMMIT mean 1.58 → 1.03 ms with 4000.
 */
const FALLBACK_AUTOCHECKPOINT_PAGES = 4000;
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * The batcher holds Kysely's one SQLite connection for a whole batch (other queries wait).
 * With `walSync`, the batch's COMMIT runs with synchronous=NORMAL and the log is synced by
 * `walSync` before the commit step returns; FULL is restored before the connection is released,
 * so every other write of this connection keeps synchronous=FULL.
 *
 * The control statements (up to two per unit, a few per batch) run directly on the better-sqlite3
 * handle, as cached prepared statements: the batcher holds Kysely's connection, so nothing else
 * runs between them, and going through Kysely's executor cost more than the statements themselves.
 */
function sqliteBatchHost(
  db: Kysely<Database>,
  prepare: (sqlText: string) => SqliteDatabase.Statement,
  inTransaction: () => boolean,
  onCommit: () => void,
  walSync?: WalSync,
) {
  const run = (sqlText: string) => {
    prepare(sqlText).run();
  };
  const runDirect = (query: CompiledQuery) => runStatement(prepare(query.sql), query);
  return {
    withConnection: <T>(fn: (connection: Kysely<Database>) => Promise<T>) =>
      db.connection().execute(async (connection) => {
        // Held for the whole batch: its precompiled queries may run straight on the connection.
        registerDirectRunner(connection, runDirect);
        try {
          return await fn(connection);
        } finally {
          unregisterDirectRunner(connection);
        }
      }),
    inTransaction,
    control: async (_connection: Kysely<Database>, step: ControlStep) => {
      // After a failed log sync nothing more is written (see wal-sync.ts): say why at once.
      if (step === 'begin' && walSync?.failure) throw walSync.failure;
      // (The safety level cannot change inside a transaction: set before BEGIN, reset after.)
      if (step === 'begin' && walSync) run(UNSYNCED);
      if (!walSync || (step !== 'commit' && step !== 'rollback')) {
        run(CONTROL[step]);
      } else if (step === 'commit') {
        // A failing COMMIT leaves the transaction to the batcher's ROLLBACK, which restores FULL.
        run(CONTROL.commit);
        try {
          // Durable before the batcher hears that COMMIT succeeded and settles its callers.
          await walSync.sync();
        } finally {
          run(SYNCED);
        }
      } else {
        try {
          run(CONTROL.rollback);
        } finally {
          run(SYNCED);
        }
      }
      if (step === 'commit') onCommit();
    },
  };
}

/** What Kysely's SqliteConnection.executeQuery does, without the executor around it. */
function runStatement(statement: SqliteDatabase.Statement, query: CompiledQuery): QueryResult<unknown> {
  if (statement.reader) return { rows: statement.all(query.parameters as unknown[]) };
  const { changes, lastInsertRowid } = statement.run(query.parameters as unknown[]);
  return {
    numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
    insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    rows: [],
  };
}

/**
 * Kysely prepares every query anew; preparing costs as much as running a small statement, and the
 * store issues a handful of distinct statements over and over. Prepared statements are reusable,
 * so they are kept per SQL text (bounded, least recently used first out).
 */
function withStatementCache(database: SqliteDatabase.Database, onClose: () => void, size = 256) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      onClose();
      database.close();
    },
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

/** What the store's SQLite dialect shares with the rest of openSqlite. */
interface ConnectionState {
  /** Someone holds the one connection. */
  held: boolean;
  /** Why this statement may not run now, if it may not. */
  readonly refusal: (sqlText: string) => Error | undefined;
}

/** Kysely's SQLite dialect, telling whether someone holds its one connection. */
class HeldConnectionSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly connection: ConnectionState,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new HeldConnectionSqliteDriver(this.config, this.connection);
  }
}

class HeldConnectionSqliteDriver extends SqliteDriver {
  #guarded: GuardedConnection | undefined;

  constructor(
    config: SqliteDialectConfig,
    private readonly connection: ConnectionState,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const acquired = await super.acquireConnection();
    this.connection.held = true;
    if (this.#guarded?.inner !== acquired) this.#guarded = new GuardedConnection(acquired, this.connection);
    return this.#guarded;
  }

  override releaseConnection(): Promise<void> {
    this.connection.held = false;
    return super.releaseConnection();
  }
}

/** The one SQLite connection, running a statement only if the store does not refuse it. */
class GuardedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly state: ConnectionState,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const refused = this.state.refusal(query.sql);
    return refused ? Promise.reject(refused) : this.inner.executeQuery<R>(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    // Kysely streams selects only.
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

function openPostgres(url: string, options: OpenOptions): OpenDatabase {
  const parsed = new URL(url);
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('invalid schema name');
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    Client: timedClient(url),
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
  // A Unix socket's directory may come as a host parameter (postgres:///roomlink?host=/run/postgresql).
  const socket = parsed.searchParams.get('host');
  const location = `${parsed.protocol}//${parsed.host}${parsed.pathname}${socket ? `?host=${socket}` : ''}`;
  return { db, dialect: 'postgres', location };
}
