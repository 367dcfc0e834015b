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
import pino from 'pino';
import { pgBossSchemaFor } from '../graph/index.js';
import type { SignOutTraces } from '../identity/ports.js';
import { loggerOptions } from '../observability/logger.js';
import type { Runtime } from '../runtime.js';
import { emptyLogWith } from '../store/log-compaction.js';
import { KyselySyncRetentionRepository } from '../store/repositories/retention-sync.js';
import type { RetentionLogger } from './job.js';

/**
 * A PASSIVE checkpoint is incomplete when another connection checkpoints at the same moment (the
 * store's background checkpointer, every 50 ms under load) or still reads an older snapshot: it is
 * tried again this many times, this far apart (at most 100 ms in all, holding no lock).
 */
const CHECKPOINT_ATTEMPTS = 5;
const CHECKPOINT_RETRY_MS = 20;

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
      const kept = 'page images of what sign-out removed may stay in it until later writes overwrite them';
      const result = await emptyLogWith(store, lastWrite, {
        attempts: CHECKPOINT_ATTEMPTS,
        retryMs: CHECKPOINT_RETRY_MS,
        onRestoreFailed: (error) =>
          warn(
            { userId, err: { type: (error as Error).name } },
            "sign-out: could not restore the write-ahead log's settings",
          ),
      });
      if (result.outcome === 'failed') {
        warn(
          { userId, err: { type: (result.error as Error).name } },
          `sign-out: could not checkpoint the write-ahead log; ${kept}`,
        );
      } else if (result.outcome === 'busy') {
        warn(
          { userId },
          `sign-out: another connection kept the write-ahead log from being checkpointed; ${kept}`,
        );
      } else if (result.outcome === 'kept') {
        // A complete checkpoint does not mean the log could restart: a reader whose snapshot ends
        // at the log's last frame lets the checkpoint finish but keeps the log in use, and the
        // audit entry is then appended instead of starting (and truncating) the log.
        warn(
          { userId },
          `sign-out: another connection kept the write-ahead log from being truncated; ${kept}`,
        );
      }
    },
  };
}
