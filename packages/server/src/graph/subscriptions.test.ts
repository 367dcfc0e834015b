import { describe, expect, it } from 'vitest';
import type { SyncUserRecord, SyncUserRepository } from '../domain/sync/ports.js';
import type { GraphClient } from './graph-client.js';
import { SubscriptionManager } from './subscriptions.js';

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
