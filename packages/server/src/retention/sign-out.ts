/**
 * What sign-out asks of retention so that the user's identifiers leave the database files when the
 * sign-out answers, not whenever later writes happen to overwrite them (identity/index.ts wires it
 * into SignInService.signOut, after the user's rows are deleted):
 *
 * - the calendar-sync jobs still queued for the user are deleted (their payloads name the user and,
 *   for change jobs, a Graph event id; a running one finishes). Otherwise each would be claimed
 *   after the sign-out, writing its payload to the log again, only to end as a no-op.
 * - SQLite: page images from before a change stay in the write-ahead log (`roomlink.sqlite-wal`)
 *   until overwritten, so the Exchange id, subscription id, event ids and the old ciphertexts of
 *   the rows sign-out deleted or cleared would stay there. As retention does after a purge
 *   (KyselyRetentionRepository.quietLog), the log is checkpointed (PASSIVE: no lock held, other
 *   writers carry on) and sign-out's last write (its audit entry) becomes the commit that restarts
 *   the log and truncates the file. The -wal file is then checked (see `logEmptied`): a reader
 *   in another process can let the checkpoint complete yet keep the log from restarting. That, or
 *   a failing log step, is logged; the audit entry is written either way, once.
 *   PostgreSQL: nothing to do at this level (old row versions are VACUUM's, see docs/privacy.md).
 */
import { open } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import pino from 'pino';
import { pgBossSchemaFor } from '../graph/index.js';
import type { SignOutTraces } from '../identity/ports.js';
import { loggerOptions } from '../observability/logger.js';
import type { Runtime } from '../runtime.js';
import { KyselyRetentionRepository, type LogSession } from '../store/repositories/retention.js';
import { KyselySyncRetentionRepository } from '../store/repositories/retention-sync.js';
import type { Database } from '../store/schema.js';
import type { RetentionLogger } from './job.js';

/**
 * A PASSIVE checkpoint is incomplete when another connection checkpoints at the same moment (the
 * store's background checkpointer, every 50 ms under load) or still reads an older snapshot: it is
 * tried again this many times, this far apart (at most 100 ms in all, holding no lock).
 */
const CHECKPOINT_ATTEMPTS = 5;
const CHECKPOINT_RETRY_MS = 20;

/** The -wal file's header, and each frame's header before its page. */
const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;

/**
 * The -wal file as sign-out checks it: the salt in its header (a restart of the log changes it,
 * and every frame written since carries a copy of it) and the salt of its last frame.
 */
interface WalFile {
  readonly size: number;
  readonly salt: string;
  /** Of the last whole frame; '' when there is none. */
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
    // Header bytes 16-23 and frame header bytes 8-15: salt-1 and salt-2. A frame another commit is
    // appending right now (in this process, while this read waits) is not whole yet: the last whole
    // one is what tells, and a frame being appended belongs to a log at least as new.
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
 * Whether the -wal file holds nothing from before `before` (read after sign-out's deletes): the
 * log was restarted since (its salt changed), and the file was truncated then, i.e. it ends with a
 * frame of the new log (a restart by a commit that does not truncate, e.g. another process's or
 * one before `truncateOnNextCommit`, writes over the first frames only and leaves older ones, with
 * the old salt, after them). No bound on the number of frames: other commits landing after the
 * audit entry append frames of the new log and change nothing to the answer.
 */
function logEmptied(before: WalFile | undefined, after: WalFile | undefined): boolean {
  if (!before || !after) return true; // no file (in memory)
  if (after.size === 0) return true;
  return after.salt !== before.salt && (after.lastFrameSalt === '' || after.lastFrameSalt === after.salt);
}

export function signOutTraces(
  runtime: Pick<Runtime, 'config' | 'store'>,
  logger?: Pick<RetentionLogger, 'warn'>,
): SignOutTraces {
  const { store } = runtime;
  // Made when first needed: most processes that compose identity never meet a busy log.
  const warn = (fields: object, message: string) =>
    (logger ?? pino(loggerOptions(runtime.config.logLevel)).child({ component: 'retention' })).warn(
      fields,
      message,
    );
  const log = new KyselyRetentionRepository(store.db, store.dialect);
  const jobs = new KyselySyncRetentionRepository(
    store.db,
    store.dialect,
    store.dialect === 'postgres' ? pgBossSchemaFor(runtime.config.databaseUrl) : undefined,
  );
  return {
    async forget(userId, lastWrite) {
      try {
        await jobs.deleteJobsOfUser(userId);
      } catch (error) {
        // The user is signed out already; the hourly `sync_jobs` sweep deletes the jobs instead.
        warn(
          { userId, err: { type: (error as Error).name } },
          "sign-out: could not delete the user's waiting sync jobs; the next retention run will",
        );
      }
      // The log steps only decide whether page images stay in the -wal file: if one fails, that is
      // logged and the audit entry is still written (exactly once), so sign-out completes.
      let session: LogSession | undefined;
      let complete = false;
      let before: WalFile | undefined;
      let failed = false;
      try {
        if (store.dialect === 'sqlite') before = await walFile(store.db);
        session = await log.quietLog();
        // Before the checkpoint: a commit of another request on this connection landing between a
        // complete checkpoint and this would restart the log without truncating it.
        await session.truncateOnNextCommit();
        for (let attempt = 1; !complete; attempt++) {
          ({ complete } = await session.checkpoint());
          if (complete || attempt === CHECKPOINT_ATTEMPTS) break;
          await new Promise((resolve) => setTimeout(resolve, CHECKPOINT_RETRY_MS));
        }
      } catch (error) {
        failed = true;
        before = undefined;
        warn(
          { userId, err: { type: (error as Error).name } },
          'sign-out: could not checkpoint the write-ahead log; page images of what sign-out removed ' +
            'may stay in it until later writes overwrite them',
        );
      }
      try {
        await lastWrite();
        if (!failed && !complete) {
          warn(
            { userId },
            'sign-out: another connection kept the write-ahead log from being checkpointed; page ' +
              'images of what sign-out removed may stay in it until later writes overwrite them',
          );
        } else if (!failed && before) {
          // A complete checkpoint does not mean the log could restart: a reader whose snapshot
          // ends at the log's last frame lets the checkpoint finish but keeps the log in use, and
          // the audit entry is then appended instead of starting (and truncating) the log.
          let truncated = false;
          try {
            truncated = logEmptied(before, await walFile(store.db));
          } catch {
            // Not known: said as not done.
          }
          if (!truncated) {
            warn(
              { userId },
              'sign-out: another connection kept the write-ahead log from being truncated; page ' +
                'images of what sign-out removed may stay in it until later writes overwrite them',
            );
          }
        }
      } finally {
        try {
          await session?.close();
        } catch (error) {
          warn(
            { userId, err: { type: (error as Error).name } },
            "sign-out: could not restore the write-ahead log's settings",
          );
        }
      }
    },
  };
}
