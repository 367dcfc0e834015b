/**
 * A request that read a tenant's data key row just before `roomlink keys rotate` rewrapped it and
 * retired its master key must still open the data key: it reads the row again and unwraps that,
 * rather than failing (a 500) with unknown_master_key. The ordering is injected, not slept for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/kysely-store.js';
import { EnvelopeCipher, type TenantKeyRecord, type TenantKeyRepository } from './envelope.js';
import { KeyError } from './key-provider.js';
import { FileKeyProvider } from './local-key-provider.js';
import { rotateMasterKey } from './rotate.js';

/** The store's repository; `afterRead` runs once, after a row was read and before the caller has it. */
class RacingKeys implements TenantKeyRepository {
  finds = 0;
  afterRead: (() => Promise<void>) | undefined;
  constructor(readonly inner: TenantKeyRepository) {}
  async #race<T>(read: Promise<T>): Promise<T> {
    const row = await read;
    const hook = this.afterRead;
    this.afterRead = undefined;
    await hook?.();
    return row;
  }
  findActive(t: string) {
    return this.#race(this.inner.findActive(t));
  }
  find(t: string, k: string) {
    this.finds += 1;
    return this.#race(this.inner.find(t, k));
  }
  insert(r: TenantKeyRecord) {
    return this.inner.insert(r);
  }
  listWrappedWithOtherThan(m: string, limit: number) {
    return this.inner.listWrappedWithOtherThan(m, limit);
  }
  rewrap(r: TenantKeyRecord, wrappedKey: string, masterKeyId: string) {
    return this.inner.rewrap(r, wrappedKey, masterKeyId);
  }
  countByMasterKey() {
    return this.inner.countByMasterKey();
  }
}

describe('a request racing a master key rotation', () => {
  let dir: string;
  let store: Awaited<ReturnType<typeof openStore>>;
  let provider: FileKeyProvider;
  let keys: RacingKeys;
  let sealed: string;
  let oldMasterKey: string;
  const ctx = { tenantId: 'tenant-a', table: 'meetings', column: 'subject', rowId: 'row-1' };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-rotation-race-'));
    store = await openStore(`sqlite:${path.join(dir, 'db.sqlite')}`);
    await store.tenants.ensure('tenant-a', new Date());
    provider = new FileKeyProvider(path.join(dir, 'master-keys.json'));
    await provider.ensure();
    oldMasterKey = await provider.currentMasterKeyId();
    sealed = await new EnvelopeCipher(store.tenantKeys, provider).encrypt(ctx, 'Quarterly review');
    keys = new RacingKeys(store.tenantKeys);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Rotation, run by "another process" on the same database and keyring, to its end. */
  const rotate = async () => {
    const result = await rotateMasterKey(store.tenantKeys, new FileKeyProvider(provider.file));
    expect(result.retired).toEqual([oldMasterKey]);
  };

  it('decrypt: the row read before rotation rewrapped it is read again and opened', async () => {
    const cipher = new EnvelopeCipher(keys, provider);
    keys.afterRead = rotate;

    expect(await cipher.decrypt(ctx, sealed)).toBe('Quarterly review');
    expect(keys.afterRead).toBeUndefined(); // the rotation did run in between
    expect(await provider.masterKeyIds()).not.toContain(oldMasterKey);
    expect(keys.finds).toBe(2);
  });

  it('encrypt: the tenant’s key row read before rotation rewrapped it is read again and used', async () => {
    const cipher = new EnvelopeCipher(keys, provider);
    keys.afterRead = rotate;

    const again = await cipher.encrypt(ctx, 'Planning');

    expect(keys.afterRead).toBeUndefined();
    expect(await new EnvelopeCipher(store.tenantKeys, provider).decrypt(ctx, again)).toBe('Planning');
    expect(await cipher.decrypt(ctx, sealed)).toBe('Quarterly review');
  });

  it('a row under a master key the provider does not hold still fails with unknown_master_key, after one re-read', async () => {
    const other = new FileKeyProvider(path.join(dir, 'other-keys.json'));
    await other.ensure();
    const cipher = new EnvelopeCipher(keys, other);

    const error = await cipher.decrypt(ctx, sealed).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).code).toBe('unknown_master_key');
    expect(keys.finds).toBe(2);
  });
});
