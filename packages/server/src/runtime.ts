/**
 * Composition root: turns a Config into the running parts (store, keys, services) and knows how to
 * close them. The server and the CLI both start from here.
 */
import { EventEmitter } from 'node:events';
import { access } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { EnvelopeCipher } from './crypto/envelope.js';
import type { KeyProvider } from './crypto/key-provider.js';
import { EnvKeyProvider, FileKeyProvider } from './crypto/local-key-provider.js';
import type { MeetingProvider } from './domain/meetings/provider.js';
import { MeetingService } from './domain/meetings/service.js';
import { createMetrics, type HttpMetrics } from './observability/metrics.js';
import { BuiltinProvider } from './providers/builtin/provider.js';
import { type KyselyStore, openStore } from './store/kysely-store.js';
import { storeMetrics } from './store/metrics.js';

export interface Runtime {
  readonly config: Config;
  readonly store: KyselyStore;
  readonly keyProvider: KeyProvider;
  readonly cipher: EnvelopeCipher;
  readonly meetings: MeetingService;
  readonly builtin: BuiltinProvider;
  /** Room lifecycle events for the room service: `cancelled` with the room's slug. */
  readonly roomEvents: EventEmitter<{ cancelled: [slug: string] }>;
  /** Prometheus metrics of this process; features add their own to its registry. */
  readonly metrics: HttpMetrics;
  close(): Promise<void>;
}

export class MissingKeyringError extends Error {
  constructor(file: string) {
    super(
      `no master keyring at ${file}. Run "roomlink keys init" once (and back the file up), ` +
        'or set ROOMLINK_KEY_PROVIDER=env with ROOMLINK_MASTER_KEYS',
    );
    this.name = 'MissingKeyringError';
  }
}

export async function createKeyProvider(config: Config, logger: Pick<Logger, 'warn'>): Promise<KeyProvider> {
  if (config.keys.provider === 'env') return new EnvKeyProvider(config.keys.envKeys);
  const provider = new FileKeyProvider(config.keys.keyringFile);
  if (config.demo) {
    if (await provider.ensure()) {
      logger.warn(
        { file: config.keys.keyringFile },
        'demo mode: generated a new master key in the data directory',
      );
    }
  } else if (!(await fileExists(config.keys.keyringFile))) {
    throw new MissingKeyringError(config.keys.keyringFile);
  }
  return provider;
}

export async function createRuntime(
  config: Config,
  logger: Pick<Logger, 'warn' | 'error'>,
  options: { migrate?: boolean; metrics?: HttpMetrics } = {},
): Promise<Runtime> {
  const keyProvider = await createKeyProvider(config, logger);
  const metrics = options.metrics ?? createMetrics();
  const store = await openStore(config.databaseUrl, {
    migrate: options.migrate ?? true,
    sqliteSynchronous: config.sqliteSynchronous,
    observer: {
      ...storeMetrics(metrics.registry),
      logSyncFailed: (error) =>
        logger.error(
          { err: error },
          'SQLite write-ahead log sync failed: writes are refused; restart Roomlink',
        ),
    },
  });
  const cipher = new EnvelopeCipher(store.tenantKeys, keyProvider);
  const roomEvents = new EventEmitter<{ cancelled: [slug: string] }>();
  const builtin = new BuiltinProvider({
    baseUrl: config.baseUrl,
    sipDomain: config.rooms.sipDomain,
    dialInNumber: config.rooms.dialInNumber,
    onCancel: (slug) => roomEvents.emit('cancelled', slug),
  });
  const providers = new Map<string, MeetingProvider>([[builtin.id, builtin]]);
  const meetings = new MeetingService({
    store,
    cipher,
    providers,
    defaultProvider: builtin.id,
    window: {
      openBeforeMinutes: config.rooms.openBeforeMinutes,
      closeAfterMinutes: config.rooms.closeAfterMinutes,
    },
  });
  return {
    config,
    store,
    keyProvider,
    cipher,
    meetings,
    builtin,
    roomEvents,
    metrics,
    close: () => store.close(),
  };
}

async function fileExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
