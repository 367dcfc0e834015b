/**
 * A database demo mode used holds the demo's tenants, their test users and sessions (the sandbox's,
 * `roomlink dev sign-in`'s), which were signed in without a password. Started against Microsoft on
 * the same database (an admin who tried `npm start`, then set MS_CLIENT_ID with the same data
 * directory), those sessions would go on working: a demo "tenant admin" in a production Roomlink.
 * `serve` refuses to start there and `doctor` says so.
 *
 * Only against a non-loopback authority: Microsoft never serves on loopback, while a developer who
 * runs the identity emulator on its own (not demo mode) signs its demo tenants in on purpose.
 */
import { DEMO_TENANTS } from '@roomlink/emulators';
import { type Config, isLoopback } from '../config/config.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { CliError, EXIT } from './exit.js';

/** The demo tenants (their names) this database holds, where none may be; empty when all is well. */
export async function demoTenantsLeft(store: KyselyStore, config: Config): Promise<string[]> {
  if (config.demo || !config.microsoft || isLoopback(config.microsoft.authority)) return [];
  const rows = await store.db
    .selectFrom('tenants')
    .select('id')
    .where(
      'id',
      'in',
      DEMO_TENANTS.map((t) => t.id),
    )
    .execute();
  const found = new Set(rows.map((r) => r.id));
  return DEMO_TENANTS.filter((t) => found.has(t.id)).map((t) => t.name);
}

export function demoLeftoversMessage(names: readonly string[]): string {
  return (
    `this database holds the demo's tenants (${names.join(', ')}): demo mode (no MS_CLIENT_ID) used it, ` +
    'and its test users and their sessions signed in without a password. Outside demo mode Roomlink ' +
    'needs a database of its own: point DATABASE_URL (or ROOMLINK_DATA_DIR) at a new one'
  );
}

/** Throws the configuration exit code (78) when the database holds the demo's tenants. */
export async function refuseDemoLeftovers(store: KyselyStore, config: Config): Promise<void> {
  const names = await demoTenantsLeft(store, config);
  if (names.length > 0) throw new CliError(demoLeftoversMessage(names), EXIT.config);
}
