import { type Kysely, sql } from 'kysely';
import { type DialectName, type OpenOptions, openDatabase } from './database.js';
import { unavailableOr } from './database-unavailable.js';
import { type MigrationReport, migrateToLatest } from './migrations/index.js';
import { KyselyAuditRepository } from './repositories/audit.js';
import { KyselyAuthFlowRepository } from './repositories/auth-flow.js';
import { KyselyMeetingRepository } from './repositories/meetings.js';
import { KyselyTenantKeyRepository } from './repositories/tenant-keys.js';
import { CachedTenantRepository, KyselyTenantRepository } from './repositories/tenants.js';
import { KyselyTokenRepository } from './repositories/tokens.js';
import { KyselyUserRepository } from './repositories/users.js';
import type { Database } from './schema.js';
import type { Repositories, Store } from './store.js';
import { writeBatcherOf } from './write-batcher.js';

function repositories(db: Kysely<Database>, dialect: DialectName): Repositories {
  return {
    tenants: new KyselyTenantRepository(db),
    tenantKeys: new KyselyTenantKeyRepository(db),
    meetings: new KyselyMeetingRepository(db, dialect),
    audit: new KyselyAuditRepository(db),
    users: new KyselyUserRepository(db),
    tokens: new KyselyTokenRepository(db),
    authFlow: new KyselyAuthFlowRepository(db),
  };
}

export interface StoreOptions extends OpenOptions {
  /** Run pending migrations before returning (the server does; `roomlink doctor` does not). */
  readonly migrate?: boolean;
}

/** The Kysely-backed store; `db` is for the composition root, tests and maintenance jobs only. */
export type KyselyStore = Store & { readonly db: Kysely<Database> };

export async function openStore(url: string, options: StoreOptions = {}): Promise<KyselyStore> {
  const { db, dialect, location, failure } = openDatabase(url, options);
  if (options.migrate ?? true) {
    try {
      await migrateStore({ db, dialect, location });
    } catch (error) {
      // Nothing stays open (a pool, a file) to keep the failed command's process up.
      await db.destroy().catch(() => undefined);
      throw error;
    }
  }
  // SQLite: transactions are group-committed (store/write-batcher.ts); PostgreSQL: one per call.
  const batcher = writeBatcherOf<Kysely<Database>>(db);
  return {
    ...repositories(db, dialect),
    // Outside transactions, tenant reads go through a short cache (see CachedTenantRepository).
    tenants: new CachedTenantRepository(new KyselyTenantRepository(db)),
    db,
    dialect,
    location,
    transaction: batcher
      ? (work) => batcher.run((connection) => work(repositories(connection, dialect)))
      : (work) => db.transaction().execute((trx) => work(repositories(trx, dialect))),
    ping: async () => {
      await sql`select 1`.execute(db);
      const refused = failure?.();
      if (refused) throw refused;
    },
    close: async () => {
      // Writes already handed in are committed (or rejected) before the database closes.
      await batcher?.flush();
      await db.destroy();
    },
  };
}

/** PostgreSQL's current schema (from search_path); SQLite has none. */
export async function currentSchema(db: Kysely<Database>, dialect: DialectName): Promise<string | undefined> {
  if (dialect !== 'postgres') return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema;
}

/**
 * Applies the pending migrations. The first statements are the first to reach the database: a
 * PostgreSQL that cannot be reached or refuses the connection is reported as DatabaseUnavailable.
 */
export async function migrateStore(
  store: Pick<KyselyStore, 'db' | 'dialect' | 'location'>,
): Promise<MigrationReport> {
  try {
    return await migrateToLatest(store.db, await currentSchema(store.db, store.dialect));
  } catch (error) {
    throw store.dialect === 'postgres' ? unavailableOr(error, store.location) : error;
  }
}
