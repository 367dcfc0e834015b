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
 */
import { closeSync, fdatasync, fstatSync, openSync } from 'node:fs';

export class WalSync {
  #fd: number | undefined;

  constructor(
    private readonly walPath: string,
    /** Told how long each sync took (seconds), whether or not it succeeded. */
    private readonly onSync?: (seconds: number) => void,
  ) {}

  async sync(): Promise<void> {
    // SQLite removes the log only when its last connection closes; if it was replaced, follow it.
    if (this.#fd !== undefined && fstatSync(this.#fd).nlink === 0) this.close();
    // Read-write (never created or truncated): Windows flushes only handles opened for writing.
    this.#fd ??= openSync(this.walPath, 'r+');
    const fd = this.#fd;
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => {
        if (error) reject(error);
        else resolve();
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
