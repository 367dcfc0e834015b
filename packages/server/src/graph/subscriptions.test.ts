import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { SyncUserRecord, SyncUserRepository } from '../domain/sync/ports.js';
import { GraphClient } from './graph-client.js';
import { createSyncMetrics } from './graph-metrics.js';
import { ClientStateCheck, hashClientState, notificationUrl, SubscriptionManager } from './subscriptions.js';

const user: SyncUserRecord = {
  userId: 'user-1',
  tenantId: 'tenant-1',
  status: 'active',
  subscriptionId: 'sub-1',
  clientStateHash: null,
  subscriptionExpiresAt: null,
  deltaLinkCt: null,
  deltaStartedAt: null,
  lastChangeAt: null,
  lastReconciledAt: null,
};

describe('SubscriptionManager.remove', () => {
  it('gives up waiting for a Graph that never answers, so sign-out does not hang', async () => {
    const calls: string[] = [];
    const graph = {
      request: (_userId: string, req: { method?: string; path: string }) => {
        calls.push(`${req.method} ${req.path}`);
        return new Promise(() => undefined);
      },
    } as unknown as GraphClient;
    const manager = new SubscriptionManager(graph, {} as SyncUserRepository, {
      baseUrl: new URL('https://roomlink.example/'),
      deleteTimeoutMs: 10,
    });
    await expect(manager.remove(user)).resolves.toBeUndefined();
    expect(calls).toEqual(['DELETE subscriptions/sub-1']);
  });

  it('swallows Graph errors: the subscription expires on its own', async () => {
    const graph = {
      request: () => Promise.reject(new Error('503')),
    } as unknown as GraphClient;
    const manager = new SubscriptionManager(graph, {} as SyncUserRepository, {
      baseUrl: new URL('https://roomlink.example/'),
    });
    await expect(manager.remove(user)).resolves.toBeUndefined();
  });
});

describe('SubscriptionManager.ensure: duplicates a lost answer left behind', () => {
  const baseUrl = new URL('https://roomlink.example/');
  const ours = notificationUrl(baseUrl);
  const json = (status: number, body?: unknown) =>
    body === undefined ? new Response(null, { status }) : Response.json(body, { status });

  function scripted(answer: (method: string, url: string) => Response) {
    const calls: string[] = [];
    const warnings: object[] = [];
    const graph = new GraphClient({
      baseUrl: 'https://graph.test',
      tokens: { getAccessToken: async () => 'token', onClaimsChallenge: async () => 'token' },
      metrics: createSyncMetrics(new Registry()),
      fetch: async (input, init) => {
        const method = init?.method ?? 'GET';
        calls.push(`${method} ${String(input).replace('https://graph.test/v1.0/', '')}`);
        return answer(method, String(input));
      },
      sleep: async () => undefined,
    });
    const users = {
      update: async () => undefined,
      updateIfActive: async () => true,
    } as unknown as SyncUserRepository;
    const manager = new SubscriptionManager(graph, users, {
      baseUrl,
      log: { warn: (obj) => warnings.push(obj) },
    });
    return { calls, warnings, manager };
  }

  const fresh = { ...user, subscriptionId: null };

  it('follows the list’s next links, deletes the user’s other subscriptions to this deployment, and takes a 404 as done', async () => {
    const { calls, warnings, manager } = scripted((method, url) => {
      if (method === 'POST') return json(201, { id: 'new', creatorId: 'oid-1', notificationUrl: ours });
      if (method === 'DELETE')
        return url.endsWith('/dup-2') ? json(404, { error: { code: 'ResourceNotFound' } }) : json(204);
      if (!url.includes('skiptoken'))
        return json(200, {
          value: [
            { id: 'new', creatorId: 'oid-1', notificationUrl: ours },
            { id: 'dup-1', creatorId: 'OID-1', notificationUrl: ours },
            null,
          ],
          '@odata.nextLink': 'https://graph.test/v1.0/subscriptions?$skiptoken=2',
        });
      return json(200, {
        value: [
          { id: 'dup-2', creatorId: 'oid-1', notificationUrl: ours },
          // An admin's list may hold other users' subscriptions, and other deployments' of the user.
          { id: 'colleague', creatorId: 'oid-2', notificationUrl: ours },
          {
            id: 'staging',
            creatorId: 'oid-1',
            notificationUrl: 'https://staging.example/api/graph/notifications',
          },
          { id: 'anonymous', notificationUrl: ours },
        ],
      });
    });
    await expect(manager.ensure(fresh)).resolves.toBe(true);
    expect(calls).toEqual([
      'POST subscriptions',
      'GET subscriptions',
      'GET subscriptions?$skiptoken=2',
      'DELETE subscriptions/dup-1',
      'DELETE subscriptions/dup-2',
    ]);
    expect(warnings).toEqual([]);
  });

  it('lists and deletes nothing when the created subscription names no creatorId', async () => {
    const { calls, manager } = scripted(() => json(201, { id: 'new', notificationUrl: ours }));
    await expect(manager.ensure(fresh)).resolves.toBe(true);
    expect(calls).toEqual(['POST subscriptions']);
  });
});

