/**
 * A calendar sync worker built by a test, on a test sync environment's own calendar sync service,
 * sync users and field cipher.
 */
import type { SubscriptionManager } from '../../src/graph/subscriptions.js';
import { SyncWorker, type SyncWorkerDeps } from '../../src/graph/sync-worker.js';
import type { SyncEnv } from '../sync-harness.js';

/**
 * A sync worker on `env`'s calendar sync service, sync users and cipher, with the Graph client, job
 * queue, settings and hooks the test gives. It has no subscription manager: for tests that run
 * reconciliation and change jobs only.
 */
export function syncWorkerOn(
  env: SyncEnv,
  deps: Omit<SyncWorkerDeps, 'service' | 'users' | 'subscriptions' | 'cipher'>,
): SyncWorker {
  return new SyncWorker({
    service: env.sync.service,
    users: env.sync.syncStore.users,
    subscriptions: {} as SubscriptionManager,
    cipher: env.t.runtime.cipher,
    ...deps,
  });
}
