/**
 * Composition root: turns a Config into the running parts (store, keys, services) and knows how to
 * close them. The server and the CLI both start from here.
 */
import { EventEmitter } from 'node:events';
import { constants as fsConstants, type Stats } from 'node:fs';
import { access, chmod, lstat, mkdir, open, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Config, ConfigError } from './config/config.js';
import { filesystemRefusal, writableHint } from './config/filesystem-refusal.js';
import { EnvelopeCipher } from './crypto/envelope.js';
import { KeyError, type KeyProvider } from './crypto/key-provider.js';
import { EnvKeyProvider, FileKeyProvider, missingKeyringMessage } from './crypto/local-key-provider.js';
import type { MeetingProvider } from './domain/meetings/provider.js';
import { MeetingService } from './domain/meetings/service.js';
import { recordedMovedOccurrenceEnd } from './domain/sync/occurrences.js';
import { createMetrics, type HttpMetrics } from './observability/metrics.js';
import { BigBlueButtonApi } from './providers/bigbluebutton/api-client.js';
import { BIGBLUEBUTTON_PROVIDER_ID, BigBlueButtonProvider } from './providers/bigbluebutton/provider.js';
import { BuiltinProvider } from './providers/builtin/provider.js';
import { BuiltinStandIn } from './providers/builtin/stand-in.js';
import { type KyselyStore, openStore } from './store/kysely-store.js';
import { storeMetrics } from './store/metrics.js';
import { kyselySyncStore } from './store/repositories/sync-state.js';
import { lockSqliteForServe, type SqliteServeLock } from './store/sqlite-serve-lock.js';

export interface Runtime {
  readonly config: Config;
  readonly store: KyselyStore;
  readonly keyProvider: KeyProvider;
  readonly cipher: EnvelopeCipher;
  readonly meetings: MeetingService;
  readonly builtin: BuiltinProvider;
  /**
   * Every meeting platform this process serves, by id: the built-in one, the configured engine, and
   * stand-ins holding the rooms of engines no longer configured.
   */
  readonly providers: ReadonlyMap<string, MeetingProvider>;
  /**
   * Room lifecycle events for the room service, with the room's slug: `cancelled`, and `changed`
   * (times, guest PIN or lobby updated; committed, so the room can read them back).
   */
  readonly roomEvents: EventEmitter<RoomEvents>;
  readonly meetingEvents: EventEmitter<MeetingEvents>;
  /** Prometheus metrics of this process; features add their own to its registry. */
  readonly metrics: HttpMetrics;
  close(): Promise<void>;
}

export type RoomEvents = { cancelled: [slug: string]; changed: [slug: string] };
/** What features other than rooms follow of the meeting service: a meeting taken back after a new sign-in. */
export type MeetingEvents = { reclaimed: [userId: string] };

/** The file key provider's keyring does not exist, and this command may not create it. */
export class MissingKeyringError extends KeyError {
  constructor(file: string, demo: boolean) {
    super(
      'keyring_unusable',
      `${missingKeyringMessage(file)}; nothing was created. ` +
        (demo
          ? 'Start Roomlink (demo mode creates it on first start) or run "roomlink keys init"'
          : 'Run "roomlink keys init" once (and back the file up), or set ROOMLINK_KEY_PROVIDER=env ' +
            'with ROOMLINK_MASTER_KEYS') +
        '; if it should exist, check ROOMLINK_KEYRING_FILE (or ROOMLINK_DATA_DIR)',
    );
    this.name = 'MissingKeyringError';
  }
}

export interface KeyProviderOptions {
  /**
   * Whether a missing keyring may be created (demo mode only): true for the server's first start,
   * false for every other command, which must not leave a new, empty keyring behind.
   */
  readonly createDemoKeyring?: boolean;
  /**
   * Leave a keyring that other accounts can read as it is (`roomlink doctor`, which changes nothing
   * and reports it). Otherwise it is made 0600 and the change logged.
   */
  readonly keepKeyringMode?: boolean;
}

/**
 * The configured key provider, its keys read and checked: a missing, unreadable or damaged keyring
 * is a KeyError naming the file (the CLI's keys exit code), before anything else starts.
 */
