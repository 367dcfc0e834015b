import { describe, expect, it } from 'vitest';
import type { SyncUserRecord, SyncUserRepository } from '../domain/sync/ports.js';
import type { GraphClient } from './graph-client.js';
import { ClientStateCheck, hashClientState, SubscriptionManager } from './subscriptions.js';

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
