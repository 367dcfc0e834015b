/**
 * The Graph webhooks over real HTTP: validation handshake, shape checks, clientState, durable enqueue.
 * The worker is not started, so queued jobs stay where the test can see them.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SyncUserRecord } from '../src/domain/sync/ports.js';
import { createSyncMetrics } from '../src/graph/graph-metrics.js';
import { hashClientState } from '../src/graph/subscriptions.js';
import { JOB } from '../src/graph/sync-worker.js';
import { graphWebhooks } from '../src/graph/webhook-routes.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { type SyncEnv, type SyncUser, sample, startSyncEnv } from './sync-harness.js';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`Graph webhooks (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;
    const CLIENT_STATE = 'the-client-state-of-sub-1';

    beforeAll(async () => {
      env = await startSyncEnv(dialect, { start: false });
      user = await env.addUser();
      const users = env.sync.syncStore.users;
      await users.activate(user.userId, user.tenantId, new Date());
      await users.update(
        user.userId,
        { subscriptionId: 'sub-1', clientStateHash: hashClientState(CLIENT_STATE) },
        new Date(),
      );
    });
    afterAll(async () => env?.close());

    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${env.t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const queued = async () =>
      (await env.sync.queue.counts()).filter((c) => c.state === 'ready').reduce((n, c) => n + c.count, 0);
    const notification = (overrides: Record<string, unknown> = {}) => ({
      subscriptionId: 'sub-1',
      clientState: CLIENT_STATE,
      changeType: 'updated',
      resource: `Users/${user.oid}/Events/AAkALevent1`,
      resourceData: { '@odata.type': '#Microsoft.Graph.Event', id: 'AAkALevent1' },
      tenantId: user.tenantId,
      subscriptionExpirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
      ...overrides,
    });

    it('echoes the validation token, decoded, as text/plain on both endpoints', async () => {
      for (const path of ['/api/graph/notifications', '/api/graph/lifecycle']) {
        const started = performance.now();
        const response = await fetch(
          `${env.t.url}${path}?validationToken=Validation%3A%20Testing%20client+%26%3C`,
          {
            method: 'POST',
            headers: { 'content-type': 'text/plain; charset=utf-8' },
          },
        );
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(await response.text()).toBe('Validation: Testing client &<');
        // Graph waits 10 s for the answer: well within that, whatever the machine's load.
        expect(performance.now() - started).toBeLessThan(5000);
      }
    });

    it('answers 400 problem+json to malformed bodies and queues nothing', async () => {
      const before = await queued();
      const bad = [
        '{"value": [',
        { value: [] },
        { value: 'x' },
        { value: [{ subscriptionId: 'sub-1', changeType: 'renamed', resource: 'x' }] },
        { value: [{ changeType: 'updated', resource: 'x' }] },
        { value: [notification({ resource: 'x'.repeat(5000) })] },
      ];
      for (const body of bad) {
        const response = await post('/api/graph/notifications', body);
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      const huge = await post('/api/graph/notifications', {
        value: Array.from({ length: 1001 }, () => notification()),
      });
      expect(huge.status).toBe(400);
      const lifecycle = await post('/api/graph/lifecycle', { value: [{ subscriptionId: 'sub-1' }] });
      expect(lifecycle.status).toBe(400);
      expect(await queued()).toBe(before);
    });

    it('drops and counts notifications whose clientState does not match', async () => {
      const before = await queued();
      const response = await post('/api/graph/notifications', {
        value: [notification({ clientState: 'guessed' }), notification({ clientState: null })],
      });
      expect(response.status).toBe(202);
      expect(await queued()).toBe(before);
      const metrics = await (await fetch(`${env.t.url}/test/metrics`)).text();
      expect(
        sample(metrics, 'roomlink_graph_notifications_total', {
          kind: 'change',
          outcome: 'client_state_mismatch',
        }),
      ).toBe(2);
      const unknown = await post('/api/graph/notifications', {
        value: [notification({ subscriptionId: 'nope' })],
      });
      expect(unknown.status).toBe(202);
      expect(await queued()).toBe(before);
    });

    it('drops and counts notifications that name another tenant than their subscriber, or none', async () => {
      const enqueued = vi.spyOn(env.sync.queue, 'enqueue');
      try {
        const count = async (kind: string) =>
          sample(
            await (await fetch(`${env.t.url}/test/metrics`)).text(),
            'roomlink_graph_notifications_total',
            {
              kind,
              outcome: 'tenant_mismatch',
            },
          );
        const [changesBefore, lifecycleBefore] = [await count('change'), await count('lifecycle')];
        const { tenantId: _none, ...withoutTenant } = notification();
        const changes = await post('/api/graph/notifications', {
          value: [notification({ tenantId: randomUUID() }), withoutTenant],
        });
        expect(changes.status).toBe(202);
        const lifecycle = await post('/api/graph/lifecycle', {
          value: [
            {
              subscriptionId: 'sub-1',
              clientState: CLIENT_STATE,
              lifecycleEvent: 'missed',
              tenantId: randomUUID(),
            },
          ],
        });
        expect(lifecycle.status).toBe(202);
        expect(enqueued).not.toHaveBeenCalled();
        expect(await count('change')).toBe(changesBefore + 2);
        expect(await count('lifecycle')).toBe(lifecycleBefore + 1);
        // The subscriber's own tenant, in whatever letter case Graph writes the GUID, is heard.
        const upper = await post('/api/graph/notifications', {
          value: [notification({ tenantId: user.tenantId.toUpperCase() })],
        });
        expect(upper.status).toBe(202);
        expect(enqueued).toHaveBeenCalledTimes(1);
      } finally {
        enqueued.mockRestore();
      }
    });

    it('does not touch the queue for a delivery that queues nothing (made-up subscriptions, wrong clientState)', async () => {
      // Each enqueue wakes the job loop, whose claim is a write transaction: an unauthenticated flood
      // of made-up notifications must cost no write.
      const enqueued = vi.spyOn(env.sync.queue, 'enqueue');
      try {
        for (const body of [
          { value: [notification({ subscriptionId: 'made-up' })] },
          { value: [notification({ clientState: 'guessed' })] },
        ]) {
          expect((await post('/api/graph/notifications', body)).status).toBe(202);
        }
        const lifecycle = await post('/api/graph/lifecycle', {
          value: [
            { subscriptionId: 'made-up', clientState: CLIENT_STATE, lifecycleEvent: 'missed' },
            { subscriptionId: 'sub-1', clientState: 'wrong', lifecycleEvent: 'missed' },
          ],
        });
        expect(lifecycle.status).toBe(202);
        expect(enqueued).not.toHaveBeenCalled();
        // A real one still is queued through it.
        expect((await post('/api/graph/notifications', { value: [notification()] })).status).toBe(202);
        expect(enqueued).toHaveBeenCalledTimes(1);
      } finally {
        enqueued.mockRestore();
      }
    });

    it('queues a valid notification durably and answers 202', async () => {
      const before = await queued();
      const response = await post('/api/graph/notifications', { value: [notification()] });
      expect(response.status).toBe(202);
      expect(await queued()).toBe(before + 1);
      const counts = await env.sync.queue.counts();
      expect(counts.find((c) => c.kind === JOB.change && c.state === 'ready')?.count).toBeGreaterThan(0);
    });

    it('queues one read of an event notified twice in one delivery, keeping a deletion among them', async () => {
      const enqueued = vi.spyOn(env.sync.queue, 'enqueue');
      try {
        const twice = {
          resource: `Users/${user.oid}/Events/AAkALevent2`,
          resourceData: { id: 'AAkALevent2' },
        };
        const response = await post('/api/graph/notifications', {
          value: [
            notification({ ...twice, changeType: 'updated' }),
            notification({ ...twice, changeType: 'deleted' }),
          ],
        });
        expect(response.status).toBe(202);
        const jobs = enqueued.mock.calls.flatMap(([specs]) => specs).filter((j) => j.kind === JOB.change);
        expect(jobs.map((j) => j.payload)).toEqual([
          { userId: user.userId, eventId: 'AAkALevent2', changeType: 'deleted' },
        ]);
      } finally {
        enqueued.mockRestore();
      }
    });

    /** A second user with their own subscription, and the change jobs the webhook queues from now on. */
    async function subscribedUser(subscriptionId: string) {
      const other = await env.addUser();
      const users = env.sync.syncStore.users;
      await users.activate(other.userId, other.tenantId, new Date());
      await users.update(
        other.userId,
        { subscriptionId, clientStateHash: hashClientState(CLIENT_STATE) },
        new Date(),
      );
      const changeFor = (eventId: string) =>
        notification({
          subscriptionId,
          resource: `Users/${other.oid}/Events/${eventId}`,
          resourceData: { id: eventId },
          tenantId: other.tenantId,
        });
      return { other, changeFor };
    }

    function changeJobs() {
      const enqueued = vi.spyOn(env.sync.queue, 'enqueue');
      return {
        userIds: () =>
          enqueued.mock.calls
            .flatMap(([specs]) => specs)
            .filter((j) => j.kind === JOB.change)
            .map((j) => j.payload.userId),
        restore: () => enqueued.mockRestore(),
      };
    }

    it('hears a user who signs in again at once: an inactive subscription is not cached', async () => {
      const { other, changeFor } = await subscribedUser('sub-resigned');
      const users = env.sync.syncStore.users;
      await users.update(other.userId, { status: 'needs_sign_in' }, new Date());
      const jobs = changeJobs();
      try {
        expect((await post('/api/graph/notifications', { value: [changeFor('AAkALwhileOut')] })).status).toBe(
          202,
        );
        expect(jobs.userIds()).toEqual([]);
        // The user signs in again (another process could have done it: no cache entry to drop here).
        await users.update(other.userId, { status: 'active' }, new Date());
        expect(
          (await post('/api/graph/notifications', { value: [changeFor('AAkALrightAfter')] })).status,
        ).toBe(202);
        expect(jobs.userIds()).toEqual([other.userId]);
      } finally {
        jobs.restore();
      }
    });

    it("stops taking a user's notifications as soon as sync stops for them in this process", async () => {
      const { other, changeFor } = await subscribedUser('sub-signing-out');
      const jobs = changeJobs();
      try {
        await post('/api/graph/notifications', { value: [changeFor('AAkALbefore')] });
        expect(jobs.userIds()).toEqual([other.userId]); // and the subscription is cached
        await env.sync.stopSyncForUser(other.userId);
        const response = await post('/api/graph/notifications', { value: [changeFor('AAkALafter')] });
        expect(response.status).toBe(202);
        expect(jobs.userIds()).toEqual([other.userId]);
      } finally {
        jobs.restore();
      }
    });

    it('turns lifecycle events into jobs', async () => {
      const response = await post('/api/graph/lifecycle', {
        value: [
          {
            subscriptionId: 'sub-1',
            clientState: CLIENT_STATE,
            lifecycleEvent: 'missed',
            tenantId: user.tenantId,
          },
          { subscriptionId: 'sub-1', clientState: 'wrong', lifecycleEvent: 'subscriptionRemoved' },
        ],
      });
      expect(response.status).toBe(202);
      const counts = await env.sync.queue.counts();
      expect(counts.find((c) => c.kind === JOB.reconcile && c.state === 'ready')?.count).toBe(1);
      expect(counts.find((c) => c.kind === JOB.subscribe)).toBeUndefined();
    });
  });
}

