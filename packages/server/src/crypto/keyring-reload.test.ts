/**
 * A serving process re-reads the keyring when the file changed, also when the new file has the old
 * one's modification time: restored with `cp -p` or `rsync -t`, or written within a coarse
 * timestamp's tick.
 */
import { mkdtemp, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileKeyProvider } from './local-key-provider.js';

describe('a running file key provider and a keyring replaced under it', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-keyring-reload-'));
    file = path.join(dir, 'master-keys.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A whole second, so that both files get exactly this time whatever the file system keeps. */
  const SAME_TIME = new Date('2026-03-01T12:00:00.000Z');

  it('returns the new keyring’s key when the keyring is replaced by one with the same modification time', async () => {
    await new FileKeyProvider(file).ensure();
    await utimes(file, SAME_TIME, SAME_TIME);
    const provider = new FileKeyProvider(file);
    const old = await provider.currentMasterKeyId();

    // The keyring restored from elsewhere, as `cp -p` / `rsync -t` would: another key, the same mtime.
    const restored = path.join(dir, 'restored.json');
    await new FileKeyProvider(restored).ensure();
    const { current: id, keys } = JSON.parse(await readFile(restored, 'utf8')) as {
      current: string;
      keys: Record<string, string>;
    };
    await utimes(restored, SAME_TIME, SAME_TIME);
    await rename(restored, file);
    expect((await stat(file)).mtimeMs).toBe(SAME_TIME.getTime());
    expect(id).not.toBe(old);

    expect(await provider.currentMasterKeyId()).toBe(id);
    expect(await provider.masterKeyIds()).toEqual([id]);
    // Wrapping uses the new key's material, which another provider on the file opens.
    const wrapped = await provider.wrap(Buffer.alloc(32, 7), 'ctx');
    expect(wrapped.masterKeyId).toBe(id);
    expect(await new FileKeyProvider(file).unwrap(wrapped, 'ctx')).toEqual(Buffer.alloc(32, 7));
    expect(Object.keys(keys)).toEqual([id]);
  });

  it('returns the new key when the keyring is rewritten in place with another size and the same modification time', async () => {
    await new FileKeyProvider(file).ensure();
    await utimes(file, SAME_TIME, SAME_TIME);
    const provider = new FileKeyProvider(file);
    const ring = JSON.parse(await readFile(file, 'utf8')) as {
      version: 1;
      current: string;
      keys: Record<string, string>;
    };
    await provider.load();

    const id = 'mk-restored-longer-id';
    await writeFile(
      file,
      JSON.stringify({ ...ring, current: id, keys: { [id]: Buffer.alloc(32, 1).toString('base64') } }),
    );
    await utimes(file, SAME_TIME, SAME_TIME);

    expect(await provider.currentMasterKeyId()).toBe(id);
  });
});
