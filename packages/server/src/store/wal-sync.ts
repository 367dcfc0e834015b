/**
 * Syncs SQLite's write-ahead log from libuv's thread pool instead of the event loop.
 *
 * With synchronous=FULL, SQLite fsyncs the -wal file inside COMMIT: better-sqlite3 is synchronous,
 * so the whole process waits for the disk (about a millisecond per group commit on this class of
 * machine, more under load). For group commits only, the store runs the COMMIT with
 * synchronous=NORMAL (the log frames are written, not synced) and then calls `sync()`, which
 * fdatasyncs the -wal file asynchronously. The group commit keeps the connection until `sync()`
 * has returned and only then settles its callers, so:
 * - nobody is told that a write succeeded before its log frames are on disk (as with FULL);
 * - no query of this process sees the batch's writes before they are durable (they wait for the
 *   connection);
 * - only another process (the CLI) or the checkpointer thread could read them during that
 *   window; the checkpointer syncs the log before copying it, as SQLite always does.
 * fdatasync on any descriptor of a file flushes all of that file's written pages, whoever wrote
 * them. SQLite takes no locks on the -wal file, so holding a descriptor on it is harmless.
 * If the sync fails, the batch's callers are rejected although SQLite has committed their rows:
 * their outcome is unknown, as after any failed fsync (a create retried with its idempotency key
 * returns the meeting if it is there).
 *
 * A failed sync is final (fail-stop, as PostgreSQL does since 2018): after an fdatasync error,
 * Linux may have marked the unwritten pages clean, so a later sync that succeeds would not mean
 * that the earlier frames reached the disk, and the log's checksum chain makes every later frame
 * unrecoverable without them. SQLite does not know of the failure and goes on as if the frames were
 * safe. So every later `sync()` rejects with the same error, the store refuses writes, and
 * readiness fails until Roomlink is restarted and SQLite recovers from what is on disk.
 */
import { closeSync, fdatasync, fstatSync, openSync } from 'node:fs';
import { StoreUnusableError } from './store.js';

/** The write-ahead log could not be synced: writes are refused until Roomlink restarts. */
export class WalSyncFailedError extends StoreUnusableError {
  constructor(options: { cause: unknown }) {
    super(
      'syncing the SQLite write-ahead log failed; writes are refused until Roomlink is restarted',
      options,
    );
    this.name = 'WalSyncFailedError';
  }
}

export class WalSync {
  #fd: number | undefined;
  #failure: WalSyncFailedError | undefined;

  constructor(
    private readonly walPath: string,
    /** Told how long each sync took (seconds), whether or not it succeeded. */
    private readonly onSync?: (seconds: number) => void,
    /** Told once, when a sync fails. */
    private readonly onFailure?: (failure: WalSyncFailedError) => void,
  ) {}

  /** Set by the first failed sync, for good (see above). */
  get failure(): WalSyncFailedError | undefined {
    return this.#failure;
  }

  async sync(): Promise<void> {
    if (this.#failure) throw this.#failure;
    // SQLite removes the log only when its last connection closes; if it was replaced, follow it.
    if (this.#fd !== undefined && fstatSync(this.#fd).nlink === 0) this.close();
    // Read-write (never created or truncated): Windows flushes only handles opened for writing.
    this.#fd ??= openSync(this.walPath, 'r+');
    const fd = this.#fd;
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => {
        if (error) {
          if (!this.#failure) {
            this.#failure = new WalSyncFailedError({ cause: error });
            try {
              this.onFailure?.(this.#failure);
            } catch {
              // An observer never changes the outcome.
            }
          }
          reject(this.#failure);
        } else {
          resolve();
        }
        try {
          this.onSync?.((performance.now() - started) / 1000);
        } catch {
          // An observer never fails or stalls a sync.
        }
      });
    });
  }

  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }
}
