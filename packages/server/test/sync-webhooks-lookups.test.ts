/**
 * The Graph webhooks' subscription look-ups, with a users repository that counts them: one delivery
 * looks each subscription up once, and only MAX_UNKNOWN_LOOKUPS of those Roomlink does not know.
 * (The unauthenticated POST of 1,000 made-up subscriptions used to cost 1,000 database queries.)
 */
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncUserRecord } from '../src/domain/sync/ports.js';
import { createSyncMetrics, type SyncMetrics } from '../src/graph/graph-metrics.js';
import { hashClientState } from '../src/graph/subscriptions.js';
import { JOB } from '../src/graph/sync-worker.js';
import { graphWebhooks, MAX_UNKNOWN_LOOKUPS } from '../src/graph/webhook-routes.js';
import type { JobSpec } from '../src/jobs/queue.js';

const CLIENT_STATE = 'the-client-state';

const activeUser = (userId: string, subscriptionId: string): SyncUserRecord => ({
  userId,
  tenantId: 't1',
  status: 'active',
  subscriptionId,
  clientStateHash: hashClientState(CLIENT_STATE),
  subscriptionExpiresAt: null,
  deltaLinkCt: null,
  deltaStartedAt: null,
  lastChangeAt: null,
  lastReconciledAt: null,
});

const change = (subscriptionId: string, eventId: string) => ({
  subscriptionId,
  clientState: CLIENT_STATE,
  changeType: 'updated',
  resource: `Users/x/Events/${eventId}`,
  resourceData: { id: eventId },
  tenantId: 't1',
});

const lifecycle = (subscriptionId: string) => ({
  subscriptionId,
  clientState: CLIENT_STATE,
  lifecycleEvent: 'missed',
  tenantId: 't1',
});

