/**
 * Key providers that keep master keys on this machine: a keyring file (default; created on first
 * start in demo mode) or keys given in the environment. Both wrap with AES-256-GCM.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open as openFile, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { open, seal } from './aes-gcm.js';
import { KeyError, type KeyProvider, type WrappedKey } from './key-provider.js';

abstract class LocalKeyProvider implements KeyProvider {
  abstract readonly name: string;
  protected abstract keys(): Promise<{ current: string; keys: Map<string, Buffer> }>;

  async currentMasterKeyId(): Promise<string> {
    return (await this.keys()).current;
  }

  async masterKeyIds(): Promise<string[]> {
    return [...(await this.keys()).keys.keys()];
  }

  async wrap(dataKey: Buffer, context: string): Promise<WrappedKey> {
    const { current, keys } = await this.keys();
    const master = keys.get(current) as Buffer;
    return { masterKeyId: current, wrapped: seal(master, dataKey, Buffer.from(context)).toString('base64') };
  }

  async unwrap(key: WrappedKey, context: string): Promise<Buffer> {
    const master = (await this.keys()).keys.get(key.masterKeyId);
    if (!master)
      throw new KeyError('unknown_master_key', `master key ${key.masterKeyId} is not held by ${this.name}`);
    try {
      return open(master, Buffer.from(key.wrapped, 'base64'), Buffer.from(context));
    } catch (cause) {
      throw new KeyError('unwrap_failed', `data key could not be unwrapped with ${key.masterKeyId}`, {
        cause,
      });
    }
  }
}

export class EnvKeyProvider extends LocalKeyProvider {
  readonly name = 'env';
  readonly #state: { current: string; keys: Map<string, Buffer> };

  constructor(entries: readonly { id: string; key: Buffer }[]) {
    super();
    const first = entries[0];
    if (!first) throw new KeyError('unknown_master_key', 'ROOMLINK_MASTER_KEYS holds no key');
    this.#state = { current: first.id, keys: new Map(entries.map((e) => [e.id, e.key])) };
  }

  protected async keys() {
    return this.#state;
  }
}

interface KeyringFile {
  version: 1;
  current: string;
  keys: Record<string, string>;
}

/**
 * The keyring file is re-read whenever it changed on disk, so that `roomlink keys rotate` run
 * beside a serving process takes effect there without a restart.
 */
export class FileKeyProvider extends LocalKeyProvider {
  readonly name = 'file';
  #cache: { mtimeMs: number; current: string; keys: Map<string, Buffer> } | null = null;

  constructor(readonly file: string) {
    super();
  }

  /** Creates the keyring with one fresh key when it does not exist. Returns whether it did. */
  async ensure(): Promise<boolean> {
    try {
      await readFile(this.file);
      return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(this.file, error);
    }
    const id = newKeyId();
    await this.#write({ version: 1, current: id, keys: { [id]: randomBytes(32).toString('base64') } }, true);
    return true;
  }

  async createMasterKey(): Promise<string> {
    const ring = await this.#read();
    const id = newKeyId();
    ring.keys[id] = randomBytes(32).toString('base64');
    ring.current = id;
    await this.#write(ring, false);
    return id;
  }

  async retireMasterKey(id: string): Promise<void> {
    const ring = await this.#read();
    if (ring.current === id)
      throw new KeyError('unknown_master_key', 'the current master key cannot be retired');
    delete ring.keys[id];
    await this.#write(ring, false);
  }

  /**
   * Reads and checks the keyring now. A process starts only on a keyring it can use: one that is
   * missing, unreadable or damaged is a KeyError naming the file here, not a failure of every
   * request that later needs a key.
   */
  async load(): Promise<void> {
    await this.keys();
  }

