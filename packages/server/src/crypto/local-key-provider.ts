/**
 * Key providers that keep master keys on this machine: a keyring file (default; created on first
 * start in demo mode) or keys given in the environment. Both wrap with AES-256-GCM.
 */
import { randomBytes } from 'node:crypto';
import {
  chmod,
  link,
  lstat,
  mkdir,
  open as openFile,
  readFile,
  readlink,
  realpath,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { filesystemRefusal, writableHint } from '../config/filesystem-refusal.js';
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

/** What load() does about a keyring file that other accounts can read. */
export interface KeyringLoadOptions {
  /** Where a keyring made private (or one that could not be) is reported; never with key material. */
  readonly logger?: Pick<Logger, 'warn'>;
  /** Leave the keyring's mode as it is (`roomlink doctor` changes nothing: it asks openMode()). */
  readonly keepMode?: boolean;
}

/**
 * The keyring file is re-read whenever it changed on disk, so that `roomlink keys rotate` run
 * beside a serving process takes effect there without a restart. A change is a different inode
 * (the file replaced by a rename, as rotation and `rsync` do), size, modification or status-change
 * time, not the modification time alone: a keyring restored with its old modification time
 * (`cp -p`, `rsync -t`), or rewritten within one tick of a file system's coarse clock, is noticed
 * by whichever of the others differs.
 *
 * `file` may be a symbolic link (to a keyring shared by several hosts): it is resolved each time
 * the keyring is written, so the new keyring replaces the file the link leads to now, and the link
 * stays a link. Replacing the link itself would give this host a keyring of its own, and leave the
 * shared one holding the key rotation just retired.
 */
export class FileKeyProvider extends LocalKeyProvider {
  readonly name = 'file';
  #cache: { version: string; current: string; keys: Map<string, Buffer> } | null = null;

  constructor(readonly file: string) {
    super();
  }

  /**
   * Creates the keyring with one fresh key when it does not exist. Returns whether it did. A
   * symbolic link there whose target does not exist (a shared volume not mounted) is refused: a
   * keyring created through it would hold a key no other host has.
   */
  async ensure(): Promise<boolean> {
    if (await this.exists()) return false;
    const id = newKeyId();
    try {
      await this.#write(
        { version: 1, current: id, keys: { [id]: randomBytes(32).toString('base64') } },
        {
          file: this.file,
          exclusive: true,
        },
      );
    } catch (error) {
      // Something took the name meanwhile: another process's new keyring (checked by load()), or a
      // link this refuses as above.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await this.exists())) return false;
      throw error;
    }
    return true;
  }

  async createMasterKey(): Promise<string> {
    const file = await this.realFile();
    const ring = await this.#read(file);
    const id = newKeyId();
    ring.keys[id] = randomBytes(32).toString('base64');
    ring.current = id;
    await this.#write(ring, { file, exclusive: false });
    return id;
  }

  async retireMasterKey(id: string): Promise<void> {
    const file = await this.realFile();
    const ring = await this.#read(file);
    if (ring.current === id)
      throw new KeyError('unknown_master_key', 'the current master key cannot be retired');
    delete ring.keys[id];
    await this.#write(ring, { file, exclusive: false });
  }

  /**
   * The keyring file itself: `file` with every symbolic link on its way resolved, now (a link
   * re-pointed since is followed). What replaces the keyring, and rotation's lock, go beside it.
   */
  async realFile(): Promise<string> {
    try {
      return await realpath(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') await this.exists();
      throw unusable(this.file, error);
    }
  }

  /**
   * Reads and checks the keyring now. A process starts only on a keyring it can use: one that is
   * missing, unreadable or damaged is a KeyError naming the file here, not a failure of every
   * request that later needs a key. A keyring other accounts can read (group or others bits) is
   * made 0600, and that is logged (path and modes only), unless `keepMode`.
   */
  async load(options: KeyringLoadOptions = {}): Promise<void> {
    await this.keys();
    if (options.keepMode) return;
    const mode = await this.openMode();
    if (mode === undefined) return;
    const fields = { file: this.file, mode: octal(mode) };
    try {
      await chmod(this.file, mode & 0o600);
      options.logger?.warn(
        { ...fields, newMode: octal(mode & 0o600) },
        `keyring ${this.file} was open to other accounts (mode ${octal(mode)}); Roomlink made it ` +
          `private to its own (mode ${octal(mode & 0o600)})`,
      );
    } catch (error) {
      options.logger?.warn(
        { ...fields, err: { code: (error as NodeJS.ErrnoException).code } },
        `keyring ${this.file} is open to other accounts (mode ${octal(mode)}) and Roomlink cannot ` +
          'change its mode; make it 0600',
      );
    }
  }

  /**
   * The keyring file's mode (permission bits) when group or others have any access to it, else
   * undefined. Always undefined on Windows, which has no such modes (its ACLs protect the file).
   */
  async openMode(): Promise<number | undefined> {
    if (process.platform === 'win32') return undefined;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.file);
    } catch (error) {
      throw unusable(this.file, error);
    }
    const mode = info.mode & 0o777;
    return info.isFile() && (mode & 0o077) !== 0 ? mode : undefined;
  }

  protected async keys() {
    let version: string;
    try {
      const info = await stat(this.file, { bigint: true });
      version = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch (error) {
      throw unusable(this.file, error);
    }
    if (this.#cache?.version !== version) {
      const ring = await this.#read(this.file);
      this.#cache = {
        version,
        current: ring.current,
        keys: new Map(Object.entries(ring.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')])),
      };
    }
    return this.#cache;
  }

  /**
   * Whether the keyring exists (through any symbolic link). A missing one is false; a symbolic link
   * leading nowhere is a KeyError naming the link and its target (with the keys exit code, 77, as a
   * missing keyring); anything unreadable is a KeyError naming the file.
   */
  async exists(): Promise<boolean> {
    try {
      await readFile(this.file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(this.file, error);
    }
    const target = await readlink(this.file).catch(() => undefined);
    if (target === undefined) {
      // Not a link; but a link on the way to it (a directory) may lead nowhere.
      const parent = await danglingParent(this.file);
      if (parent !== undefined) throw danglingLink(this.file, parent.link, parent.target);
      return false;
    }
    throw danglingLink(this.file, this.file, path.resolve(path.dirname(this.file), target));
  }

  async #read(file: string): Promise<KeyringFile> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
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
   * `file` is the keyring's real path (realFile()), or for a new keyring the configured one: the
   * temporary file is made in the same directory, so the rename replaces the file, never a link.
   */
  async #write(ring: KeyringFile, { file, exclusive }: { file: string; exclusive: boolean }): Promise<void> {
    const dir = path.dirname(file);
    const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
    let handle: Awaited<ReturnType<typeof openFile>>;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      handle = await openFile(tmp, 'wx', 0o600);
    } catch (error) {
      const refusal = filesystemRefusal(error);
      if (refusal === undefined) throw error;
      throw new KeyError(
        'keyring_unusable',
        `keyring ${file} cannot be written in ${dir}: ${refusal}; nothing was changed: ` +
          writableHint('ROOMLINK_DATA_DIR (or ROOMLINK_KEYRING_FILE)'),
        { cause: error },
      );
    }
    let placed = false;
    try {
      try {
        await handle.writeFile(`${JSON.stringify(ring, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (exclusive) {
        await link(tmp, file);
      } else {
        await rename(tmp, file);
        placed = true;
      }
    } finally {
      if (!placed) await unlink(tmp).catch(() => undefined);
    }
    this.#cache = null;
    await syncDirectory(dir);
  }
}

/**
 * The first directory on `file`'s path that is a symbolic link leading nowhere, if any (mkdir would
 * fail on it with a bare EEXIST).
 */
async function danglingParent(file: string): Promise<{ link: string; target: string } | undefined> {
  const parts: string[] = [];
  for (let dir = path.dirname(path.resolve(file)); dir !== path.dirname(dir); dir = path.dirname(dir))
    parts.unshift(dir);
  for (const dir of parts) {
    const info = await lstat(dir).catch(() => undefined);
    if (info === undefined) return undefined;
    if (!info.isSymbolicLink()) continue;
    if (
      await stat(dir).then(
        () => true,
        () => false,
      )
    )
      continue;
    const target = await readlink(dir).catch(() => undefined);
    if (target !== undefined) return { link: dir, target: path.resolve(path.dirname(dir), target) };
  }
  return undefined;
}

/** A keyring path through a symbolic link that leads nowhere: nothing is created through it. */
function danglingLink(file: string, link: string, target: string): KeyError {
  return new KeyError(
    'keyring_unusable',
    `keyring ${file} cannot be read or created: ${link === file ? 'it' : `${link} (on its path)`} is a ` +
      `symbolic link to ${target}, which does not exist; nothing was created. If the keyring is on a ` +
      'shared volume, mount it; otherwise point the link at the keyring, or remove the link and run ' +
      '"roomlink keys init"',
  );
}

/**
 * What `roomlink doctor` says of a keyring other accounts can read (it changes nothing itself).
 * Names the file and its mode, never key material.
 */
export function keyringOpenMessage(file: string, mode: number): string {
  return (
    `keyring ${file} is open to other accounts (mode ${octal(mode)}): make it 0600 ` +
    `(chmod 600 ${file}); Roomlink does so when it next starts or runs "roomlink keys init"`
  );
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
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
