/**
 * How the jobs of one mailbox run. The lease: two jobs of one mailbox never run at once, whether they
 * are in one process or two, and a job that outlasts the lease's length keeps it. Failures: one event
 * Graph will not return does not hold back a reconciliation. Graph is a stand-in that holds its answer
 * until the test lets it go, so "the first job is still running" is a fact, not a timing guess; the
 * lease clock is a test clock.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GraphClient } from '../src/graph/graph-client.js';
import { GraphError } from '../src/graph/graph-client.js';
import { JOB, LeaseLostError, type SyncWorkerDeps } from '../src/graph/sync-worker.js';
import { type JobQueue, type JobSpec, PermanentJobError } from '../src/jobs/queue.js';
import { withSyncTables } from '../src/store/repositories/sync-tables.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { syncWorkerOn } from './support/sync-worker.js';
import { ADDIN_ID, eventually, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

const LEASE_MS = 30_000;
const CONTEXT = { id: 'job', attempt: 1 };

/**
 * A Graph that counts event reads and answers each only when released: with `answers` in turn, then
 * 404 (the event is gone).
 */
function heldGraph(answers: readonly unknown[] = []) {
  const waiting: Array<() => void> = [];
  const queued = [...answers];
  const graph = {
    reads: 0,
    async request() {
      graph.reads++;
      await new Promise<void>((resolve) => waiting.push(resolve));
      const body = queued.shift();
      if (body === undefined) throw new GraphError(404, 'ErrorItemNotFound');
      return { status: 200, headers: new Headers(), body };
    },
    releaseAll() {
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
  return graph;
}

function recordingQueue(): JobQueue & { readonly added: JobSpec[] } {
  const added: JobSpec[] = [];
  return {
    backend: 'sql',
    added,
    async enqueue(jobs) {
      added.push(...jobs);
    },
    async start() {},
    async stop() {},
    async counts() {
      return [];
    },
  };
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`calendar sync mailbox lease (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;
    const clock = { ms: Date.parse('2026-12-01T09:00:00Z') };

    /** A worker as one process has it; `queue` records the jobs it puts back. */
    function worker(
      graph: object,
      queue: JobQueue,
      leaseRenewMs = 60_000,
      extra: {
        maxLeaseHoldMs?: number;
        log?: SyncWorkerDeps['log'];
        allowedTenants?: readonly string[];
      } = {},
    ) {
      return syncWorkerOn(env, {
        graph: graph as unknown as GraphClient,
        queue,
        settings: {
          addinId: ADDIN_ID,
          leaseMs: LEASE_MS,
          leaseRenewMs,
          ...(extra.maxLeaseHoldMs ? { maxLeaseHoldMs: extra.maxLeaseHoldMs } : {}),
          ...(extra.allowedTenants ? { allowedTenants: extra.allowedTenants } : {}),
        },
        now: () => new Date(clock.ms),
        ...(extra.log ? { log: extra.log } : {}),
      }).handlers();
    }

    async function leaseUntil(): Promise<string | null> {
      const row = await withSyncTables(env.t.runtime.store.db)
        .selectFrom('sync_users')
        .select('lease_until')
        .where('user_id', '=', user.userId)
        .executeTakeFirstOrThrow();
      return row.lease_until;
    }

    beforeAll(async () => {
      env = await startSyncEnv(dialect, { start: false });
      user = await env.addUser();
      await env.sync.syncStore.users.activate(user.userId, user.tenantId, new Date(clock.ms));
    });
    afterAll(async () => env?.close());
    afterEach(() => vi.restoreAllMocks());

    it('leaves the mailboxes of a tenant taken off ROOMLINK_ALLOWED_TENANTS alone', async () => {
      // A Graph that answers at once (the event is gone), so that a read shows as a count, not a wait.
      const answering = {
        reads: 0,
        async request() {
          answering.reads++;
          throw new GraphError(404, 'ErrorItemNotFound');
        },
      };
      const queue = recordingQueue();
      const elsewhere = worker(answering, queue, 60_000, {
        allowedTenants: ['f0f0f0f0-0000-4000-8000-000000000001'],
      });
      const outcomes = await Promise.allSettled([
        elsewhere[JOB.change]?.({ userId: user.userId, eventId: 'not-allowed' }, CONTEXT),
        elsewhere[JOB.reconcile]?.({ userId: user.userId }, CONTEXT),
      ]);
      expect(answering.reads).toBe(0);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(queue.added).toEqual([]);
      expect(await leaseUntil()).toBeNull();
      // On the list, the same job reads Graph.
      const graph = heldGraph();
      const listed = worker(graph, queue, 60_000, { allowedTenants: [user.tenantId] });
      const run = listed[JOB.change]?.({ userId: user.userId, eventId: 'allowed' }, CONTEXT);
      await eventually(() => graph.reads === 1, 5000, 'the job to reach Graph');
      graph.releaseAll();
      await run;
    });

    it('puts back a second job of the same mailbox in the same process while the first runs', async () => {
      const graph = heldGraph();
      const queue = recordingQueue();
      const handlers = worker(graph, queue);
      const first = handlers[JOB.change]?.({ userId: user.userId, eventId: 'first' }, CONTEXT);
      await eventually(() => graph.reads === 1, 5000, 'the first job to reach Graph');

      await handlers[JOB.change]?.({ userId: user.userId, eventId: 'second' }, CONTEXT);
      expect(graph.reads).toBe(1);
      expect(queue.added).toEqual([
        expect.objectContaining({
          kind: JOB.change,
          payload: { userId: user.userId, eventId: 'second', putBacks: 1, failedAttempts: 0 },
          delayMs: 200,
        }),
      ]);
      // Put back again and again while the mailbox stays busy: each wait doubles, so a burst of jobs
      // for one mailbox does not spin; the attempts a run failed before travel with it.
      const putBack = queue.added[0]?.payload ?? {};
      await handlers[JOB.change]?.(putBack, { id: 'job-2', attempt: 3 });
      expect(queue.added[1]).toEqual(
        expect.objectContaining({
          payload: { userId: user.userId, eventId: 'second', putBacks: 2, failedAttempts: 2 },
          delayMs: 400,
        }),
      );
      expect(graph.reads).toBe(1);

      graph.releaseAll();
      await first;
      expect(await leaseUntil()).toBeNull();
      // With the lease released, the put-back job runs.
      const again = handlers[JOB.change]?.({ userId: user.userId, eventId: 'second' }, CONTEXT);
      await eventually(() => graph.reads === 2, 5000, 'the second job to reach Graph');
      graph.releaseAll();
      await again;
    });

    it('keeps the lease of a job that runs longer than the lease, so another process waits', async () => {
      const graph = heldGraph();
      const handlers = worker(graph, recordingQueue(), 20);
      const start = clock.ms;
      const running = handlers[JOB.change]?.({ userId: user.userId, eventId: 'slow' }, CONTEXT);
      await eventually(() => graph.reads === 1, 5000, 'the job to reach Graph');
      expect(await leaseUntil()).toBe(new Date(start + LEASE_MS).toISOString());

      // Most of the lease passes while the job waits on Graph (say, a throttled mailbox); it renews.
      clock.ms = start + LEASE_MS - 5_000;
      const renewed = new Date(clock.ms + LEASE_MS).toISOString();
      await eventually(async () => (await leaseUntil()) === renewed, 5000, 'the lease to be renewed');

      // Past the first lease's end, another process's worker must still find the mailbox busy.
      clock.ms = start + LEASE_MS + 5_000;
      const otherGraph = heldGraph();
      const otherQueue = recordingQueue();
      await worker(otherGraph, otherQueue)[JOB.change]?.({ userId: user.userId, eventId: 'other' }, CONTEXT);
      expect(otherGraph.reads).toBe(0);
      expect(otherQueue.added).toHaveLength(1);

      graph.releaseAll();
      await running;
      expect(await leaseUntil()).toBeNull();
    });

    it('finishes a reconciliation when one event of a batch fails, and retries that event alone', async () => {
      const queue = recordingQueue();
      const graph = {
        async *pages() {
          yield {
            value: [{ id: 'broken' }, { id: 'fine' }],
            deltaLink: 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=round-1',
          };
        },
        async batch(_userId: string, items: ReadonlyArray<{ id: string }>) {
          return new Map([
            [items[0]?.id ?? '', { status: 500, body: { error: { code: 'generalException' } } }],
            [items[1]?.id ?? '', { status: 404, body: { error: { code: 'ErrorItemNotFound' } } }],
          ]);
        },
      };
      const handlers = worker(graph, queue);

      await handlers[JOB.reconcile]?.({ userId: user.userId }, CONTEXT);

      expect(queue.added).toEqual([
        {
          kind: JOB.change,
          payload: { userId: user.userId, eventId: 'broken', retryOf: 'reconcile' },
          delayMs: 5_000,
        },
      ]);
      const after = await env.sync.syncStore.users.find(user.userId);
      expect(after?.deltaLinkCt).toBeTruthy();
      expect(after?.lastReconciledAt).toBe(new Date(clock.ms).toISOString());
    });

    it("follows a series master's notification with a delta round, but not a round's own retry of it", async () => {
      // A series with no meeting: applying it changes nothing, and reads nothing more.
      const master = {
        id: 'master-1',
        type: 'seriesMaster',
        subject: 'Weekly',
        changeKey: 'ck-1',
        lastModifiedDateTime: '2026-12-01T08:00:00Z',
        start: { dateTime: '2026-12-02T10:00:00.0000000', timeZone: 'UTC' },
        end: { dateTime: '2026-12-02T11:00:00.0000000', timeZone: 'UTC' },
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['wednesday'] },
          range: { type: 'noEnd', startDate: '2026-12-02', recurrenceTimeZone: 'UTC' },
        },
        body: { contentType: 'html', content: '<p>Agenda</p>' },
      };
      const graph = {
        async request() {
          return { status: 200, body: master };
        },
      };
      const queue = recordingQueue();
      const handlers = worker(graph, queue);

      // Graph tells a change to one occurrence under its master's id: only a round names which.
      await handlers[JOB.change]?.({ userId: user.userId, eventId: 'master-1' }, CONTEXT);
      expect(queue.added).toEqual([
        { kind: JOB.reconcile, payload: { userId: user.userId }, dedupeKey: user.userId },
      ]);

      // A round retrying the master alone must not start another round (which could retry it again).
      queue.added.length = 0;
      await handlers[JOB.change]?.(
        { userId: user.userId, eventId: 'master-1', retryOf: 'reconcile' },
        CONTEXT,
      );
      expect(queue.added).toEqual([]);
    });

    it('ends a reconciliation whose mailbox Graph throttled for long, instead of retrying each event alone', async () => {
      const queue = recordingQueue();
      const occurrence = (id: string) => ({
        id,
        type: 'occurrence',
        seriesMasterId: 'master-1',
        start: { dateTime: '2026-12-02T10:00:00.0000000', timeZone: 'UTC' },
        end: { dateTime: '2026-12-02T11:00:00.0000000', timeZone: 'UTC' },
      });
      const graph = {
        requests: 0,
        async *pages() {
          yield {
            value: [{ id: 'occ-1' }, { id: 'occ-2' }],
            deltaLink: 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=round-1',
          };
        },
        async batch(_userId: string, items: ReadonlyArray<{ id: string }>) {
          return new Map(
            items.map((item, i) => [item.id, { status: 200, body: occurrence(`occ-${i + 1}`) }]),
          );
        },
        // The series master's read: the mailbox is paused for an hour (GraphClient hands that back).
        async request() {
          graph.requests++;
          throw new GraphError(429, 'mailbox_paused', 3_600_000);
        },
      };
      const handlers = worker(graph, queue);

      await expect(handlers[JOB.reconcile]?.({ userId: user.userId }, CONTEXT)).rejects.toMatchObject({
        status: 429,
        retryAfterMs: 3_600_000,
      });
      // The whole job goes back to the queue (which waits out retryAfterMs); no job per event.
      expect(queue.added).toEqual([]);
      expect(graph.requests).toBe(1);
    });

    it('dead-letters a put-back job whose earlier runs used up its attempts, without touching Graph', async () => {
      const graph = heldGraph();
      const run = worker(graph, recordingQueue())[JOB.change]?.(
        { userId: user.userId, eventId: 'flaky', putBacks: 3, failedAttempts: 8 },
        { id: 'job-3', attempt: 1 },
      );
      await expect(run).rejects.toBeInstanceOf(PermanentJobError);
      expect(graph.reads).toBe(0);
      expect(await leaseUntil()).toBeNull();
    });

    it('stops renewing the lease of a run that outlasts the longest hold, and stops the run once that lease ran out', async () => {
      const graph = heldGraph();
      const warnings: string[] = [];
      const log = { warn: (_: object, msg: string) => warnings.push(msg), info: () => undefined };
      const applied = vi.spyOn(env.sync.service, 'applyDeleted');
      const handlers = worker(graph, recordingQueue(), 20, { maxLeaseHoldMs: 60_000, log });
      const start = clock.ms;
      const running = handlers[JOB.change]?.({ userId: user.userId, eventId: 'hung' }, CONTEXT);
      await eventually(() => graph.reads === 1, 5000, 'the job to reach Graph');
      clock.ms = start + 50_000;
      const renewed = new Date(clock.ms + LEASE_MS).toISOString();
      await eventually(async () => (await leaseUntil()) === renewed, 5000, 'a renewal within the hold');

      clock.ms = start + 61_000;
      await eventually(() => warnings.some((w) => w.includes('ran too long')), 5000, 'the give-up warning');
      // No renewal after giving up: the lease still ends where the last renewal put it.
      expect(await leaseUntil()).toBe(renewed);
      // Past that end another run may hold the mailbox, and nobody told this one: it writes nothing.
      clock.ms = Date.parse(renewed);
      graph.releaseAll();
      await expect(running).rejects.toBeInstanceOf(LeaseLostError);
      expect(applied).not.toHaveBeenCalled();
    });

    it('keeps renewing the lease of a long run that makes progress, past the longest hold', async () => {
      const warnings: string[] = [];
      const log = { warn: (_: object, msg: string) => warnings.push(msg), info: () => undefined };
      // An occurrence first (the run goes on to its series master), then the master: each answer
      // is held until the test lets it go.
      const occurrence = {
        id: 'occurrence',
        type: 'occurrence',
        seriesMasterId: 'master',
        start: { dateTime: '2026-12-01T09:00:00.0000000', timeZone: 'UTC' },
        end: { dateTime: '2026-12-01T10:00:00.0000000', timeZone: 'UTC' },
      };
      const graph = heldGraph([occurrence]);
      const running = worker(graph, recordingQueue(), 20, { maxLeaseHoldMs: 60_000, log })[JOB.change]?.(
        { userId: user.userId, eventId: 'occurrence' },
        CONTEXT,
      );
      const start = clock.ms;
      await eventually(() => graph.reads === 1, 5000, 'the occurrence read');
      clock.ms = start + 50_000;
      await eventually(
        async () => (await leaseUntil()) === new Date(clock.ms + LEASE_MS).toISOString(),
        5000,
        'a renewal within the hold',
      );
      graph.releaseAll();
      await eventually(() => graph.reads === 2, 5000, 'the master read (progress at 50 s)');

      // 100 s after the start, 50 s after the run last went on: it is not hung.
      clock.ms = start + 100_000;
      const renewed = new Date(clock.ms + LEASE_MS).toISOString();
      await eventually(async () => (await leaseUntil()) === renewed, 5000, 'a renewal past the hold');
      expect(warnings.filter((w) => w.includes('ran too long'))).toEqual([]);
      graph.releaseAll();
      await running;
    });

    it('stops a run whose lease another process took over before it writes, and fails its job for a retry', async () => {
      const graph = heldGraph();
      const warnings: string[] = [];
      const log = { warn: (_: object, msg: string) => warnings.push(msg), info: () => undefined };
      const applied = vi.spyOn(env.sync.service, 'applyDeleted');
      const running = worker(graph, recordingQueue(), 20, { log })[JOB.change]?.(
        { userId: user.userId, eventId: 'overtaken' },
        CONTEXT,
      );
      await eventually(() => graph.reads === 1, 5000, 'the job to reach Graph');
      // Meanwhile the process stalled past its lease, and another process's run took the mailbox.
      const other = randomUUID();
      const otherUntil = new Date(clock.ms + 2 * LEASE_MS).toISOString();
      await withSyncTables(env.t.runtime.store.db)
        .updateTable('sync_users')
        .set({ lease_owner: other, lease_until: otherUntil })
        .where('user_id', '=', user.userId)
        .execute();
      try {
        await eventually(() => warnings.some((w) => w.includes('taken over')), 5000, 'the refused renewal');

        graph.releaseAll();
        await expect(running).rejects.toBeInstanceOf(LeaseLostError);
        expect(applied).not.toHaveBeenCalled();
        // The other run's lease is left as it is.
        expect(await leaseUntil()).toBe(otherUntil);
      } finally {
        await env.sync.syncStore.users.releaseLease(user.userId, other);
      }
    });

    it('lets another process take a lease whose holder stopped renewing it', async () => {
      const stale = randomUUID();
      const users = env.sync.syncStore.users;
      expect(await users.acquireLease(user.userId, stale, new Date(clock.ms), LEASE_MS)).toBe(true);
      clock.ms += LEASE_MS + 1;
      const graph = heldGraph();
      const running = worker(graph, recordingQueue())[JOB.change]?.(
        { userId: user.userId, eventId: 'after-crash' },
        CONTEXT,
      );
      await eventually(() => graph.reads === 1, 5000, 'the job to reach Graph');
      // The crashed holder's late renewal cannot take the mailbox back.
      expect(await users.renewLease(user.userId, stale, new Date(clock.ms), LEASE_MS)).toBe(false);
      graph.releaseAll();
      await running;
    });
  });
}
