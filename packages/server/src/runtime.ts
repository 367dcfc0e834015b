/**
 * Composition root: turns a Config into the running parts (store, keys, services) and knows how to
 * close them. The server and the CLI both start from here.
 */
import { EventEmitter } from 'node:events';
import { access, chmod, lstat, mkdir, open, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
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
  /**
   * Room lifecycle events for the room service, with the room's slug: `cancelled`, and `changed`
   * (times, guest PIN or lobby updated; committed, so the room can read them back).
   */
  readonly roomEvents: EventEmitter<RoomEvents>;
  /** Prometheus metrics of this process; features add their own to its registry. */
  readonly metrics: HttpMetrics;
  close(): Promise<void>;
}

export type RoomEvents = { cancelled: [slug: string]; changed: [slug: string] };

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
  await privateSqliteFiles(config.databaseUrl, logger);
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
  const roomEvents = new EventEmitter<RoomEvents>();
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
    onUpdated: (meeting) => {
      if (meeting.provider === builtin.id) roomEvents.emit('changed', meeting.room.slug);
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

/**
 * SQLite: the database file and its directory are private to the account Roomlink runs as, before
 * the store opens them (they hold Exchange ids, subscription and job ids in clear, and ciphertext).
 *
 * - A directory Roomlink creates (the data directory, or DATABASE_URL's) is made 0700. A directory
 *   that exists already is left as it is: the operator chose it and its mode (a volume, a systemd
 *   StateDirectory, one shared with other software), and Roomlink cannot tell one it created in an
 *   earlier version from one an operator made. The files below are what protects the data.
 * - A new database file is created empty with 0600 before SQLite opens it; SQLite gives the -wal
 *   and -shm files it creates the main file's mode. An existing file (and a -wal or -shm left by a
 *   crash) open to group or others (earlier versions created them 0644 under umask 022) loses those
 *   bits; each change is logged. A symbolic link counts as the file it leads to. If it cannot be changed (another owner), Roomlink warns and starts
 *   anyway.
 */
export async function privateSqliteFiles(databaseUrl: string, logger: Pick<Logger, 'warn'>): Promise<void> {
  // Windows has no such mode bits (stat reports 0o666, chmod only flips read-only): the directory's
  // ACL is what keeps other accounts out there (docs/security.md).
  if (!databaseUrl.startsWith('sqlite:') || process.platform === 'win32') return;
  const name = databaseUrl.slice('sqlite:'.length);
  if (name === '' || name === ':memory:') return;
  const named = path.resolve(name);
  await mkdir(path.dirname(named), { recursive: true, mode: 0o700 });
  if (await createPrivate(named)) return;
  // SQLite follows symbolic links and keeps its -wal and -shm beside the file the link leads to.
  const file = await realpath(named).catch(() => named);
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = (await stat(each)).mode & 0o777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if ((mode & 0o077) === 0) continue;
    const octal = (m: number) => `0${m.toString(8).padStart(3, '0')}`;
    const fields = { file: each, mode: octal(mode) };
    try {
      await chmod(each, mode & 0o700);
      logger.warn(
        { ...fields, newMode: octal(mode & 0o700) },
        'SQLite file was open to other accounts; Roomlink made it private to its own',
      );
    } catch (error) {
      logger.warn(
        { ...fields, err: { code: (error as NodeJS.ErrnoException).code } },
        'SQLite file is open to other accounts and Roomlink cannot change its mode; make it 0600',
      );
    }
  }
}

/**
 * Creates the database file empty with 0600 if nothing is there yet; false if a file is. A symbolic
 * link to a file that does not exist yet (a link into a volume, say) counts as nothing: SQLite would
 * create the file it leads to, with the umask's mode, so that file is created here instead.
 */
async function createPrivate(named: string): Promise<boolean> {
  let file = named;
  for (let hops = 0; hops < MAX_SYMLINK_HOPS; hops++) {
    try {
      await (await open(file, 'wx', 0o600)).close();
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A link into a directory that does not exist: SQLite will say so when it opens the file.
      if (code === 'ENOENT' && file !== named) return false;
      if (code !== 'EEXIST') throw error;
    }
    if (!(await lstat(file)).isSymbolicLink() || (await fileExists(file))) return false;
    file = path.resolve(path.dirname(file), await readlink(file));
  }
  return false;
}

/** As Linux's own limit (ELOOP): a longer chain is left to SQLite to refuse. */
const MAX_SYMLINK_HOPS = 40;

async function fileExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
