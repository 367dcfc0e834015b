/** Creates a real add-in session row (as sign-in would) for tests that talk to a server process. */
import { digest, randomToken } from '../../src/identity/secrets.js';
import type { Store } from '../../src/store/store.js';

export async function insertSession(store: Store, tenantId: string, userId: string): Promise<string> {
  const now = new Date();
  await store.tenants.ensure(tenantId, now);
  await store.users.insert({
    id: userId,
    tenantId,
    exchangeId: `oid-${userId}`,
    displayNameCt: null,
    upnCt: null,
    status: 'active',
    isAdmin: false,
    settings: {},
    pendingClaims: null,
    lastSignInAt: null,
    createdAt: now.toISOString(),
  });
  const token = randomToken();
  await store.authFlow.insertSession({
    tokenHash: digest(token),
    userId,
    tenantId,
    kind: 'addin',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
  });
  return token;
}