describe('SubscriptionManager.ensure: sync stopped while the subscription was being created', () => {
  const baseUrl = new URL('https://roomlink.example/');
  const ours = notificationUrl(baseUrl);
  const fresh = { ...user, subscriptionId: null };

  /** Graph as scripted; the user's tokens are deleted (a sign-out) once the POST has been sent. */
  function signedOutDuringCreate(answer: (method: string, url: string) => Response) {
    const calls: string[] = [];
    const warnings: object[] = [];
    let tokensGone = false;
    const registry = new Registry();
    const graph = new GraphClient({
      baseUrl: 'https://graph.test',
      tokens: {
        getAccessToken: async () => {
          if (tokensGone) throw Object.assign(new Error('no tokens'), { code: 'sign_in_required' });
          return 'token-of-the-create';
        },
        onClaimsChallenge: async () => 'token',
      },
      metrics: createSyncMetrics(registry),
      fetch: async (input, init) => {
        const method = init?.method ?? 'GET';
        const auth = new Headers(init?.headers).get('authorization');
        calls.push(`${method} ${String(input).replace('https://graph.test/v1.0/', '')} ${auth}`);
        if (method === 'POST') tokensGone = true;
        return answer(method, String(input));
      },
      sleep: async () => undefined,
    });
    const stores: string[] = [];
    const users = {
      updateIfActive: async (_userId: string, changes: { subscriptionId?: string }) => {
        stores.push(String(changes.subscriptionId));
        return false;
      },
    } as unknown as SyncUserRepository;
    const manager = new SubscriptionManager(graph, users, {
      baseUrl,
      log: { warn: (obj) => warnings.push(obj) },
    });
    return { calls, warnings, stores, manager, registry };
  }

  it('stores nothing and deletes it at Graph, and the duplicates, with the token it was created with', async () => {
    const { calls, warnings, stores, manager } = signedOutDuringCreate((method) => {
      if (method === 'POST') return Response.json({ id: 'new', creatorId: 'oid-1', notificationUrl: ours });
      if (method === 'GET')
        return Response.json({
          value: [{ id: 'dup-1', creatorId: 'oid-1', notificationUrl: ours }],
        });
      return new Response(null, { status: 204 });
    });
    await expect(manager.ensure(fresh)).resolves.toBe(false);
    expect(stores).toEqual(['new']);
    expect(calls).toEqual([
      'POST subscriptions Bearer token-of-the-create',
      'DELETE subscriptions/new Bearer token-of-the-create',
      'GET subscriptions Bearer token-of-the-create',
      'DELETE subscriptions/dup-1 Bearer token-of-the-create',
    ]);
    expect(warnings).toEqual([]);
  });

  it('warns with Graph’s status and code only, and counts the calls, when the deletion keeps failing', async () => {
    const { calls, warnings, manager, registry } = signedOutDuringCreate((method) => {
      if (method === 'POST') return Response.json({ id: 'new', notificationUrl: ours });
      return Response.json({ error: { code: 'serviceNotAvailable' } }, { status: 503 });
    });
    await expect(manager.ensure(fresh)).resolves.toBe(false);
    expect(calls.filter((c) => c.startsWith('DELETE subscriptions/new'))).toHaveLength(5);
    expect(warnings).toEqual([{ error: 'GraphError', status: 503, code: 'serviceNotAvailable' }]);
    const counted = (await registry.getSingleMetric('roomlink_graph_requests_total')?.get())?.values.find(
      (v) => v.labels.operation === 'subscription.delete_unstored' && v.labels.outcome === 'server_error',
    );
    expect(counted?.value).toBe(5);
  });
});

describe('ClientStateCheck', () => {
  const stored = hashClientState('s3cret-client-state');

  it('accepts the clientState whose digest is stored, and nothing else, before and after a match', () => {
    const check = new ClientStateCheck(stored);
    const others = [
      's3cret-client-statf',
      's3cret-client-stat',
      's3cret-client-state ',
      '',
      null,
      undefined,
      42,
    ];
    // Before any match (digest path), then after one (the matched bytes are compared directly).
    for (const value of others) expect(check.matches(value)).toBe(false);
    expect(check.matches('s3cret-client-state')).toBe(true);
    for (const value of others) expect(check.matches(value)).toBe(false);
    expect(check.matches('s3cret-client-state')).toBe(true);
  });

  it('matches nothing when no digest, or no well-formed one, is stored', () => {
    for (const bad of [null, stored.toUpperCase(), stored.slice(2), 'not a digest']) {
      expect(new ClientStateCheck(bad).matches('s3cret-client-state')).toBe(false);
    }
  });
});
