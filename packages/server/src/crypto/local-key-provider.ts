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
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
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

  protected async keys() {
    const mtimeMs = (await stat(this.file)).mtimeMs;
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
    const ring = JSON.parse(await readFile(this.file, 'utf8')) as KeyringFile;
    if (ring.version !== 1 || typeof ring.keys?.[ring.current] !== 'string') {
      throw new KeyError('unknown_master_key', `keyring ${this.file} is malformed`);
    }
    return ring;
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

function newKeyId(): string {
  return `mk-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}