  protected async keys() {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.file)).mtimeMs;
    } catch (error) {
      throw unusable(this.file, error);
    }
    if (this.#cache?.mtimeMs !== mtimeMs) {
      const ring = await this.#read();
      this.#cache = {
        mtimeMs,
        current: ring.current,
        keys: new Map(Object.entries(ring.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')])),
      };
    }
    return this.#cache;
  }

  async #read(): Promise<KeyringFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      throw unusable(this.file, error);
    }
    return parseKeyring(this.file, text);
  }

  /**
   * Write-then-rename so that a crash never leaves a half-written keyring. The temporary file has a
   * fresh random name and is created exclusively: a leftover one (the same pid after a container
   * restart) could carry a looser mode onto the keyring, and a symlink planted there would send the
   * keys elsewhere and become the keyring. It is synced before it replaces the keyring, and the
   * directory after, so that a power loss leaves the old keyring or the new one, never an empty file.
   */
  async #write(ring: KeyringFile, exclusive: boolean): Promise<void> {
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${randomBytes(8).toString('hex')}.tmp`;
    const handle = await openFile(tmp, 'wx', 0o600);
    let placed = false;
    try {
      try {
        await handle.writeFile(`${JSON.stringify(ring, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (exclusive) {
        await link(tmp, this.file);
      } else {
        await rename(tmp, this.file);
        placed = true;
      }
    } finally {
      if (!placed) await unlink(tmp).catch(() => undefined);
    }
    this.#cache = null;
    await syncDirectory(dir);
  }
}

/** Makes a rename in `dir` durable. Not possible everywhere (Windows, some file systems): skipped there. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: Awaited<ReturnType<typeof openFile>>;
  try {
    handle = await openFile(dir, 'r');
  } catch (error) {
    if (DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'ENOTSUP', 'EPERM', 'EACCES']);

/** The message of a keyring that is missing; the runtime says how to create one. */
export function missingKeyringMessage(file: string): string {
  return `no master keyring at ${file}`;
}

/** A keyring file that cannot be read, as a KeyError naming the file (never its content). */
function unusable(file: string, error: unknown): KeyError {
  const code = (error as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: missingKeyringMessage(file),
    EISDIR: `keyring ${file} is a directory, not a keyring file`,
    ENOTDIR: `keyring ${file} cannot be read: a part of its path is not a directory`,
    EACCES: `keyring ${file} cannot be read: permission denied`,
    EPERM: `keyring ${file} cannot be read: permission denied`,
  };
  const message =
    (code !== undefined ? why[code] : undefined) ??
    `keyring ${file} cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
  return new KeyError('keyring_unusable', message, { cause: error });
}

/**
 * Checks a keyring as a whole. Messages name the file and at most a key id (when it looks like
 * one), never a value: a damaged file must not end up with key material in a log.
 */
function parseKeyring(file: string, text: string): KeyringFile {
  const bad = (why: string) =>
    new KeyError('keyring_unusable', `keyring ${file} ${why}; restore it from its backup`);
  let ring: unknown;
  try {
    ring = JSON.parse(text);
  } catch {
    throw bad('is not valid JSON');
  }
  if (!isRecord(ring) || ring.version !== 1) throw bad('is not a Roomlink keyring (no "version": 1)');
  const { keys, current } = ring;
  if (!isRecord(keys) || Object.keys(keys).length === 0) throw bad('holds no master keys');
  for (const [id, value] of Object.entries(keys)) {
    if (typeof value !== 'string' || Buffer.from(value, 'base64').length !== 32) {
      throw bad(`holds a master key${shownId(id)} that is not 32 bytes in base64`);
    }
  }
  if (typeof current !== 'string' || !Object.hasOwn(keys, current)) {
    throw bad(
      typeof current === 'string'
        ? `has no current master key: "current" names a key${shownId(current)} it does not hold`
        : 'has no current master key ("current" is missing)',
    );
  }
  return ring as unknown as KeyringFile;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A key id as shown in a message: only what looks like an id (a 32-byte key in base64 is 44 characters). */
function shownId(id: string): string {
  return /^[A-Za-z0-9_-]{1,40}$/.test(id) ? ` (${id})` : '';
}

function newKeyId(): string {
  return `mk-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}
