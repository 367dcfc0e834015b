/**
 * For retention, data-subject request and admin console tests: users with encrypted names (as
 * sign-in stores them), browser sessions (as the browser sign-in creates them), OAuth token rows,
 * and a test app with the admin console and the real session authenticator.
 */
import { sql } from 'kysely';
import type { ExportGate } from '../../src/admin/export-gate.js';
import { adminPlugin } from '../../src/admin/plugin.js';
import { sessionAuthenticator } from '../../src/identity/authenticator.js';
import type { UserStatus } from '../../src/identity/ports.js';
import { digest, randomToken } from '../../src/identity/secrets.js';
import { createRetention, type Retention } from '../../src/retention/index.js';
import type { Runtime } from '../../src/runtime.js';
import type { DialectName } from './databases.js';
import { startTestApp, type TestApp } from './harness.js';

export const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface NamedUser {
  readonly name?: string;
  readonly upn?: string;
  readonly isAdmin?: boolean;
  readonly status?: UserStatus;
  readonly lastSignInAt?: string;
}

export async function insertNamedUser(
  runtime: Runtime,
  tenantId: string,
  userId: string,
  user: NamedUser = {},
): Promise<void> {
  const now = new Date();
  await runtime.store.tenants.ensure(tenantId, now);
  const seal = (column: string, value: string) =>
    runtime.cipher.encrypt({ tenantId, table: 'users', column, rowId: userId }, value);
  await runtime.store.users.insert({
    id: userId,
    tenantId,
    exchangeId: `oid-${userId}`,
    displayNameCt: await seal('display_name', user.name ?? `Name of ${userId}`),
    upnCt: await seal('upn', user.upn ?? `${userId}@contoso.example`),
    status: user.status ?? 'active',
    isAdmin: user.isAdmin ?? false,
    settings: {},
    pendingClaims: null,
    lastSignInAt: user.lastSignInAt ?? now.toISOString(),
    createdAt: now.toISOString(),
  });
}

/** A browser session (the admin console's), returned as the cookie value. */
/**
 * `count` active users as sign-in stores them (names and addresses sealed), inserted directly, 200
 * per statement: for exports big enough to take many turns of the event loop. A name is padded to
 * `nameLength` characters when given, to make the export big in bytes too.
 */
export async function seedUsers(
  runtime: Runtime,
  tenantId: string,
  count: number,
  nameLength = 0,
): Promise<void> {
  const at = new Date().toISOString();
  for (let start = 0; start < count; start += 200) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + 200); i++) {
      const id = `bulk-${String(i).padStart(5, '0')}`;
      const seal = (column: string, value: string) =>
        runtime.cipher.encrypt({ tenantId, table: 'users', column, rowId: id }, value);
      rows.push({
        id,
        tenant_id: tenantId,
        exchange_id: `oid-${id}`,
        display_name_ct: await seal('display_name', `Bulk User ${i}`.padEnd(nameLength, ' abcdefghi')),
        upn_ct: await seal('upn', `bulk${i}@contoso.example`),
        status: 'active' as const,
        is_admin: 0,
        settings: '{}',
        pending_claims: null,
        last_sign_in_at: at,
        created_at: at,
      });
    }
    await runtime.store.db.insertInto('users').values(rows).execute();
  }
}

export async function insertBrowserSession(
  runtime: Runtime,
  tenantId: string,
  userId: string,
  ttlMs = 3600_000,
): Promise<string> {
  const token = randomToken();
  const now = new Date();
  await runtime.store.authFlow.insertSession({
    tokenHash: digest(token),
    userId,
    tenantId,
    kind: 'browser',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
  });
  return token;
}

export async function insertTokens(runtime: Runtime, tenantId: string, userId: string): Promise<void> {
  const refresh = await runtime.cipher.encrypt(
    { tenantId, table: 'user_tokens', column: 'refresh_token', rowId: userId },
    `refresh-${userId}`,
  );
  await runtime.store.tokens.put({
    userId,
    tenantId,
    refreshTokenCt: refresh,
    accessTokenCt: null,
    accessExpiresAt: null,
    version: 1,
    updatedAt: new Date().toISOString(),
  });
}

export async function createMeeting(
  runtime: Runtime,
  tenantId: string,
  userId: string,
  subject: string,
  end: Date = new Date(Date.now() + 86_400_000),
): Promise<string> {
  const { meeting } = await runtime.meetings.create(
    { tenantId, userId, isTenantAdmin: false },
    { subject, start: new Date(end.getTime() - 3600_000), end, options: { guestPin: true } },
  );
  return meeting.id;
}

/** Every table with a tenant_id column, and how many rows it holds for the tenant. */
export async function rowsOfTenant(runtime: Runtime, tenantId: string): Promise<Record<string, number>> {
  const db = runtime.store.db;
  const tables =
    runtime.store.dialect === 'sqlite'
      ? await sql<{ name: string }>`
          select m.name as name from sqlite_master m, pragma_table_info(m.name) p
          where m.type = 'table' and p.name = 'tenant_id'`.execute(db)
      : await sql<{ name: string }>`
          select table_name as name from information_schema.columns
          where table_schema = current_schema() and column_name = 'tenant_id'`.execute(db);
  const counts: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const r = await sql<{ n: string | number }>`
      select count(*) as n from ${sql.table(name)} where tenant_id = ${tenantId}`.execute(db);
    counts[name] = Number(r.rows[0]?.n);
  }
  return counts;
}

export interface AdminTestApp extends TestApp {
  readonly retention: Retention;
}

/**
 * The real app on a real port, with the session authenticator and the admin console; `exportGate`
 * for a test that waits for a tenant export to have let go.
 */
export async function startAdminApp(
  dialect: DialectName,
  options: { exportGate?: ExportGate } = {},
): Promise<AdminTestApp> {
  let retention: Retention | undefined;
  const t = await startTestApp(dialect, {
    realBaseUrl: true,
    features: async (runtime) => {
      retention = createRetention(runtime, { logger: SILENT });
      return {
        authenticate: sessionAuthenticator(runtime.store.authFlow, runtime.config.baseUrl),
        plugins: [adminPlugin({ runtime, retention, ...options })],
      };
    },
  });
  return Object.assign(t, { retention: retention as Retention });
}
