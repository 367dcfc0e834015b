/**
 * A keyring path that is a symbolic link (to one keyring file shared by several hosts): rotation
 * replaces the file the link leads to, never the link, and takes its lock beside that file; a link
 * that leads nowhere is refused with a message naming it, not a bare EEXIST.
 */
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/kysely-store.js';
import { EnvelopeCipher, type TenantKeyRepository } from './envelope.js';
import { KeyError } from './key-provider.js';
import { FileKeyProvider } from './local-key-provider.js';
import { RotationInProgressError, rotateMasterKey } from './rotate.js';

describe('a keyring reached through a symbolic link', () => {
  let dir: string;
  /** The keyring every host shares (a file on a shared volume). */
  let shared: string;
  /** This host's ROOMLINK_KEYRING_FILE: a link to the shared keyring. */
  let link: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-keyring-link-'));
    await mkdir(path.join(dir, 'shared'));
    await mkdir(path.join(dir, 'host'));
    shared = path.join(dir, 'shared', 'master-keys.json');
    link = path.join(dir, 'host', 'master-keys.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const ring = async (file: string) =>
    JSON.parse(await readFile(file, 'utf8')) as { current: string; keys: Record<string, string> };

  it('rotation writes the new key into the shared file, retires the old one there, and the link stays a link', async () => {
    await new FileKeyProvider(shared).ensure();
    await symlink(shared, link);
    const viaLink = new FileKeyProvider(link);
    const old = await viaLink.currentMasterKeyId();

    const id = await viaLink.createMasterKey();
    await viaLink.retireMasterKey(old);

    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(shared);
    // Another host, reading the shared file, has the new key and not the retired one.
    expect(await new FileKeyProvider(shared).masterKeyIds()).toEqual([id]);
    expect(Object.keys((await ring(shared)).keys)).toEqual([id]);
    expect((await stat(shared)).mode & 0o777).toBe(0o600);
    // No temporary file was left, nor made beside the link.
    expect(await readdir(path.join(dir, 'host'))).toEqual(['master-keys.json']);
    expect(await readdir(path.join(dir, 'shared'))).toEqual(['master-keys.json']);
  });

  it('follows a link re-pointed after the provider was made', async () => {
    const first = path.join(dir, 'shared', 'first.json');
    await new FileKeyProvider(first).ensure();
    await new FileKeyProvider(shared).ensure();
    const firstBefore = await readFile(first, 'utf8');
    await symlink(first, link);
    const viaLink = new FileKeyProvider(link);
    await viaLink.load();
    await unlink(link);
    await symlink(shared, link);

    const id = await viaLink.createMasterKey();

    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect((await ring(shared)).current).toBe(id);
    expect(await readFile(first, 'utf8')).toBe(firstBefore);
  });

  it('rotation takes its lock beside the shared file: a rotation holding it there keeps one through a link off', async () => {
    await new FileKeyProvider(shared).ensure();
    await symlink(shared, link);
    const before = await readFile(shared, 'utf8');
    await writeFile(
      `${shared}.rotate-lock`,
      JSON.stringify({ pid: 4242, host: 'other-host', since: new Date().toISOString() }),
    );
    const untouched = new Proxy({} as TenantKeyRepository, {
      get: (_, name) => () => Promise.reject(new Error(`rotation read the data keys (${String(name)})`)),
    });

    const error = await rotateMasterKey(untouched, new FileKeyProvider(link)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RotationInProgressError);
    expect((error as Error).message).toContain('process 4242 on other-host');
    expect((error as Error).message).toContain(`delete ${shared}.rotate-lock`);
    expect(await readFile(shared, 'utf8')).toBe(before);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('rotation through a link rewraps every data key under a key of the shared keyring, which hosts reading it directly open', async () => {
    await new FileKeyProvider(shared).ensure();
    await symlink(shared, link);
    const store = await openStore(`sqlite:${path.join(dir, 'db.sqlite')}`);
    try {
      await store.tenants.ensure('tenant-a', new Date());
      const ctx = { tenantId: 'tenant-a', table: 'meetings', column: 'subject', rowId: 'r1' };
      const sealed = await new EnvelopeCipher(store.tenantKeys, new FileKeyProvider(shared)).encrypt(
        ctx,
        'Quarterly review',
      );

      const result = await rotateMasterKey(store.tenantKeys, new FileKeyProvider(link));

      expect(result.retired).toHaveLength(1);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      expect(await store.tenantKeys.countByMasterKey()).toEqual(new Map([[result.newMasterKeyId, 1]]));
      const otherHost = new EnvelopeCipher(store.tenantKeys, new FileKeyProvider(shared));
      expect(await otherHost.decrypt(ctx, sealed)).toBe('Quarterly review');
      expect(await readdir(path.join(dir, 'shared'))).toEqual(['master-keys.json']);
    } finally {
      await store.close();
    }
  });

  it('keys init (ensure) refuses a link that leads nowhere, naming it and its target, and creates nothing', async () => {
    const target = path.join(dir, 'unmounted', 'master-keys.json');
    await symlink(target, link);

    for (const attempt of [
      () => new FileKeyProvider(link).ensure(),
      () => new FileKeyProvider(link).exists(),
      () => rotateMasterKey({} as TenantKeyRepository, new FileKeyProvider(link)),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyError);
      expect((error as KeyError).code).toBe('keyring_unusable');
      expect((error as KeyError).message).toContain(
        `keyring ${link} cannot be read or created: it is a symbolic link to ${target}, which does not exist`,
      );
      expect((error as KeyError).message).not.toContain('EEXIST');
    }
    expect(await readdir(path.join(dir, 'host'))).toEqual(['master-keys.json']);
    expect((await readdir(dir)).sort()).toEqual(['host', 'shared']);
  });

  it('ensure() refuses a directory link on the way that leads nowhere', async () => {
    const volume = path.join(dir, 'unmounted');
    const hostDir = path.join(dir, 'host', 'data');
    await symlink(volume, hostDir);
    const file = path.join(hostDir, 'master-keys.json');

    const error = await new FileKeyProvider(file).ensure().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).message).toContain(
      `keyring ${file} cannot be read or created: ${hostDir} (on its path) is a symbolic link to ${volume}`,
    );
    expect((await readdir(dir)).sort()).toEqual(['host', 'shared']);
  });

  it('ensure() through a link to an existing keyring changes nothing', async () => {
    await new FileKeyProvider(shared).ensure();
    await symlink(shared, link);
    const before = await readFile(shared, 'utf8');
    expect(await new FileKeyProvider(link).ensure()).toBe(false);
    expect(await readFile(shared, 'utf8')).toBe(before);
  });
});
