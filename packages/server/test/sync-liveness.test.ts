/**
 * Calendar sync's halt(), stop() and health(), on its real job queue (SqlJobQueue on SQLite, pg-boss
 * on PostgreSQL): halt() clears the maintenance schedule and stops the queue taking jobs; stop() lets
 * a maintenance pass under way queue its jobs first; health() reports three maintenance intervals
 * without a completed pass. The schedule's intervals and sync's clock are the test's; nothing waits
 * on time.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobSpec } from '../src/jobs/queue.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { type SyncEnv, sample, startSyncEnv } from './sync-harness.js';

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

let env: SyncEnv | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await env?.close();
  env = undefined;
});

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`calendar sync's halt() and health() (${label})`, () => {
    it('halt() clears the maintenance schedule, and the job queue takes no new job', async () => {
      // Only intervals are the test's: the maintenance schedule fires when the test says.
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 60_000 } });
      const maintenance = vi.spyOn(env.sync.syncStore.users, 'listActive');
      vi.advanceTimersByTime(60_000);
      expect(maintenance).toHaveBeenCalledTimes(1);

      env.sync.halt();
      vi.advanceTimersByTime(60_000);
      expect(maintenance).toHaveBeenCalledTimes(1);
      expect(env.sync.health()).toBe('calendar sync: the job queue takes no jobs (not started, or halted)');
      // Queued (as a webhook during the drain would) for the next start; this process runs it no more.
      await env.sync.resyncUser(randomUUID());
      await env.sync.stop();
      expect(
        sample(await env.registry.metrics(), 'roomlink_jobs_processed_total', { kind: 'graph_reconcile' }),
      ).toBe(0);
    });

    it('stop() waits for a maintenance pass under way, whose jobs are then queued for the next start', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 60_000 } });
      const user = await env.addUser();
      const users = env.sync.syncStore.users;
      // Signed in, with sync turned on: every pass looks at this user.
      expect(await users.activate(user.userId, user.tenantId, new Date())).toBe(true);
      const listActive = users.listActive.bind(users);
      const reading = deferred();
      const release = deferred();
      // The scheduled pass reads the users, then waits (a slow database) before it queues their jobs.
      vi.spyOn(users, 'listActive').mockImplementation(async () => {
        const active = await listActive();
        reading.resolve();
        await release.promise;
        return active;
      });
      const queued: JobSpec[][] = [];
      const queue = env.sync.queue;
      const enqueue = queue.enqueue.bind(queue);
      vi.spyOn(queue, 'enqueue').mockImplementation(async (jobs: readonly JobSpec[]) => {
        await enqueue(jobs);
        queued.push([...jobs]);
      });
      vi.advanceTimersByTime(60_000);
      await reading.promise;

      let stopped = false;
      const stopping = env.sync.stop().then(() => {
        stopped = true;
      });
      await settle();
      expect(stopped).toBe(false);
      release.resolve();
      await stopping;
      // The pass finished before the queue stopped: its jobs were written, not lost to a closed store.
      expect(queued).toHaveLength(1);
      expect(queued[0]).toContainEqual(expect.objectContaining({ payload: { userId: user.userId } }));
    });

    it('health() reports three maintenance intervals without a completed pass, and nothing once one completes', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      let at = 1_000_000;
      let wall = Date.now();
      env = await startSyncEnv(dialect, {
        now: () => new Date(wall),
        monotonicMs: () => at,
        tuning: { maintenanceEveryMs: 5_000 },
      });
      expect(env.sync.health()).toBeUndefined();
      // The wall clock stepped forward an hour (NTP, a resumed VM): no time passed, no pass missed.
      wall += 3_600_000;
      expect(env.sync.health()).toBeUndefined();
      at += 15_000;
      expect(env.sync.health()).toBeUndefined();
      at += 1;
      expect(env.sync.health()).toBe(
        'calendar sync: no maintenance pass (subscription renewals, scheduled reconciliations) has completed for over 15 s',
      );

      // The schedule's next pass completes.
      const queue = env.sync.queue;
      const enqueue = queue.enqueue.bind(queue);
      const passed = deferred();
      vi.spyOn(queue, 'enqueue').mockImplementation(async (jobs: readonly JobSpec[]) => {
        await enqueue(jobs);
        passed.resolve();
      });
      vi.advanceTimersByTime(5_000);
      await passed.promise;
      await settle();
      expect(env.sync.health()).toBeUndefined();
    });
  });
}
