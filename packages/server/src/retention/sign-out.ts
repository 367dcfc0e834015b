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
 *   the log and truncates the file. PostgreSQL: nothing to do at this level (old row versions are
 *   VACUUM's, see docs/privacy.md).
 */
import pino from 'pino';
import { pgBossSchemaFor } from '../graph/index.js';
import type { SignOutTraces } from '../identity/ports.js';
import { loggerOptions } from '../observability/logger.js';
import type { Runtime } from '../runtime.js';
import { KyselyRetentionRepository } from '../store/repositories/retention.js';
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
      const session = await log.quietLog();
      try {
        let complete = false;
        for (let attempt = 1; !complete; attempt++) {
          ({ complete } = await session.checkpoint());
          if (complete || attempt === CHECKPOINT_ATTEMPTS) break;
          await new Promise((resolve) => setTimeout(resolve, CHECKPOINT_RETRY_MS));
        }
        await session.truncateOnNextCommit();
        await lastWrite();
        if (!complete) {
          warn(
            { userId },
            'sign-out: another connection kept the write-ahead log from being checkpointed; page ' +
              'images of what sign-out removed may stay in it until later writes overwrite them',
          );
        }
      } finally {
        await session.close();
      }
    },
  };
}
