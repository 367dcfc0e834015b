/**
 * How the file key provider replaces its keyring: a private file of its own making, durable before
 * it takes the keyring's name, whatever lies beside the keyring.
 */
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyError } from './key-provider.js';
import { FileKeyProvider } from './local-key-provider.js';

/** The file system calls that make a write durable, in order. */
const events = vi.hoisted(() => [] as string[]);

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      events.push(`sync ${String(args[0])}`);
      return sync();
    };
    return handle;
  };
  const rename: typeof actual.rename = async (from, to) => {
    events.push(`rename ${String(from)} -> ${String(to)}`);
    return actual.rename(from, to);
  };
  return { ...actual, open, rename, default: { ...actual, open, rename } };
});

describe('the keyring file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-keyring-'));
    file = path.join(dir, 'master-keys.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const mode = async (name: string) => (await stat(name)).mode & 0o777;
  const ring = async () => JSON.parse(await readFile(file, 'utf8')) as { current: string; keys: object };

  it('stays private when a temporary file from an earlier process with the same pid was left with a looser mode', async () => {
    const provider = new FileKeyProvider(file);
    await provider.ensure();
    const stale = `${file}.${process.pid}.tmp`;
    await writeFile(stale, 'left over');
    await chmod(stale, 0o644);

    const id = await provider.createMasterKey();

    expect(await mode(file)).toBe(0o600);
    expect((await ring()).current).toBe(id);
    expect(await readFile(stale, 'utf8')).toBe('left over');
  });

  it('neither writes the keys through a symlink beside the keyring nor becomes that symlink', async () => {
    const provider = new FileKeyProvider(file);
    await provider.ensure();
    const elsewhere = path.join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const target = path.join(elsewhere, 'collected.json');
    await writeFile(target, 'decoy');
    await symlink(target, `${file}.${process.pid}.tmp`);

    const id = await provider.createMasterKey();

    expect((await lstat(file)).isSymbolicLink()).toBe(false);
    expect(await mode(file)).toBe(0o600);
    expect((await ring()).current).toBe(id);
    expect(await readFile(target, 'utf8')).toBe('decoy');
  });

  it('leaves no temporary file behind', async () => {
    const provider = new FileKeyProvider(file);
    await provider.ensure();
    const old = (await ring()).current;
    await provider.createMasterKey();
    await provider.retireMasterKey(old);
    expect(await readdir(dir)).toEqual(['master-keys.json']);
  });

  it('syncs the new keyring before it takes the keyring’s name, and the directory after', async () => {
    const provider = new FileKeyProvider(file);
    await provider.ensure();
    events.length = 0;

    await provider.createMasterKey();

    const tmp = events[0]?.replace(/^sync /, '') ?? '';
    expect(path.dirname(tmp)).toBe(dir);
    expect(events).toEqual([`sync ${tmp}`, `rename ${tmp} -> ${file}`, `sync ${dir}`]);
  });

  it('load() refuses a damaged keyring with a KeyError naming the file, never a key', async () => {
    const key = Buffer.alloc(32, 9).toString('base64');
    const loaded = async (content: string) => {
      await writeFile(file, content);
      const error = await new FileKeyProvider(file)
        .load()
        .then(() => undefined)
        .catch((e: unknown) => e);
      expect(error, content).toBeInstanceOf(KeyError);
      expect((error as KeyError).code).toBe('keyring_unusable');
      expect((error as KeyError).message).not.toContain(key);
      return (error as KeyError).message;
    };
    const ring = (r: unknown) => JSON.stringify(r);
    expect(await loaded('{garbage')).toBe(`keyring ${file} is not valid JSON; restore it from its backup`);
    expect(await loaded('[]')).toMatch(`keyring ${file} is not a Roomlink keyring`);
    expect(await loaded(ring({ version: 2, current: 'a', keys: { a: key } }))).toMatch(
      /not a Roomlink keyring/,
    );
    expect(await loaded(ring({ version: 1, current: 'a', keys: {} }))).toBe(
      `keyring ${file} holds no master keys; restore it from its backup`,
    );
    expect(await loaded(ring({ version: 1, current: 'mk-2', keys: { 'mk-1': key } }))).toBe(
      `keyring ${file} has no current master key: "current" names a key (mk-2) it does not hold; restore it from its backup`,
    );
    expect(await loaded(ring({ version: 1, keys: { 'mk-1': key } }))).toMatch(/has no current master key/);
    expect(await loaded(ring({ version: 1, current: 'mk-1', keys: { 'mk-1': 'c2hvcnQ=' } }))).toBe(
      `keyring ${file} holds a master key (mk-1) that is not 32 bytes in base64; restore it from its backup`,
    );
    // A key where its id belongs: the id is not shown.
    expect(await loaded(ring({ version: 1, current: key, keys: { [key]: 'x' } }))).toBe(
      `keyring ${file} holds a master key that is not 32 bytes in base64; restore it from its backup`,
    );
    await rm(file);
    await expect(new FileKeyProvider(file).load()).rejects.toThrow(`no master keyring at ${file}`);
    await mkdir(file);
    await expect(new FileKeyProvider(file).load()).rejects.toThrow(`keyring ${file} is a directory`);
    await expect(new FileKeyProvider(file).ensure()).rejects.toThrow(`keyring ${file} is a directory`);
  });

  it('load() accepts the keyring ensure() writes', async () => {
    const provider = new FileKeyProvider(file);
    await provider.ensure();
    await provider.load();
    expect(await provider.masterKeyIds()).toEqual([(await ring()).current]);
  });
});
