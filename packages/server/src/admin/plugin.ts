/**
 * The admin console as an app plugin: the JSON API under /api/v1/admin and the pages under /admin.
 * Mount it with the product's session authenticator (identity/authenticator.ts): a browser session
 * cookie authenticates the console, and the principal's isTenantAdmin decides.
 */
import type { AppPlugin } from '../app.js';
import { roomlinkCookies } from '../http/cookies.js';
import type { Retention } from '../retention/index.js';
import type { Runtime } from '../runtime.js';
import { KyselySyncRetentionRepository } from '../store/repositories/retention-sync.js';
import { KyselyTenantSettingsRepository } from '../store/repositories/tenants.js';
import { adminApiRoutes } from './api.js';
import { ExportGate } from './export-gate.js';
import { adminPages } from './pages.js';
import { sampleJoinDetails } from './preview.js';

export interface AdminPluginDeps {
  readonly runtime: Runtime;
  readonly retention: Retention;
  /** Each tenant's exports one at a time: one gate per app unless given (tests watch it). */
  readonly exportGate?: ExportGate;
  /** How long an export's download may take no data before it is ended (default: a minute). */
  readonly exportStallTimeoutMs?: number;
}

export function adminPlugin(deps: AdminPluginDeps): AppPlugin {
  const { runtime, retention } = deps;
  // One per app, so one per server process: each tenant's exports run one at a time.
  const exportGate = deps.exportGate ?? new ExportGate();
  // CachedTenantRepository in the product (as retention's createRetention treats it).
  const tenants = runtime.store.tenants as { forget?: (id: string) => void };
  return async (app) => {
    // Encapsulated: the API's hooks apply to its own routes only.
    await app.register(async (scope) =>
      adminApiRoutes(scope, {
        tenants: runtime.store.tenants,
        audit: runtime.store.audit,
        cipher: runtime.cipher,
        subjects: retention.subjects,
        offboarding: retention.offboarding,
        users: retention.subjectRepository,
        sync: new KyselySyncRetentionRepository(runtime.store.db, runtime.store.dialect),
        settings: new KyselyTenantSettingsRepository(runtime.store.db),
        // Settings written past the cache apply to this process's meetings at once, as before.
        settingsChanged: (tenantId) => tenants.forget?.(tenantId),
        sessions: runtime.store.authFlow,
        sessionCookie: roomlinkCookies(runtime.config.baseUrl).session,
        exportGate,
        exportStallTimeoutMs: deps.exportStallTimeoutMs,
        sample: sampleJoinDetails(runtime.config),
        helpUrl: runtime.config.rooms.helpUrl,
      }),
    );
    await app.register(adminPages);
  };
}
