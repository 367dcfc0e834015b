/**
 * `roomlink doctor`: checks configuration, database, keys, the room engine when it is an external one,
 * and (outside demo mode) that Microsoft can be reached, in that order; it creates nothing.
 */
import { ConfigError, configWarnings, loadConfig } from '../config/config.js';
import { FileKeyProvider, keyringOpenMessage } from '../crypto/local-key-provider.js';
import { lifecycleUrl, notificationUrl } from '../graph/subscriptions.js';
import { adminConsentRedirectUrl, callbackUrl } from '../identity/index.js';
import { checkSqliteWritable, createKeyProvider } from '../runtime.js';
import { connectionFailureReason } from '../store/database-unavailable.js';
import { type KyselyStore, openStore } from '../store/kysely-store.js';
import { newerDatabaseMessage, searchPathProblem } from '../store/migrations/index.js';
import { clientCertificateProblems } from './client-certificate.js';
import { demoLeftoversMessage, demoTenantsLeft } from './demo-leftovers.js';
import { checkRoomEngine } from './engine-check.js';
import {
  holdsNoRoomlinkTables,
  migrationState,
  missingDatabaseMessage,
  missingSqliteDatabase,
  tablesInSchema,
} from './existing-database.js';
import { EXIT } from './exit.js';
import { checkMasterKeyCoverage } from './key-coverage.js';
import { checkMicrosoft } from './microsoft-check.js';

export interface DoctorOptions {
  /** The time certificates are checked against (tests). */
  readonly now?: () => Date;
  /** How long to wait for each host doctor reaches (Microsoft's, the room engine); 10 s by default. */
  readonly networkTimeoutMs?: number;
}

