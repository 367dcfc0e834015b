/**
 * Calendar sync of an offboarded tenant's users, against the Graph emulator (which calls the real
 * webhooks), on every dialect: from the tenant's contract end day (UTC; the day its add-in sign-ins are
 * refused) Roomlink reads nothing more of their calendars. Change and lifecycle notifications are
 * answered 202 and dropped (counted `contract_ended`), nothing is queued or read; any job of their
 * mailboxes reads nothing and deletes the Graph subscription still held (once, best effort) and
 * forgets it; the maintenance pass renews and reconciles nothing, and has such a subscription deleted
 * (within one pass, even for a mailbox no job would otherwise have run for within the hour).
 * A contract end still to come changes nothing, and a readmitted tenant is followed again. A failed
 * deletion that may pass (a 5xx, a throttle, no answer in time) keeps the subscription, so that the next
 * pass tries again; every failure is logged with Graph's status and code only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SyncUserRecord, SyncUserRepository } from '../src/domain/sync/ports.js';
import { type GraphClient, GraphError } from '../src/graph/graph-client.js';
import { SubscriptionManager } from '../src/graph/subscriptions.js';
import { JOB } from '../src/graph/sync-worker.js';
import type { GraphWebhooks } from '../src/graph/webhook-routes.js';
import { utcDay } from '../src/retention/index.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { eventually, type SyncEnv, type SyncUser, sample, startSyncEnv } from './sync-harness.js';

const DAY = 86_400_000;
const CONTEXT = { id: 'job', attempt: 1 };

const today = () => utcDay(new Date());
const tomorrow = () => utcDay(new Date(Date.now() + DAY));

function setContractEnd(env: SyncEnv, tenantId: string, day: string | null) {
  return env.t.runtime.store.db
    .updateTable('tenants')
    .set({ contract_end: day })
    .where('id', '=', tenantId)
    .execute();
}

/** What sync asked of Graph since the emulator's log was last cleared, as `METHOD /path`. */
function graphCalls(env: SyncEnv): string[] {
  return env.emulator.requests().map((r) => `${r.method} ${r.path}`);
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);

  describe.skipIf(skip)(
    `calendar sync of a tenant whose contract ended: notifications and jobs (${label})`,
    () => {
      let env: SyncEnv;
      let user: SyncUser;

      beforeAll(async () => {
        // The schedule's own pass (at start only here) is the next test's subject.
        env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 600_000 } });
        user = await env.startedUser();
      });
      afterAll(async () => env?.close());

      it('acknowledges and drops notifications, reads nothing, and deletes the subscription at Graph', async () => {
        const meeting = await env.createMeeting(user, { subject: 'Budget review' });
        const eventId = env.createEvent(user, meeting);
        await eventually(
          () => env.sync.service.isLinked(user.userId, eventId),
          10_000,
          'the event to be linked',
        );

        // A contract end still to come: the calendar is followed as before.
        await setContractEnd(env, user.tenantId, tomorrow());
        env.emulator.updateEvent(user.oid, eventId, { subject: 'Budget review (tomorrow)' });
        await eventually(
          async () => (await env.meeting(user, meeting.id)).subject === 'Budget review (tomorrow)',
          10_000,
          'the meeting to follow the calendar',
        );
        await env.settled();
        const subscriptionId = (await env.sync.syncStore.users.find(user.userId))?.subscriptionId;
        expect(subscriptionId).toBeTruthy();

        // The contract ends today. (The webhooks keep an active subscription's user 5 s: forgotten here
        // as that cache's expiry would, so that the test need not wait for it.)
        await setContractEnd(env, user.tenantId, today());
        (env.sync.plugin as GraphWebhooks).forgetUser(user.userId);
        env.emulator.clearRequests();
        const delivered = env.emulator.deliveries().length;

        env.emulator.updateEvent(user.oid, eventId, { subject: 'Budget review (after the end)' });
        await env.emulator.sendLifecycle(subscriptionId as string, 'missed');
        await env.emulator.sendLifecycle(subscriptionId as string, 'reauthorizationRequired');
        await env.settled();
        const deliveries = env.emulator.deliveries().slice(delivered);
        // (Delivered concurrently: in any order.)
        expect(deliveries.map((d) => `${d.kind} ${d.status}`).sort()).toEqual([
          'change 202',
          'lifecycle 202',
          'lifecycle 202',
        ]);
        const metrics = await env.registry.metrics();
        const dropped = (kind: string) =>
          sample(metrics, 'roomlink_graph_notifications_total', { kind, outcome: 'contract_ended' });
        expect(dropped('change')).toBe(1);
        expect(dropped('lifecycle')).toBe(1 + 1);
        // Nothing read: no event, no delta, no reauthorization, no new subscription.
        expect(graphCalls(env)).toEqual([]);
        expect((await env.meeting(user, meeting.id)).subject).toBe('Budget review (tomorrow)');

        // Any job of the mailbox (queued before the end, a sign-in to the admin console, the CLI) reads
        // nothing; the first deletes the subscription at Graph and forgets it.
        const handlers = env.sync.worker.handlers();
        await handlers[JOB.change]?.({ userId: user.userId, eventId, changeType: 'updated' }, CONTEXT);
        await handlers[JOB.reconcile]?.({ userId: user.userId, force: true }, CONTEXT);
        await handlers[JOB.subscribe]?.({ userId: user.userId, force: true }, CONTEXT);
        await handlers[JOB.reauthorize]?.({ userId: user.userId }, CONTEXT);
        expect(graphCalls(env)).toEqual([`DELETE /subscriptions/${subscriptionId}`]);
        expect(env.emulator.subscriptions().some((s) => s.id === subscriptionId)).toBe(false);
        const stored = await env.sync.syncStore.users.find(user.userId);
        expect(stored).toMatchObject({
          status: 'active',
          subscriptionId: null,
          clientStateHash: null,
          subscriptionExpiresAt: null,
        });
        expect((await env.meeting(user, meeting.id)).subject).toBe('Budget review (tomorrow)');
      });
    },
  );

  describe.skipIf(skip)(`calendar sync of a tenant whose contract ended: the schedule (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;

    beforeAll(async () => {
      // A maintenance pass every 100 ms; reconciliations hourly, as by default: the user, reconciled at
      // start, is due none, and their subscription no renewal, during the test.
      env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 100 } });
      user = await env.startedUser();
      await eventually(
        async () => (await env.sync.syncStore.users.find(user.userId))?.lastReconciledAt,
        10_000,
        'the first reconciliation',
      );
      await env.settled();
    });
    afterAll(async () => env?.close());

    const deltaRounds = () => graphCalls(env).filter((c) => c.toLowerCase().includes('/calendarview/delta'));

    it('has the subscription deleted at the next pass, asks nothing more of Graph, and follows a readmitted tenant again', async () => {
      const subscriptionId = (await env.sync.syncStore.users.find(user.userId))?.subscriptionId;
      expect(env.emulator.subscriptions().some((s) => s.id === subscriptionId)).toBe(true);
      // A contract end still to come: pass after pass, the subscription stays.
      await setContractEnd(env, user.tenantId, tomorrow());
      env.emulator.clearRequests();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await env.settled();
      expect(graphCalls(env)).toEqual([]);
      expect(env.emulator.subscriptions().some((s) => s.id === subscriptionId)).toBe(true);

      // The contract ends today, and Graph fails the first job's deletion: 503 to each of its tries
      // (the harness's Graph client tries 5 times). The subscription is kept, so the next pass's job
      // deletes it at Graph and forgets it.
      env.emulator.faults.inject({
        kind: 'serviceUnavailable',
        match: { method: 'DELETE', path: /^\/subscriptions\// },
        count: 5,
      });
      await setContractEnd(env, user.tenantId, today());
      await eventually(
        async () =>
          !env.emulator.subscriptions().some((s) => s.id === subscriptionId) &&
          (await env.sync.syncStore.users.find(user.userId))?.subscriptionId === null,
        10_000,
        'the subscription to be deleted',
      );
      await env.settled();
      const deletes = env.emulator
        .requests()
        .filter((r) => r.method === 'DELETE' && r.path === `/subscriptions/${subscriptionId}`);
      expect(deletes.map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 204]);
      // Then, pass after pass, nothing at all is asked of Graph: no renewal, no new subscription.
      env.emulator.clearRequests();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await env.settled();
      expect(graphCalls(env)).toEqual([]);
      expect(env.emulator.subscriptions()).toEqual([]);

      // Readmitted (its contract end cleared before the deletion): subscribed and reconciled again.
      await setContractEnd(env, user.tenantId, null);
      await eventually(
        async () => (await env.sync.syncStore.users.find(user.userId))?.subscriptionId,
        10_000,
        'a new subscription',
      );
      await eventually(() => deltaRounds().length >= 1, 10_000, 'reconciliations again');
      expect(env.emulator.subscriptions()).toHaveLength(1);
    });
  });
}

describe('the subscription of a user whose tenant contract ended, when Graph fails to delete it', () => {
  afterEach(() => vi.restoreAllMocks());

  const user: SyncUserRecord = {
    userId: 'user-1',
    tenantId: 'tenant-1',
    status: 'active',
    subscriptionId: 'subscription-1',
    clientStateHash: 'a'.repeat(64),
    subscriptionExpiresAt: '2026-12-10T00:00:00.000Z',
    deltaLinkCt: null,
    deltaStartedAt: null,
    lastChangeAt: null,
    lastReconciledAt: null,
    contractEnd: '2026-12-01',
  };

  function manager(request: () => Promise<unknown>) {
    const warn = vi.fn();
    const update = vi.fn(async () => undefined);
    const subscriptions = new SubscriptionManager(
      { request } as unknown as GraphClient,
      { update } as unknown as SyncUserRepository,
      { baseUrl: new URL('https://roomlink.test/'), deleteTimeoutMs: 50, log: { warn } },
      () => new Date('2026-12-03T12:00:00Z'),
    );
    return { subscriptions, warn, update };
  }
  const forgotten = [
    'user-1',
    { subscriptionId: null, clientStateHash: null, subscriptionExpiresAt: null },
    expect.any(Date),
  ];

  it('keeps a subscription Graph could not delete for now, so the next pass tries again, and logs Graph’s status and code only', async () => {
    for (const failure of [
      new GraphError(503, 'serviceNotAvailable'),
      new GraphError(429, 'TooManyRequests'),
      new TypeError('fetch failed'),
    ]) {
      const { subscriptions, warn, update } = manager(async () => {
        throw failure;
      });
      await subscriptions.retire(user);
      expect(update).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[1]).toContain('tried again at the next maintenance pass');
      expect(JSON.stringify(warn.mock.calls)).not.toMatch(/user-1|tenant-1|subscription-1/);
    }
    const { subscriptions, warn } = manager(async () => {
      throw new GraphError(503, 'serviceNotAvailable');
    });
    await subscriptions.retire(user);
    expect(warn.mock.calls[0]?.[0]).toEqual({
      error: 'GraphError',
      status: 503,
      code: 'serviceNotAvailable',
    });
  });

  it('forgets it after a failure no retry can get past, or once it has expired', async () => {
    const refused = manager(async () => {
      throw new GraphError(403, 'Forbidden');
    });
    await refused.subscriptions.retire(user);
    expect(refused.update).toHaveBeenCalledWith(...forgotten);
    expect(refused.warn.mock.calls[0]?.[1]).toContain('it expires on its own');

    const signedOut = manager(async () => {
      throw Object.assign(new Error('sign in again'), { code: 'sign_in_required' });
    });
    await signedOut.subscriptions.retire(user);
    expect(signedOut.update).toHaveBeenCalledWith(...forgotten);

    const lapsed = manager(async () => {
      throw new GraphError(503, 'serviceNotAvailable');
    });
    await lapsed.subscriptions.retire({ ...user, subscriptionExpiresAt: '2026-12-03T11:59:59.000Z' });
    expect(lapsed.update).toHaveBeenCalledWith(...forgotten);
  });

  it('does not wait for a Graph that does not answer (tried again), and logs nothing for one already gone', async () => {
    const slow = manager(() => new Promise(() => undefined));
    await slow.subscriptions.retire(user);
    expect(slow.warn.mock.calls[0]?.[0]).toEqual({ error: 'timeout' });
    expect(slow.update).not.toHaveBeenCalled();
    const gone = manager(async () => {
      throw new GraphError(404, 'ResourceNotFound');
    });
    await gone.subscriptions.retire(user);
    expect(gone.warn).not.toHaveBeenCalled();
    expect(gone.update).toHaveBeenCalledWith(...forgotten);
  });
});
