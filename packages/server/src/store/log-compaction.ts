/**
 * Empties SQLite's write-ahead log after a change whose old page images must not stay in the
 * database's files: `roomlink keys rotate` rewraps every tenant data key, and until the log is
 * restarted the -wal file still holds the rows as they were, i.e. the data keys wrapped with the
 * master key rotation just retired (whoever kept a copy of that key opens them from the file).
 *
 * The same steps as sign-out (src/retention/sign-out.ts), on KyselyRetentionRepository.quietLog:
 * PASSIVE checkpoints (no lock held, the running server's writers carry on; tried again while its
 * checkpointer or a reader is in the way), then the caller's last write restarts the log and, with
 * journal_size_limit 0, truncates its file. No `wal_checkpoint(TRUNCATE)`: it would hold every
 * writer of the running server back while it waits for that server's readers. Whether the log did
 * restart is read from the -wal file afterwards: a reader in another process can let the
 * checkpoint complete yet keep the log in use, and the last write is then appended to it instead.
 *
 * PostgreSQL: nothing to do at this level; old row versions stay until VACUUM FULL (the caller
 * says so, see docs/operations.md).
 */
import { open } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import type { DialectName } from './database.js';
import { KyselyRetentionRepository, type LogSession } from './repositories/retention.js';
import type { Database } from './schema.js';

/**
 * - `emptied`: nothing written before `lastWrite` is left in the -wal file (or there is none).
 * - `busy`: another connection kept the checkpoint from completing.
 * - `kept`: the checkpoint completed, but a reader kept the log from restarting.
 * - `failed`: a log step failed (`error`); `lastWrite` was still run.
 * (A -wal file that cannot be read afterwards counts as `kept`: not known to be emptied.)
 * - `postgres`: not SQLite.
 */
export type LogCompaction =
  | { readonly outcome: 'emptied' | 'busy' | 'kept' | 'postgres' }
  | { readonly outcome: 'failed'; readonly error: unknown };

export interface LogCompactionOptions {
  /** PASSIVE checkpoints tried before giving up, and the pause between two; default 5 × 20 ms. */
  readonly attempts?: number;
  readonly retryMs?: number;
  /** Told when the connection's log settings could not be restored afterwards (nothing is lost). */
  readonly onRestoreFailed?: (error: unknown) => void;
}

/**
 * Runs `lastWrite` (exactly once, whatever the log steps do) as the commit that restarts and
 * truncates the log, and says whether the log was emptied. A failing `lastWrite` is thrown.
 */
export async function emptyLogWith(
  store: { readonly db: Kysely<Database>; readonly dialect: DialectName },
  lastWrite: () => Promise<void>,
  options: LogCompactionOptions = {},
): Promise<LogCompaction> {
  const attempts = options.attempts ?? 5;
  const retryMs = options.retryMs ?? 20;
  let session: LogSession | undefined;
  let before: WalFile | undefined;
  let complete = false;
  let failure: { error: unknown } | undefined;
  try {
    try {
      // (PostgreSQL: quietLog's session does nothing; the steps are the same for both dialects.)
      if (store.dialect === 'sqlite') before = await walFile(store.db);
      session = await new KyselyRetentionRepository(store.db, store.dialect).quietLog();
      // Before the checkpoint: a commit on this connection landing between a complete checkpoint
      // and `lastWrite` would restart the log without truncating it.
      await session.truncateOnNextCommit();
      for (let attempt = 1; ; attempt++) {
        ({ complete } = await session.checkpoint());
        if (complete || attempt >= attempts) break;
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    } catch (error) {
      failure = { error };
    }
    await lastWrite();
    if (failure) return { outcome: 'failed', error: failure.error };
    if (!complete) return { outcome: 'busy' };
    if (store.dialect !== 'sqlite') return { outcome: 'postgres' };
    let emptied = false;
    try {
      emptied = logEmptied(before, await walFile(store.db));
    } catch {
      // Not known: said as not done.
    }
    return { outcome: emptied ? 'emptied' : 'kept' };
  } finally {
    // The connection's own settings only; a failure here leaves nothing in the log.
    await session?.close().catch((error: unknown) => options.onRestoreFailed?.(error));
  }
}

/** The -wal file's header, and each frame's header before its page. */
const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;

/**
 * The salt in the -wal file's header (a restart of the log changes it, and every frame written
 * since carries a copy of it) and the salt of its last whole frame.
 */
interface WalFile {
  readonly size: number;
  readonly salt: string;
  /** '' when there is no whole frame. */
  readonly lastFrameSalt: string;
}

async function walFile(db: Kysely<Database>): Promise<WalFile | undefined> {
  const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
  const file = rows.find((r) => r.name === 'main')?.file;
  if (!file) return undefined; // in memory: no file
  const page = await sql<{ page_size: number }>`pragma page_size`.execute(db);
  const frameBytes = WAL_FRAME_HEADER_BYTES + Number(page.rows[0]?.page_size ?? 4096);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(`${file}-wal`, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, salt: '', lastFrameSalt: '' };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const at = async (offset: number) => {
      const bytes = Buffer.alloc(8);
      const { bytesRead } = await handle.read(bytes, 0, 8, offset);
      return bytesRead === 8 ? bytes.toString('hex') : '';
    };
    // Header bytes 16-23 and frame header bytes 8-15: salt-1 and salt-2. A frame being appended by
    // the server right now is not whole yet, and belongs to a log at least as new as the last one.
    const frames = Math.max(0, Math.floor((size - WAL_HEADER_BYTES) / frameBytes));
    return {
      size,
      salt: await at(16),
      lastFrameSalt: frames === 0 ? '' : await at(WAL_HEADER_BYTES + (frames - 1) * frameBytes + 8),
    };
  } finally {
    await handle.close();
  }
}

/**
 * Emptied: the log was restarted since `before` (its salt changed) and its file truncated then,
 * i.e. it ends with a frame of the new log. A restart that does not truncate (another process's
 * commit) writes over the first frames only and leaves older ones, with the old salt, after them.
 * Frames other commits append after `lastWrite` belong to the new log and change nothing.
 */
function logEmptied(before: WalFile | undefined, after: WalFile | undefined): boolean {
  if (!before || !after) return true;
  if (after.size === 0) return true;
  return after.salt !== before.salt && (after.lastFrameSalt === '' || after.lastFrameSalt === after.salt);
}
