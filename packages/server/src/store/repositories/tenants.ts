import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import {
  contractEnded,
  DEFAULT_TENANT_SETTINGS,
  type Tenant,
  TenantOffboardedError,
  type TenantRefusal,
  type TenantRepository,
  type TenantSettings,
} from '../../domain/tenants/tenant.js';
import type { Database, TenantTable } from '../schema.js';

export class KyselyTenantRepository implements TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(id: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTenant(row);
  }

  async ensure(id: string, now: Date): Promise<Tenant> {
    // Read first: almost every call finds the tenant, and a read costs no write transaction.
    const existing = await this.find(id);
    if (existing) return existing;
    const at = now.toISOString();
    // Not for a tenant retention deleted after offboarding (offboarded_tenants): made anew it would
    // have no contract end, hence no deletion day. Checked in the insert itself, so that a deletion
    // committed since the caller looked still wins. (SQLite wants the WHERE before ON CONFLICT.)
    await sql`insert into tenants (id, settings, contract_end, created_at, updated_at)
      select cast(${id} as text), cast(${JSON.stringify(DEFAULT_TENANT_SETTINGS)} as text),
        cast(null as text), cast(${at} as text), cast(${at} as text)
      where not exists (select 1 from offboarded_tenants o where o.id = ${id})
      on conflict (id) do nothing`.execute(this.db);
    const tenant = await this.find(id);
    if (!tenant) throw new TenantOffboardedError(id);
    return tenant;
  }

  async refusal(id: string, now: Date): Promise<TenantRefusal | undefined> {
    const tenant = await this.db
      .selectFrom('tenants')
      .select('contract_end')
      .where('id', '=', id)
      .executeTakeFirst();
    if (tenant) return contractEnded(tenant.contract_end, now) ? 'contract_ended' : undefined;
    const offboarded = await this.db
      .selectFrom('offboarded_tenants')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    return offboarded ? 'offboarded' : undefined;
  }

  async updateSettings(id: string, settings: TenantSettings, now: Date): Promise<void> {
    await this.db
      .updateTable('tenants')
      .set({ settings: JSON.stringify(settings), updated_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }
}

/** A tenant's settings as stored, and their version (the admin API's ETag). */
export interface VersionedSettings {
  readonly settings: TenantSettings;
  readonly version: string;
}

/**
 * The version of settings as stored: a digest of their text, so that it changes with any change to
 * them, whichever process or code path wrote it, and with nothing else.
 */
export function settingsVersion(storedText: string): string {
  return createHash('sha256').update(storedText).digest('base64url').slice(0, 22);
}

/**
 * Tenant settings read and replaced with compare-and-set, for the admin console: a replace based on
 * settings someone else has changed since they were read writes nothing, so that two admins (or
 * two tabs) cannot silently undo each other's changes. Always read from the database, never from
 * CachedTenantRepository: another process may have written them a moment ago.
 */
export class KyselyTenantSettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async read(id: string): Promise<VersionedSettings | undefined> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { settings: toTenant(row).settings, version: settingsVersion(row.settings) };
  }

  /**
   * Replaces the settings if they are still at `version`: one conditional UPDATE on the text read,
   * so that a change committed between the read and the write is not overwritten. False, and
   * nothing written, when they changed (or the tenant is gone).
   */
  async replace(
    id: string,
    version: string,
    settings: TenantSettings,
    now: Date,
  ): Promise<VersionedSettings | false> {
    const row = await this.db
      .selectFrom('tenants')
      .select('settings')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || settingsVersion(row.settings) !== version) return false;
    const text = JSON.stringify(settings);
    const result = await this.db
      .updateTable('tenants')
      .set({ settings: text, updated_at: now.toISOString() })
      .where('id', '=', id)
      .where('settings', '=', row.settings)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    return { settings, version: settingsVersion(text) };
  }
}

function toTenant(row: TenantTable): Tenant {
  // Settings saved by an older version may lack newer fields: defaults fill them in.
  const settings = { ...DEFAULT_TENANT_SETTINGS, ...(JSON.parse(row.settings) as Partial<TenantSettings>) };
  return { id: row.id, settings, contractEnd: row.contract_end };
}

/**
 * Tenant settings are read on every meeting request and change rarely: keep them a few seconds.
 * Changes made through this process apply at once; another process's within `ttlMs`.
 */
export class CachedTenantRepository implements TenantRepository {
  readonly #cache = new Map<string, { tenant: Tenant; until: number }>();

  constructor(
    private readonly inner: TenantRepository,
    private readonly ttlMs = 5000,
    private readonly clock: () => number = Date.now,
  ) {}

  async find(id: string): Promise<Tenant | undefined> {
    const hit = this.#cache.get(id);
    if (hit && hit.until > this.clock()) return hit.tenant;
    const tenant = await this.inner.find(id);
    if (tenant) this.#remember(tenant);
    else this.#cache.delete(id);
    return tenant;
  }

  async ensure(id: string, now: Date): Promise<Tenant> {
    return (await this.find(id)) ?? this.#remember(await this.inner.ensure(id, now));
  }

  async updateSettings(id: string, settings: TenantSettings, now: Date): Promise<void> {
    this.#cache.delete(id);
    await this.inner.updateSettings(id, settings, now);
  }

  /** Never cached: offboarding and readmission are done by another process (the CLI). */
  refusal(id: string, now: Date): Promise<TenantRefusal | undefined> {
    return this.inner.refusal(id, now);
  }

  /** Drops a tenant from the cache (after offboarding or direct changes). */
  forget(id: string): void {
    this.#cache.delete(id);
  }

  #remember(tenant: Tenant): Tenant {
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(tenant.id, { tenant, until: this.clock() + this.ttlMs });
    return tenant;
  }
}
