/**
 * Retention and the admin console as a product feature (features.ts composes it): the hourly
 * retention worker, the admin console (/admin and /api/v1/admin), and the hooks that make retention
 * cover calendar sync:
 * - erasing a user, or offboarding a tenant, first stops the user's (every user's) sync, which
 *   deletes the Graph subscription while the user's token still exists;
 * - rows sync keeps about a meeting (sync_events, sync_occurrences) go with the meeting, by their
 *   `meeting_id` column (store/repositories/retention-tables.ts);
 * - the embedded job queue's payloads name users: jobs about a user sync no longer knows, and old
 *   dead letters, are deleted by the `sync_jobs` sweep.
 */
import pino from 'pino';
import { adminPlugin } from '../admin/plugin.js';
import type { AppPlugin } from '../app.js';
import { pgBossSchemaFor } from '../graph/index.js';
import { loggerOptions } from '../observability/logger.js';
import type { Runtime } from '../runtime.js';
import type { Worker } from '../server.js';
import { KyselySyncRetentionRepository } from '../store/repositories/retention-sync.js';
import { createRetention, type Retention, type RetentionOptions } from './index.js';
import type { ExtraSweep, RetentionLogger } from './job.js';

export interface SyncHooks {
  /** Deletes the user's Graph subscription and every sync record of the user (calendar sync). */
  stopSyncForUser(userId: string): Promise<void>;
}

/**
 * The admin console needs no authenticator of its own: it reads the principal the app's
 * authenticator (the product's session authenticator) set on each request, and its isTenantAdmin.
 */
export interface RetentionFeatureDeps extends SyncHooks {
  readonly logger?: RetentionLogger;
  /** Test seams: the worker's schedule and clock. */
  readonly worker?: RetentionOptions['worker'];
}

export interface RetentionFeature {
  readonly plugins: AppPlugin[];
  readonly workers: Worker[];
  readonly retention: Retention;
}

/**
 * The options that make retention stop and purge calendar sync's data (also used by the CLI, which
 * has no running sync: there `stopSyncForUser` may be absent and sync's rows are still deleted).
 */
export function syncRetentionOptions(
  runtime: Runtime,
  sync: Partial<SyncHooks>,
  logger: RetentionLogger,
): Pick<RetentionOptions, 'extraSweeps' | 'beforeErase' | 'beforeTenantPurge'> {
  const repo = new KyselySyncRetentionRepository(
    runtime.store.db,
    runtime.store.dialect,
    runtime.store.dialect === 'postgres' ? pgBossSchemaFor(runtime.config.databaseUrl) : undefined,
  );
  const stop = async (userId: string) => {
    if (sync.stopSyncForUser) {
      try {
        await sync.stopSyncForUser(userId);
      } catch (error) {
        // The rows are deleted anyway (by user_id); a subscription left at Graph expires by itself
        // and its notifications, for an unknown subscription, are discarded.
        logger.warn(
          { userId, err: { type: (error as Error).name } },
          'retention: could not stop calendar sync for a user; deleting its records anyway',
        );
      }
    }
    await repo.deleteJobsOfUser(userId);
  };
  const jobsSweep: ExtraSweep = {
    name: 'sync_jobs',
    run: (asOf, limit) => repo.deleteStaleJobs(asOf, limit),
  };
  return {
    extraSweeps: [jobsSweep],
    beforeErase: stop,
    beforeTenantPurge: async (tenantId) => {
      for (const userId of await repo.syncedUsers(tenantId)) await stop(userId);
    },
  };
}

export function retentionFeature(runtime: Runtime, deps: RetentionFeatureDeps): RetentionFeature {
  const logger =
    deps.logger ?? pino(loggerOptions(runtime.config.logLevel)).child({ component: 'retention' });
  const retention = createRetention(runtime, {
    logger,
    ...syncRetentionOptions(runtime, deps, logger),
    ...(deps.worker ? { worker: deps.worker } : {}),
  });
  return {
    retention,
    plugins: [adminPlugin({ runtime, retention })],
    workers: [retention.worker],
  };
}
