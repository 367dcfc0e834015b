/** `roomlink doctor`: checks configuration, database and keys in that order. */
import { ConfigError, loadConfig } from '../config/config.js';
import { adminConsentRedirectUrl, callbackUrl } from '../identity/index.js';
import { createKeyProvider } from '../runtime.js';
import { openStore } from '../store/kysely-store.js';
import { EXIT } from './exit.js';

export async function runDoctor(
  env: Readonly<Record<string, string | undefined>>,
  print: (line: string) => void,
): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
    print(`ok    configuration (base URL ${config.baseUrl}, ${config.demo ? 'demo mode' : 'Microsoft 365'})`);
    for (const line of appRegistrationValues(config.baseUrl)) print(`      ${line}`);
  } catch (error) {
    print(`FAIL  configuration\n${error instanceof ConfigError ? error.message : String(error)}`);
    return EXIT.config;
  }

  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    store = await openStore(config.databaseUrl, { migrate: false });
    await store.ping();
    print(`ok    database ${store.location}`);
  } catch (error) {
    print(`FAIL  database: ${error instanceof Error ? error.message : String(error)}`);
    await store?.close().catch(() => undefined);
    return EXIT.database;
  }

  try {
    const provider = await createKeyProvider({ ...config, demo: false }, { warn: () => undefined });
    const held = new Set(await provider.masterKeyIds());
    const counts = await store.tenantKeys.countByMasterKey().catch(() => new Map<string, number>());
    const missing = [...counts.keys()].filter((id) => !held.has(id));
    if (missing.length > 0)
      throw new Error(`data keys are wrapped with master keys the provider lacks: ${missing.join(', ')}`);
    print(
      `ok    keys (${provider.name} provider, ${held.size} master key(s), ${sum(counts)} tenant data key(s))`,
    );
  } catch (error) {
    print(`FAIL  keys: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.keys;
  } finally {
    await store.close();
  }
  return EXIT.ok;
}

function sum(counts: Map<string, number>): number {
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
    '  API permission: Microsoft Graph, Delegated, Calendars.Read',
    `  Admin consent link for each tenant: ${new URL('auth/admin-consent', baseUrl)}`,
    `  Add-in manifest: ${new URL('addin/manifest.xml', baseUrl)}`,
  ];
}
