/**
 * One `roomlink serve` per SQLite database. The embedded job queue and calendar sync take the
 * process for the only one at start: the queue puts every job found running back in line
 * (requeueRunning) and sync clears every mailbox lease (releaseAllLeases). A second server on the
 * same file would do that under the first, and jobs would run twice, leases break.
 *
 * The server therefore holds an exclusive SQLite lock on a file beside the database,
 * `<database>-serve.lock`, from before it migrates until its store is closed. It is SQLite's own
 * file lock (fcntl on Unix, LockFileEx on Windows), which the operating system releases when the
 * process ends however it ends (SIGKILL included): no stale lock to clean up. Within one process,
 * SQLite keeps its connections apart itself, so a second server in the same process is refused too.
 *
 * The lock file holds no data (it stays empty) and may stay when no server runs. Nothing else may
 * open it: on Unix, closing any descriptor of a file drops every lock this process holds on it.
 * Only the server takes the lock; the commands documented to run beside it (migrate, doctor,
 * retention, exports, erasures, keys rotate) never look at it.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';

/** Another process (or another server in this one) holds the serve lock of this database. */
export class SqliteServeLockHeld extends Error {
  constructor(readonly database: string) {
    super(
      `another Roomlink process is serving ${database}; stop it, or use PostgreSQL to run several processes`,
    );
    this.name = 'SqliteServeLockHeld';
  }
}

export interface SqliteServeLock {
  /** The lock file, `<database>-serve.lock`. */
  readonly file: string;
  /** Lets go of the lock (the file stays). Once only; later calls do nothing. */
  release(): void;
}

export function serveLockFileOf(database: string): string {
  return `${database}-serve.lock`;
}

/**
 * Takes the serve lock of the SQLite database `database` (an absolute path, symbolic links
 * resolved, so that every name of one database finds one lock), or throws SqliteServeLockHeld at
 * once (no waiting) when another server holds it.
 */
export function lockSqliteForServe(database: string): SqliteServeLock {
  const file = serveLockFileOf(database);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  createPrivate(file);
  // No busy timeout: a held lock is refused at once, not after a wait.
  const connection = new SqliteDatabase(file, { timeout: 0 });
  try {
    // The rollback journal in memory: taking the lock writes no `-journal` file beside it.
    connection.pragma('journal_mode = MEMORY');
    connection.pragma('locking_mode = EXCLUSIVE');
    // An exclusive transaction, never committed: SQLite holds the file's exclusive lock until the
    // connection closes (release()) or the process ends.
    connection.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    connection.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw new SqliteServeLockHeld(database);
    throw new Error(
      `cannot lock ${file} (${error instanceof Error ? error.message : String(error)}): ` +
        'the server holds it while it runs, so that one process serves the database',
      { cause: error },
    );
  }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      // Closing rolls the transaction back (nothing was written) and drops the lock.
      connection.close();
    },
  };
}

/**
 * Creates the lock file empty with 0600 if nothing is there yet, as the database itself is created
 * (SQLite would use the umask's mode). A file already there is left alone, unopened: a descriptor
 * of it opened and closed here would drop a lock this process holds on it.
 */
function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