export async function createKeyProvider(
  config: Config,
  logger: Pick<Logger, 'warn'>,
  options: KeyProviderOptions = {},
): Promise<KeyProvider> {
  if (config.keys.provider === 'env') return new EnvKeyProvider(config.keys.envKeys);
  const provider = new FileKeyProvider(config.keys.keyringFile);
  if (config.demo && (options.createDemoKeyring ?? false)) {
    if (await provider.ensure()) {
      logger.warn(
        { file: config.keys.keyringFile },
        'demo mode: generated a new master key in the data directory',
      );
    }
  } else if (!(await provider.exists())) {
    // A symbolic link there that leads nowhere is a KeyError of its own, naming link and target.
    throw new MissingKeyringError(config.keys.keyringFile, config.demo);
  }
  await provider.load({ logger, keepMode: options.keepKeyringMode ?? false });
  return provider;
}

export interface RuntimeOptions extends KeyProviderOptions {
  readonly migrate?: boolean;
  readonly metrics?: HttpMetrics;
  /**
   * The server's runtime (serve() only): on SQLite, hold the database's serve lock from before the
   * store opens (and migrates) until close(), and refuse to start (SqliteServeLockHeld) while
   * another server holds it (see store/sqlite-serve-lock.ts). Commands that run beside the server
   * leave it false.
   */
  readonly serveLock?: boolean;
}

/**
 * Checks, in an order that leaves nothing half-made: the database path (read only), then the keys
 * (the server's first start in demo mode creates the keyring), then the database files, then (the
 * server only) that no other server uses the SQLite database.
 */