export async function runDoctor(
  env: Readonly<Record<string, string | undefined>>,
  print: (line: string) => void,
  options: DoctorOptions = {},
): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
    // Sign-in reads the certificate and key only when the first user signs in: read them now.
    const problems = await clientCertificateProblems(
      config.microsoft?.credential,
      (options.now ?? (() => new Date()))(),
    );
    if (problems.length > 0) throw new ConfigError(problems);
    // A DATABASE_URL naming a directory or some other file, or a database this account may only
    // read, as the server would refuse it (read only: doctor changes nothing).
    await checkSqliteWritable(config.databaseUrl);
    print(`ok    configuration (base URL ${config.baseUrl}, ${config.demo ? 'demo mode' : 'Microsoft 365'})`);
    for (const line of appRegistrationValues(config.baseUrl)) print(`      ${line}`);
    for (const warning of configWarnings(config)) print(`warn  ${warning}`);
  } catch (error) {
    print(`FAIL  configuration\n${error instanceof ConfigError ? error.message : String(error)}`);
    return EXIT.config;
  }

  // Checking must not create the database (a mistyped path would pass, leaving a stray empty file).
  // An empty file holds none either (what the data commands refuse): not "migrations pending".
  const missing = missingSqliteDatabase(config.databaseUrl);
  if (missing !== undefined) {
    print(`FAIL  database: ${missingDatabaseMessage(missing)}`);
    return EXIT.database;
  }
  let store: KyselyStore | undefined;
  let demoTenants: string[];
  try {
    store = await openStore(config.databaseUrl, { migrate: false, mustExist: true });
    await store.ping();
    // Migrations would fail there: say so now, not at the first start.
    const searchPath = await searchPathProblem(store.db);
    if (searchPath !== undefined) throw new Error(searchPath);
    const { schema, pending, newer } = await migrationState(store);
    // The server would refuse to start on it (migrateToLatest).
    if (newer.length > 0) throw new Error(newerDatabaseMessage(newer));
    // The server would refuse to start on it (cli/demo-leftovers.ts); a database without the
    // tenants table yet holds none.
    const empty = holdsNoRoomlinkTables(pending);
    demoTenants = empty ? [] : await demoTenantsLeft(store, config);
    // Another application's tables and none of Roomlink's: most likely the wrong database, which the
    // server would add its tables to. Only a warning: a shared schema can be deliberate.
    const foreign = empty ? await tablesInSchema(store) : [];
    if (demoTenants.length === 0) {
      print(
        `ok    database ${store.location}${schema ? `, schema ${schema}` : ''} (${
          pending.length === 0
            ? 'schema up to date'
            : empty
              ? 'no Roomlink tables yet; Roomlink creates them when it starts, or run `roomlink migrate`'
              : `${pending.length} migration(s) pending: ${pending.join(', ')}; Roomlink applies them ` +
                'when it starts, or run `roomlink migrate`'
        })`,
      );
      if (foreign.length > 0) print(`warn  database: ${foreignTablesMessage(foreign)}`);
    }
  } catch (error) {
    // Not reached, or refused: where it tried and why, in the words serve and migrate use.
    const unreachable = store?.dialect === 'postgres' ? connectionFailureReason(error) : undefined;
    const why = error instanceof Error ? error.message : String(error);
    print(
      `FAIL  database: ${unreachable === undefined ? why : `cannot connect to ${store?.location}: ${unreachable}`}`,
    );
    await store?.close().catch(() => undefined);
    return EXIT.database;
  }
  if (demoTenants.length > 0) {
    print(`FAIL  database: ${demoLeftoversMessage(demoTenants)}`);
    await store.close();
    return EXIT.config;
  }

  try {
    // Doctor creates nothing: a missing keyring fails here, naming the file.
    // Nor does it change the keyring's mode: a keyring others can read is reported below.
    const provider = await createKeyProvider(
      config,
      { warn: () => undefined },
      { createDemoKeyring: false, keepKeyringMode: true },
    );
    const { held, counts } = await checkMasterKeyCoverage(store, provider);
    print(
      `ok    keys (${provider.name} provider, ${held.size} master key(s), ${sum(counts)} data key(s): tenants' and sign-in's)`,
    );
    if (provider instanceof FileKeyProvider) {
      const mode = await provider.openMode();
      if (mode !== undefined) print(`warn  keys: ${keyringOpenMessage(provider.file, mode)}`);
    }
  } catch (error) {
    print(`FAIL  keys: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.keys;
  } finally {
    await store.close();
  }

  const reach = options.networkTimeoutMs ? { timeoutMs: options.networkTimeoutMs } : {};
  // Demo mode too: a BigBlueButton server is a real one there as well.
  const engine = await checkRoomEngine(config.rooms.engine, reach);
  if (engine) print(engine.line);

  if (config.microsoft === null) {
    print('skip  Microsoft: demo mode signs in against the built-in emulators');
    return engine?.failed ? EXIT.unreachable : EXIT.ok;
  }
  const microsoft = await checkMicrosoft(
    { baseUrl: config.baseUrl, graphBaseUrl: config.graphBaseUrl, microsoft: config.microsoft },
    reach,
  );
  for (const line of microsoft.lines) print(line);
  return microsoft.failed || engine?.failed ? EXIT.unreachable : EXIT.ok;
}

function sum(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of counts.values()) n += v;
  return n;
}

/** The values an admin enters in the Entra app registration (docs/deploy-microsoft-365.md). */
export function appRegistrationValues(baseUrl: URL): string[] {
  return [
    'App registration (Microsoft Entra admin center):',
    `  Redirect URI (Web): ${callbackUrl(baseUrl)}`,
    `  Redirect URI (Web): ${adminConsentRedirectUrl(baseUrl)}`,
    '  API permissions: Microsoft Graph, Delegated: Calendars.Read, offline_access, openid, profile',
    `  Admin consent link for each tenant: ${new URL('auth/admin-consent', baseUrl)}`,
    `  Add-in manifest: ${new URL('addin/manifest.xml', baseUrl)}`,
    'Reachable by Microsoft Graph from the internet (HTTPS POST, calendar change notifications):',
    `  ${notificationUrl(baseUrl)}`,
    `  ${lifecycleUrl(baseUrl)}`,
  ];
}

function foreignTablesMessage(tables: readonly string[]): string {
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
  return (
    `it holds ${tables.length} table(s) (${shown}) but none of Roomlink's: if it is another ` +
    "application's database, Roomlink would add its tables beside them at start. Check DATABASE_URL " +
    '(or ROOMLINK_DATA_DIR)'
  );
}
