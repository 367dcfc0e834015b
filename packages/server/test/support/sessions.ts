/** Creates real session rows (as sign-in would) for tests that need a signed-in user. */

import { roomlinkCookies } from '../../src/http/cookies.js';
import { digest, randomToken } from '../../src/identity/secrets.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import type { Store } from '../../src/store/store.js';

export async function insertUser(
  store: Store,
  tenantId: string,
  userId: string,
  isAdmin = false,
  exchangeId = `oid-${userId}`,
): Promise<void> {
  const now = new Date();
  await store.tenants.ensure(tenantId, now);
  await store.users.insert({
    id: userId,
    tenantId,
    exchangeId,
    displayNameCt: null,
    upnCt: null,
    status: 'active',
    isAdmin,
    settings: {},
    pendingClaims: null,
    lastSignInAt: null,
    createdAt: now.toISOString(),
  });
}

/**
 * A token row, as an add-in sign-in leaves (the ciphertext is a placeholder, never decrypted): a user
 * with tokens is one Roomlink acts for, which retention does not sign out when their sessions end.
 */
export async function insertTokens(store: KyselyStore, tenantId: string, userId: string): Promise<void> {
  await store.db
    .insertInto('user_tokens')
    .values({
      user_id: userId,
      tenant_id: tenantId,
      refresh_token_ct: 'v1.test.refresh',
      access_token_ct: null,
      access_expires_at: null,
      version: 1,
      updated_at: new Date().toISOString(),
    })
    .execute();
}

export async function insertSession(
  store: Store,
  tenantId: string,
  userId: string,
  options: { kind?: 'addin' | 'browser'; isAdmin?: boolean; ttlMs?: number; createUser?: boolean } = {},
): Promise<string> {
  if (options.createUser ?? true) await insertUser(store, tenantId, userId, options.isAdmin);
  const token = randomToken();
  const now = new Date();
  await store.authFlow.insertSession({
    tokenHash: digest(token),
    userId,
    tenantId,
    kind: options.kind ?? 'addin',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (options.ttlMs ?? 3600_000)).toISOString(),
  });
  return token;
}

/**
 * A Cookie header carrying an admin console session `token` under the name in force for the app's
 * base URL (`__Host-roomlink_session` with an https one: src/http/cookies.ts).
 */
export function consoleCookie(runtime: { config: { baseUrl: URL } }, token: string): string {
  return `${roomlinkCookies(runtime.config.baseUrl).session.name}=${token}`;
}