interface Harness {
  readonly app: FastifyInstance;
  readonly metrics: SyncMetrics;
  /** findBySubscription's calls, by subscription id, in order. */
  readonly lookUps: string[];
  readonly queued: JobSpec[];
  post(path: string, value: unknown[]): Promise<LightMyRequestResponse>;
  count(kind: string, outcome: string): Promise<number>;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function harness(users: readonly SyncUserRecord[]): Promise<Harness> {
  const bySubscription = new Map(users.map((u) => [u.subscriptionId, u]));
  const lookUps: string[] = [];
  const queued: JobSpec[] = [];
  const metrics = createSyncMetrics(new Registry());
  const webhooks = graphWebhooks({
    users: {
      findBySubscription: async (id) => {
        lookUps.push(id);
        return bySubscription.get(id);
      },
    },
    queue: { enqueue: async (jobs) => void queued.push(...jobs) },
    metrics,
  });
  const app = Fastify();
  apps.push(app);
  await app.register(webhooks);
  return {
    app,
    metrics,
    lookUps,
    queued,
    post: (path, value) => app.inject({ method: 'POST', url: path, payload: { value } }),
    async count(kind, outcome) {
      const { values } = await metrics.notifications.get();
      return values.find((v) => v.labels.kind === kind && v.labels.outcome === outcome)?.value ?? 0;
    },
  };
}

const changeJobs = (queued: readonly JobSpec[]) =>
  queued.filter((j) => j.kind === JOB.change).map((j) => j.payload);

describe('Graph webhooks: subscription look-ups of one delivery', () => {
  it('looks a made-up subscription named by 1,000 notifications up once', async () => {
    const h = await harness([]);
    const response = await h.post(
      '/api/graph/notifications',
      Array.from({ length: 1000 }, (_, i) => change('made-up', `e${i}`)),
    );
    expect(response.statusCode).toBe(202);
    expect(h.lookUps).toEqual(['made-up']);
    expect(h.queued).toEqual([]);
    expect(await h.count('change', 'unknown_subscription')).toBe(1000);
  });

  it('looks up at most MAX_UNKNOWN_LOOKUPS of 999 made-up subscriptions, counts the rest, answers 202', async () => {
    const known = activeUser('u1', 'sub-known');
    const h = await harness([known]);
    // A real subscription is cached by an earlier delivery: the limit does not apply to it.
    expect((await h.post('/api/graph/notifications', [change('sub-known', 'before')])).statusCode).toBe(202);
    h.lookUps.length = 0;
    const response = await h.post('/api/graph/notifications', [
      ...Array.from({ length: 999 }, (_, i) => change(`made-up-${i}`, `e${i}`)),
      change('sub-known', 'after'),
    ]);
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('');
    expect(MAX_UNKNOWN_LOOKUPS).toBe(20);
    expect(h.lookUps).toHaveLength(MAX_UNKNOWN_LOOKUPS);
    expect(await h.count('change', 'unknown_subscription')).toBe(MAX_UNKNOWN_LOOKUPS);
    expect(await h.count('change', 'unknown_subscription_limit')).toBe(999 - MAX_UNKNOWN_LOOKUPS);
    expect(changeJobs(h.queued)).toEqual([
      { userId: 'u1', eventId: 'before', changeType: 'updated' },
      { userId: 'u1', eventId: 'after', changeType: 'updated' },
    ]);
  });

  it('queues the work of known subscriptions in a delivery that mixes them with unknown ones, and answers 202', async () => {
    const h = await harness([activeUser('u1', 'sub-a'), activeUser('u2', 'sub-b')]);
    const value = [
      change('sub-a', 'a1'),
      ...Array.from({ length: 400 }, (_, i) => change('signed-out', `x${i}`)),
      change('sub-b', 'b1'),
      ...Array.from({ length: 400 }, (_, i) => change('expired-elsewhere', `y${i}`)),
      change('sub-a', 'a2'),
      change('sub-b', 'b2'),
    ];
    const response = await h.post('/api/graph/notifications', value);
    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('');
    expect(h.lookUps).toEqual(['sub-a', 'signed-out', 'sub-b', 'expired-elsewhere']);
    expect(changeJobs(h.queued)).toEqual([
      { userId: 'u1', eventId: 'a1', changeType: 'updated' },
      { userId: 'u2', eventId: 'b1', changeType: 'updated' },
      { userId: 'u1', eventId: 'a2', changeType: 'updated' },
      { userId: 'u2', eventId: 'b2', changeType: 'updated' },
    ]);
    expect(await h.count('change', 'queued')).toBe(4);
    expect(await h.count('change', 'unknown_subscription')).toBe(800);
    expect(await h.count('change', 'unknown_subscription_limit')).toBe(0);
  });

  it('takes a delivery that names more active subscriptions than the limit, none of them cached', async () => {
    const users = Array.from({ length: 3 * MAX_UNKNOWN_LOOKUPS }, (_, i) => activeUser(`u${i}`, `sub-${i}`));
    const h = await harness(users);
    const response = await h.post(
      '/api/graph/notifications',
      users.map((u, i) => change(u.subscriptionId as string, `e${i}`)),
    );
    expect(response.statusCode).toBe(202);
    expect(h.lookUps).toHaveLength(users.length);
    expect(changeJobs(h.queued)).toHaveLength(users.length);
    expect(await h.count('change', 'unknown_subscription_limit')).toBe(0);
  });

  it('bounds lifecycle deliveries the same way', async () => {
    const h = await harness([activeUser('u1', 'sub-a')]);
    const same = await h.post('/api/graph/lifecycle', [
      ...Array.from({ length: 999 }, () => lifecycle('made-up')),
      lifecycle('sub-a'),
    ]);
    expect(same.statusCode).toBe(202);
    expect(h.lookUps).toEqual(['made-up', 'sub-a']);
    expect(h.queued.map((j) => j.kind)).toEqual([JOB.reconcile]);
    h.lookUps.length = 0;
    const distinct = await h.post(
      '/api/graph/lifecycle',
      Array.from({ length: 1000 }, (_, i) => lifecycle(`made-up-${i}`)),
    );
    expect(distinct.statusCode).toBe(202);
    expect(h.lookUps).toHaveLength(MAX_UNKNOWN_LOOKUPS);
    expect(await h.count('lifecycle', 'unknown_subscription_limit')).toBe(1000 - MAX_UNKNOWN_LOOKUPS);
  });
});

describe('Graph webhooks: a delivery while a user is forgotten', () => {
  it("looks again, within the delivery, at a subscription whose user's sync stopped meanwhile", async () => {
    let current: SyncUserRecord | undefined = activeUser('u1', 'sub-a');
    let lookUps = 0;
    let entered: () => void = () => undefined;
    const lookingUp = new Promise<void>((resolve) => (entered = resolve));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const queued: JobSpec[] = [];
    const webhooks = graphWebhooks({
      users: {
        findBySubscription: async () => {
          lookUps++;
          const seen = current;
          if (lookUps === 1) {
            entered();
            await released;
          }
          return seen;
        },
      },
      queue: { enqueue: async (jobs) => void queued.push(...jobs) },
      metrics: createSyncMetrics(new Registry()),
    });
    const app = Fastify();
    apps.push(app);
    await app.register(webhooks);
    const delivery = app.inject({
      method: 'POST',
      url: '/api/graph/notifications',
      payload: { value: [change('sub-a', 'e1'), change('sub-a', 'e2')] },
    });
    // The first look-up reads the user (still active) just before sign-out stops their sync.
    await lookingUp;
    current = undefined;
    webhooks.forgetUser('u1');
    release();
    expect((await delivery).statusCode).toBe(202);
    expect(lookUps).toBe(2);
    expect(changeJobs(queued)).toEqual([{ userId: 'u1', eventId: 'e1', changeType: 'updated' }]);
  });
});