describe('Graph webhooks: the subscription cache', () => {
  it('does not cache what a look-up read while the user was being forgotten', async () => {
    const record: SyncUserRecord = {
      userId: 'u1',
      tenantId: 't1',
      status: 'active',
      subscriptionId: 'sub-1',
      clientStateHash: hashClientState('cs'),
      subscriptionExpiresAt: null,
      deltaLinkCt: null,
      deltaStartedAt: null,
      lastChangeAt: null,
      lastReconciledAt: null,
    };
    let current: SyncUserRecord | undefined = record;
    let lookUps = 0;
    let release: () => void = () => undefined;
    let held = true;
    let entered: () => void = () => undefined;
    const lookingUp = new Promise<void>((resolve) => (entered = resolve));
    const queued: unknown[] = [];
    const webhooks = graphWebhooks({
      users: {
        findBySubscription: async () => {
          lookUps++;
          const seen = current;
          entered();
          if (held) await new Promise<void>((resolve) => (release = resolve));
          return seen;
        },
      },
      queue: { enqueue: async (jobs) => void queued.push(...jobs) },
      metrics: createSyncMetrics(new Registry()),
      now: () => 0,
    });
    const app = Fastify();
    await app.register(webhooks);
    const post = (eventId: string) =>
      app.inject({
        method: 'POST',
        url: '/api/graph/notifications',
        payload: {
          value: [
            {
              subscriptionId: 'sub-1',
              clientState: 'cs',
              changeType: 'updated',
              resource: `Users/x/Events/${eventId}`,
              resourceData: { id: eventId },
              tenantId: 't1',
            },
          ],
        },
      });
    // A notification reads the user (still active) just before sign-out stops their sync.
    const racing = post('e1');
    await lookingUp;
    current = undefined;
    webhooks.forgetUser('u1');
    held = false;
    release();
    expect((await racing).statusCode).toBe(202);
    // What it read must not be cached: the next notification looks again and is dropped.
    expect((await post('e2')).statusCode).toBe(202);
    expect(lookUps).toBe(2);
    expect(queued).toHaveLength(1);
    await app.close();
  });
});
