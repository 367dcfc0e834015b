/**
 * A subscription whose creation answer was lost: GraphClient sends POST /subscriptions again, Graph
 * creates a second one, and only that one is stored. SubscriptionManager.ensure() then deletes this
 * deployment's other subscriptions of the user, against the Graph emulator over real HTTP, and
 * leaves other users' and other deployments' subscriptions alone.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type GraphSubscription,
  jwksVerifier,
  type RunningGraphEmulator,
  startGraphEmulator,
} from '../../emulators/src/graph/index.js';
import type { SyncUserRecord, SyncUserRepository } from '../src/domain/sync/ports.js';
import { GraphClient } from '../src/graph/graph-client.js';
import { createSyncMetrics } from '../src/graph/graph-metrics.js';
import { notificationUrl, SubscriptionManager } from '../src/graph/subscriptions.js';
import { type SyncUser, tokenSource } from './sync-harness.js';

const ROOMLINK = new URL('https://roomlink.example/');
const OTHER_DEPLOYMENT = new URL('https://roomlink-staging.example/');
const TENANT = randomUUID();

/** The webhook side of the validation handshake: every URL echoes Graph's validationToken. */
const webhooks: typeof fetch = async (input) => {
  const token = new URL(String(input instanceof Request ? input.url : input)).searchParams.get(
    'validationToken',
  );
  return new Response(token ?? '', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
};

/** Sync's user records, in memory: what ensure() stores. */
function memoryUsers(): SyncUserRepository & { records: Map<string, SyncUserRecord> } {
  const records = new Map<string, SyncUserRecord>();
  const used: Pick<SyncUserRepository, 'find' | 'update' | 'updateIfActive'> = {
    find: async (userId) => records.get(userId),
    update: async (userId, changes) => {
      const current = records.get(userId);
      if (current) records.set(userId, { ...current, ...changes });
    },
    updateIfActive: async (userId, changes) => {
      const current = records.get(userId);
      if (current?.status !== 'active') return false;
      records.set(userId, { ...current, ...changes });
      return true;
    },
  };
  return { ...(used as SyncUserRepository), records };
}

function record(user: SyncUser): SyncUserRecord {
  return {
    userId: user.userId,
    tenantId: user.tenantId,
    status: 'active',
    subscriptionId: null,
    clientStateHash: null,
    subscriptionExpiresAt: null,
    deltaLinkCt: null,
    deltaStartedAt: null,
    lastChangeAt: null,
    lastReconciledAt: null,
  };
}

const isCreate = (url: string, init?: RequestInit) =>
  init?.method === 'POST' && new URL(url).pathname.endsWith('/v1.0/subscriptions');

describe('SubscriptionManager.ensure after a lost creation answer', () => {
  let running: RunningGraphEmulator;
  let tokens: ReturnType<typeof tokenSource>;
  const people = new Map<string, SyncUser>();
  const users = memoryUsers();
  /** What the fetch wrapper does to Graph calls of the client under test (set per test). */
  let intercept: ((url: string, init?: RequestInit) => Promise<Response>) | undefined;
  const warnings: { obj: object; msg: string }[] = [];

  const client = (wrapped: boolean) =>
    new GraphClient({
      baseUrl: running.baseUrl,
      tokens,
      metrics: createSyncMetrics(new Registry()),
      sleep: async () => undefined,
      ...(wrapped
        ? {
            fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
              intercept ? intercept(String(input), init) : fetch(input, init),
          }
        : {}),
    });
  const manager = (baseUrl: URL, wrapped = true, repository: SyncUserRepository = users) =>
    new SubscriptionManager(client(wrapped), repository, {
      baseUrl,
      log: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    });

  const addUser = (): SyncUser => {
    const user = { userId: randomUUID(), tenantId: TENANT, oid: randomUUID() };
    people.set(user.userId, user);
    users.records.set(user.userId, record(user));
    return user;
  };
  const stored = (user: SyncUser) => users.records.get(user.userId) as SyncUserRecord;
  const subscriptionsOf = (user: SyncUser, baseUrl = ROOMLINK): GraphSubscription[] =>
    running.emulator
      .subscriptions()
      .filter((s) => s.creatorId === user.oid && s.notificationUrl === notificationUrl(baseUrl));

  /** The first POST /subscriptions reaches Graph; its answer is lost (a network error). */
  const loseFirstCreateAnswer = () => {
    let creates = 0;
    intercept = async (url, init) => {
      if (!isCreate(url, init) || ++creates > 1) return fetch(url, init);
      const response = await fetch(url, init);
      await response.arrayBuffer();
      throw new TypeError('fetch failed');
    };
    return () => creates;
  };

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    tokens = tokenSource(privateKey, people);
    running = await startGraphEmulator({
      verifyAccessToken: jwksVerifier(async () => publicKey),
      fetch: webhooks,
    });
  });
  afterEach(() => {
    intercept = undefined;
    warnings.length = 0;
    running.emulator.faults.clear();
    running.emulator.clearRequests();
  });
  afterAll(async () => running?.close());

  it('leaves exactly one subscription of the user, the stored one, notifying Roomlink', async () => {
    const user = addUser();
    const creates = loseFirstCreateAnswer();

    await expect(manager(ROOMLINK).ensure(stored(user))).resolves.toBe(true);

    expect(creates()).toBe(2);
    const left = running.emulator.subscriptions().filter((s) => s.creatorId === user.oid);
    expect(left.map((s) => s.id)).toEqual([stored(user).subscriptionId]);
    expect(left[0]?.notificationUrl).toBe(notificationUrl(ROOMLINK));
    expect(warnings).toEqual([]);
  });

  it('leaves another user’s subscription and another deployment’s subscription of the same user alone', async () => {
    const user = addUser();
    const colleague = addUser();
    // Same app and notificationUrl, another user; the same user, another deployment.
    await manager(ROOMLINK, false).ensure(stored(colleague));
    // The other deployment keeps its own records.
    const staging = memoryUsers();
    staging.records.set(user.userId, record(user));
    await manager(OTHER_DEPLOYMENT, false, staging).ensure(record(user));
    const colleagues = subscriptionsOf(colleague).map((s) => s.id);
    const otherDeployments = subscriptionsOf(user, OTHER_DEPLOYMENT).map((s) => s.id);
    expect(colleagues).toHaveLength(1);
    expect(otherDeployments).toHaveLength(1);
    running.emulator.clearRequests();
    loseFirstCreateAnswer();

    await manager(ROOMLINK).ensure(stored(user));

    expect(subscriptionsOf(user).map((s) => s.id)).toEqual([stored(user).subscriptionId]);
    expect(subscriptionsOf(colleague).map((s) => s.id)).toEqual(colleagues);
    expect(subscriptionsOf(user, OTHER_DEPLOYMENT).map((s) => s.id)).toEqual(otherDeployments);
    const deleted = running.emulator
      .requests()
      .filter((r) => r.method === 'DELETE')
      .map((r) => r.path);
    expect(deleted).toHaveLength(1);
    for (const id of [...colleagues, ...otherDeployments])
      expect(deleted).not.toContain(`/subscriptions/${id}`);
  });

  it('deletes only the user’s own when the list holds other users’ subscriptions (an admin’s listing)', async () => {
    const admin = addUser();
    const colleague = addUser();
    await manager(ROOMLINK, false).ensure(stored(colleague));
    const colleagues = subscriptionsOf(colleague).map((s) => s.id);
    running.emulator.clearRequests();
    const creates = loseFirstCreateAnswer();
    const lose = intercept;
    // "Subscriptions created by any app for any user in the directory" (List subscriptions, an
    // admin with Subscription.Read.All): the emulator lists the caller's only, so the answer is
    // widened to every subscription it holds.
    intercept = async (url, init) => {
      if ((init?.method ?? 'GET') !== 'GET' || !new URL(url).pathname.endsWith('/v1.0/subscriptions')) {
        return (lose as NonNullable<typeof intercept>)(url, init);
      }
      const own = (await (await fetch(url, init)).json()) as Record<string, unknown>;
      return Response.json({ ...own, value: running.emulator.subscriptions() });
    };

    await manager(ROOMLINK).ensure(stored(admin));

    expect(creates()).toBe(2);
    expect(subscriptionsOf(admin).map((s) => s.id)).toEqual([stored(admin).subscriptionId]);
    expect(subscriptionsOf(colleague).map((s) => s.id)).toEqual(colleagues);
    const deleted = running.emulator.requests().filter((r) => r.method === 'DELETE');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]?.status).toBe(204);
  });

  it('succeeds, and warns without personal data, when listing the subscriptions fails', async () => {
    const user = addUser();
    loseFirstCreateAnswer();
    running.emulator.faults.inject({
      kind: 'serviceUnavailable',
      match: { method: 'GET', path: '/subscriptions' },
      count: 10,
    });

    await expect(manager(ROOMLINK).ensure(stored(user))).resolves.toBe(true);

    const left = subscriptionsOf(user).map((s) => s.id);
    expect(left).toHaveLength(2);
    expect(left).toContain(stored(user).subscriptionId);
    expect(warnings).toEqual([
      {
        obj: {
          stage: 'list',
          duplicates: 0,
          failed: 0,
          error: 'GraphError',
          status: 503,
          code: 'serviceNotAvailable',
        },
        msg: expect.stringContaining('duplicate Graph subscription could not be removed'),
      },
    ]);
    const logged = JSON.stringify(warnings);
    for (const secret of [user.userId, user.oid, ...left]) expect(logged).not.toContain(secret);
  });

  it('succeeds, and warns, when deleting the duplicate fails', async () => {
    const user = addUser();
    loseFirstCreateAnswer();
    running.emulator.faults.inject({
      kind: 'serviceUnavailable',
      match: { method: 'DELETE', path: /^\/subscriptions\// },
      count: 10,
    });

    await expect(manager(ROOMLINK).ensure(stored(user))).resolves.toBe(true);

    expect(subscriptionsOf(user)).toHaveLength(2);
    expect(stored(user).subscriptionId).not.toBeNull();
    expect(warnings.map((w) => w.obj)).toEqual([
      {
        stage: 'delete',
        duplicates: 1,
        failed: 1,
        error: 'GraphError',
        status: 503,
        code: 'serviceNotAvailable',
      },
    ]);
  });
});