export async function createRuntime(
  config: Config,
  logger: Pick<Logger, 'warn' | 'error'>,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  await checkSqliteDatabasePath(config.databaseUrl);
  // The server (serve) is what creates the demo keyring: commands pass false.
  const keyProvider = await createKeyProvider(config, logger, {
    createDemoKeyring: options.createDemoKeyring ?? true,
  });
  const metrics = options.metrics ?? createMetrics();
  await privateSqliteFiles(config.databaseUrl, logger);
  const lock = options.serveLock ? await serveLock(config.databaseUrl) : undefined;
  let store: KyselyStore;
  try {
    store = await openStore(config.databaseUrl, {
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
  } catch (error) {
    // A failed migration, say: the next start may try again at once.
    lock?.release();
    throw error;
  }

  const cipher = new EnvelopeCipher(store.tenantKeys, keyProvider);
  const roomEvents = new EventEmitter<RoomEvents>();
  const meetingEvents = new EventEmitter<MeetingEvents>();
  const onCancel = (slug: string) => roomEvents.emit('cancelled', slug);
  const builtin = new BuiltinProvider({
    baseUrl: config.baseUrl,
    sipDomain: config.rooms.sipDomain,
    dialInNumber: config.rooms.dialInNumber,
    onCancel,
  });
  const engine = engineProvider(config);
  // The built-in service stays registered beside an engine: meetings made before it still open.
  const providers = new Map<string, MeetingProvider>([[builtin.id, builtin]]);
  if (engine) providers.set(engine.id, engine);
  // And an engine's rooms stay readable and joinable once it is no longer configured: held here.
  for (const id of ENGINE_PROVIDER_IDS) {
    if (!providers.has(id)) providers.set(id, new BuiltinStandIn(id, { baseUrl: config.baseUrl, onCancel }));
  }
  const meetings = new MeetingService({
    store,
    cipher,
    providers,
    defaultProvider: (engine ?? builtin).id,
    window: {
      openBeforeMinutes: config.rooms.openBeforeMinutes,
      closeAfterMinutes: config.rooms.closeAfterMinutes,
    },
    onUpdated: (meeting) => {
      // The room service checks its live room again at once (a built-in one, or a stand-in's), and
      // the engine's call it sent people to (moved away: ended).
      roomEvents.emit('changed', meeting.room.slug);
    },
    onReclaimed: (userId) => meetingEvents.emit('reclaimed', userId),
    movedOccurrenceEnd: recordedMovedOccurrenceEnd(kyselySyncStore(store.db).occurrences, cipher),
  });
  return {
    config,
    store,
    keyProvider,
    cipher,
    meetings,
    builtin,
    providers,
    roomEvents,
    meetingEvents,
    metrics,
    // The lock goes last: the next server may start once this one's store is closed.
    close: async () => {
      try {
        await store.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** Every external media engine Roomlink can run rooms on (ROOMLINK_ROOM_ENGINE), by provider id. */
const ENGINE_PROVIDER_IDS = [BIGBLUEBUTTON_PROVIDER_ID] as const;

/** The external media engine new meetings run on, when one is configured (ROOMLINK_ROOM_ENGINE). */
function engineProvider(config: Config): MeetingProvider | undefined {
  const engine = config.rooms.engine;
  if (engine.kind === 'builtin') return undefined;
  return new BigBlueButtonProvider({
    baseUrl: config.baseUrl,
    api: new BigBlueButtonApi({ url: engine.url, secret: engine.secret, checksum: engine.checksum }),
  });
}

/**
 * The serve lock of a `sqlite:` database, taken before anything opens the database: the store's
 * migrations, the job queue's requeueing of running jobs and calendar sync's clearing of leases all
 * come after. Undefined for PostgreSQL and an in-memory database.
 */
async function serveLock(databaseUrl: string): Promise<SqliteServeLock | undefined> {
  const target = await checkSqliteDatabasePath(databaseUrl);
  if (target === undefined) return undefined;
  // The file symbolic links lead to, as for its -wal and -shm: one lock whatever name each server
  // uses. Missing only where privateSqliteFiles creates nothing (Windows): SQLite creates it next.
  const file = target.kind === 'database' ? target.file : path.resolve(databaseUrl.slice('sqlite:'.length));
  return lockSqliteForServe(file);
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export type SqliteTarget =
  /** Nothing there yet (or a symbolic link to nothing): SQLite, or Roomlink first, creates it. */
  | { readonly kind: 'missing' }
  /** A SQLite database, or an empty file (SQLite makes it one); `file` is where links lead. */
  | { readonly kind: 'database'; readonly file: string };

/**
 * What a `sqlite:` DATABASE_URL names, read only (no directory made, no mode changed, nothing
 * opened for writing). Anything but a database, an empty file or nothing (a directory, a device, a
 * file that does not start with SQLite's header) is a ConfigError naming DATABASE_URL and what it
 * points at: SQLite would refuse it anyway, and Roomlink must not change its mode first. A symbolic
 * link counts as the file it leads to. Undefined for PostgreSQL and an in-memory database.
 */
export async function checkSqliteDatabasePath(databaseUrl: string): Promise<SqliteTarget | undefined> {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const name = databaseUrl.slice('sqlite:'.length);
  if (name === '' || name === ':memory:') return undefined;
  const named = path.resolve(name);
  const refuse = (what: string, instead = 'name the database file, or leave DATABASE_URL unset') =>
    new ConfigError([`DATABASE_URL=${databaseUrl} ${what}; nothing was changed: ${instead}`]);
  let info: Stats;
  try {
    info = await lstat(named);
    // SQLite follows symbolic links: what matters is the file the link leads to.
    if (info.isSymbolicLink()) info = await stat(named);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ENOTDIR') throw refuse(`names a path through something that is not a directory (${named})`);
    if (code === 'ELOOP') throw refuse(`is a loop of symbolic links (${named})`);
    throw error;
  }
  const file = await realpath(named);
  const via = file === named ? file : `${named}, a symbolic link to ${file}`;
  if (info.isDirectory()) {
    throw refuse(
      `points at a directory (${via}), not a SQLite database file`,
      `name a file in it, e.g. sqlite:${path.join(file, 'roomlink.sqlite')}, or leave DATABASE_URL unset`,
    );
  }
  if (!info.isFile()) throw refuse(`points at ${kindOf(info)} (${via}), not a SQLite database file`);
  if (info.size === 0) return { kind: 'database', file };
  const head = Buffer.alloc(SQLITE_HEADER.length);
  let read: number;
  try {
    const handle = await open(file, 'r');
    try {
      ({ bytesRead: read } = await handle.read(head, 0, head.length, 0));
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw refuse(`points at a file Roomlink may not read (${via})`);
    throw error;
  }
  if (read < head.length || !head.equals(SQLITE_HEADER)) {
    throw refuse(
      `points at a file that is not a SQLite database (${via}: it does not start with SQLite's header)`,
    );
  }
  return { kind: 'database', file };
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'something other than a file';
}

/**
 * SQLite: the database file and its directory are private to the account Roomlink runs as, before
 * the store opens them (they hold Exchange ids, subscription and job ids in clear, and ciphertext).
 *
 * - What DATABASE_URL names is checked first (checkSqliteDatabasePath): anything but a SQLite
 *   database, an empty file or nothing is refused (ConfigError) before any directory is made or
 *   mode changed.
 * - A directory Roomlink creates (the data directory, or DATABASE_URL's) is made 0700. A directory
 *   that exists already is left as it is: the operator chose it and its mode (a volume, a systemd
 *   StateDirectory, one shared with other software), and Roomlink cannot tell one it created in an
 *   earlier version from one an operator made. The files below are what protects the data.
 * - A new database file is created empty with 0600 before SQLite opens it; SQLite gives the -wal
 *   and -shm files it creates the main file's mode. An existing database (and a -wal or -shm left by
 *   a crash, if a regular file) open to group or others (earlier versions created them 0644 under
 *   umask 022) loses those bits; each change is logged. A symbolic link counts as the file it leads
 *   to. If it cannot be changed (another owner), Roomlink warns and starts anyway.
 * - A database, or a directory for it, that this account may not create or write is refused
 *   (ConfigError, naming the file) before SQLite opens it (see checkWritable).
 */
export async function privateSqliteFiles(databaseUrl: string, logger: Pick<Logger, 'warn'>): Promise<void> {
  // Windows has no such mode bits (stat reports 0o666, chmod only flips read-only): the directory's
  // ACL is what keeps other accounts out there (docs/security.md). The check holds there too.
  const target = await checkSqliteDatabasePath(databaseUrl);
  if (target === undefined || process.platform === 'win32') return;
  const named = path.resolve(databaseUrl.slice('sqlite:'.length));
  let file: string;
  if (target.kind === 'missing') {
    try {
      await mkdir(path.dirname(named), { recursive: true, mode: 0o700 });
      if (await createPrivate(named)) return;
    } catch (error) {
      throw sqliteRefused(named, error);
    }
    // Created meanwhile by another process: checked again before any mode is changed.
    const now = await checkSqliteDatabasePath(databaseUrl);
    if (now?.kind !== 'database') return;
    file = now.file;
  } else {
    file = target.file;
  }
  await checkWritable(file);
  // SQLite keeps its -wal and -shm beside the file a symbolic link leads to.
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    let info: Stats;
    try {
      info = await lstat(each);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    // Only regular files: never a directory or whatever a link beside the database leads to.
    if (!info.isFile()) continue;
    const mode = info.mode & 0o777;
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
 * An existing SQLite database (DATABASE_URL) that this account may read but not write, or whose
 * directory it may not write: ConfigError, as the server would refuse it (`roomlink doctor`).
 */
export async function checkSqliteWritable(databaseUrl: string): Promise<void> {
  const target = await checkSqliteDatabasePath(databaseUrl);
  if (target?.kind !== 'database' || process.platform === 'win32') return;
  await checkWritable(target.file);
}

/**
 * SQLite would open a file it may only read as read-only, and fail at the first write (the
 * migrations); its -wal and -shm, and the server's lock, are created beside it.
 */
async function checkWritable(file: string): Promise<void> {
  try {
    await access(file, fsConstants.R_OK | fsConstants.W_OK);
    await access(path.dirname(file), fsConstants.W_OK);
  } catch (error) {
    throw sqliteRefused(file, error);
  }
}

/** A SQLite database this account may not create or write, as configuration to fix (exit 78). */
function sqliteRefused(file: string, error: unknown): unknown {
  const refusal = filesystemRefusal(error);
  if (refusal === undefined) return error;
  return new ConfigError([
    `the SQLite database ${file} cannot be created or written: ${refusal}; it was not opened: ` +
      writableHint('ROOMLINK_DATA_DIR (or DATABASE_URL)'),
  ]);
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
    if (!(await lstat(file)).isSymbolicLink() || (await pathExists(file))) return false;
    file = path.resolve(path.dirname(file), await readlink(file));
  }
  return false;
}

/** As Linux's own limit (ELOOP): a longer chain is left to SQLite to refuse. */
const MAX_SYMLINK_HOPS = 40;

async function pathExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
