/**
 * Crypto-shredding against the data key cache: once a tenant's data key row is destroyed (by
 * `roomlink retention run` in another process, another replica, or this process's retention job),
 * a serving process stops opening and sealing with that key: at once after forget(), and within
 * DATA_KEY_RECHECK_MS when another process destroyed it. The clock is injected, nothing sleeps.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DATA_KEY_RECHECK_MS,
  EnvelopeCipher,
  type TenantKeyRecord,
  type TenantKeyRepository,
} from '../src/crypto/envelope.js';
import { FileKeyProvider } from '../src/crypto/local-key-provider.js';
import { type KyselyStore, openStore } from '../src/store/kysely-store.js';
import { KyselyTenantPurgeRepository } from '../src/store/repositories/retention-tenants.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';

const ctx = (rowId: string) => ({ tenantId: 'contoso', table: 'meetings', column: 'subject', rowId });
const keyIdOf = (ciphertext: string) => ciphertext.split('.')[1];

/** The store's repository, counting reads, with a way to hold the next read in flight. */
class CountingKeys implements TenantKeyRepository {
  reads = 0;
  /** Runs once, after the next read came back and before its caller sees the row. */
  holdNextRead: (() => Promise<void>) | undefined;

  constructor(readonly inner: TenantKeyRepository) {}
  async findActive(t: string) {
    return this.#read(await this.inner.findActive(t));
  }
  async find(t: string, k: string) {
    return this.#read(await this.inner.find(t, k));
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
  async #read<T>(row: T): Promise<T> {
    this.reads += 1;
    const hold = this.holdNextRead;
    this.holdNextRead = undefined;
    await hold?.();
    return row;
  }
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`data key cache and crypto-shredding on ${label}`, () => {
    let database: TestDatabase;
    let keyring: string;
    const stores: KyselyStore[] = [];
    let clock: number;
    const now = () => new Date(clock);

    const setUp = async () => {
      database = await createTestDatabase(dialect);
      keyring = path.join(database.dir, 'master-keys.json');
      await new FileKeyProvider(keyring).ensure();
      clock = Date.parse('2027-03-01T09:00:00Z');
      return open();
    };
    /** Each store is what one process has: its own connection to the same database. */
    const open = async () => {
      const store = await openStore(database.url);
      stores.push(store);
      return store;
    };
    const serverCipher = (keys: TenantKeyRepository) =>
      new EnvelopeCipher(keys, new FileKeyProvider(keyring), now);
    /** `roomlink retention run` offboarding the tenant: destroys the key row, forgets in its own cipher. */
    const offboardInAnotherProcess = async () => {
      const cli = await open();
      expect((await new KyselyTenantPurgeRepository(cli.db, cli.dialect).destroyTenant('contoso')).keys).toBe(
        1,
      );
      new EnvelopeCipher(cli.tenantKeys, new FileKeyProvider(keyring)).forget('contoso');
    };

    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await database?.drop();
    });

    it('a data key destroyed by another process stops opening values here within the re-check interval', async () => {
      const store = await setUp();
      const server = serverCipher(store.tenantKeys);
      const before = await server.encrypt(ctx('m1'), 'Contoso layoffs');
      await offboardInAnotherProcess();

      // The documented bound: until the next re-check the cached key still opens values.
      clock += DATA_KEY_RECHECK_MS - 1;
      expect(await server.decrypt(ctx('m1'), before)).toBe('Contoso layoffs');
      clock += 1;
      await expect(server.decrypt(ctx('m1'), before)).rejects.toMatchObject({ code: 'no_data_key' });
      await expect(server.decrypt(ctx('m1'), before)).rejects.toMatchObject({ code: 'no_data_key' });

      // The tenant id comes back: new values get a new data key that has a row, so they survive a restart.
      const after = await server.encrypt(ctx('m2'), 'Contoso is back');
      expect(keyIdOf(after)).not.toBe(keyIdOf(before));
      expect((await store.tenantKeys.findActive('contoso'))?.keyId).toBe(keyIdOf(after));
      const restarted = serverCipher(store.tenantKeys);
      expect(await restarted.decrypt(ctx('m2'), after)).toBe('Contoso is back');
      await expect(restarted.decrypt(ctx('m1'), before)).rejects.toMatchObject({ code: 'no_data_key' });
    });

    it('after the interval a write creates a new data key instead of sealing under the destroyed one', async () => {
      const store = await setUp();
      const server = serverCipher(store.tenantKeys);
      const before = await server.encrypt(ctx('m1'), 'Contoso layoffs');
      await offboardInAnotherProcess();
      clock += DATA_KEY_RECHECK_MS;

      const after = await server.encrypt(ctx('m2'), 'Contoso is back');
      expect(keyIdOf(after)).not.toBe(keyIdOf(before));
      expect(await serverCipher(store.tenantKeys).decrypt(ctx('m2'), after)).toBe('Contoso is back');
    });

    it('reads no key row per value between re-checks, and one per key when a re-check is due', async () => {
      const store = await setUp();
      const keys = new CountingKeys(store.tenantKeys);
      const server = serverCipher(keys);
      const sealed = await server.encrypt(ctx('m1'), 'Quarterly review');
      const afterFirst = keys.reads;
      for (let i = 0; i < 20; i++) {
        await server.encrypt(ctx(`r${i}`), 'x');
        expect(await server.decrypt(ctx('m1'), sealed)).toBe('Quarterly review');
      }
      expect(keys.reads).toBe(afterFirst);

      clock += DATA_KEY_RECHECK_MS;
      const results = await Promise.all([
        ...Array.from({ length: 10 }, () => server.decrypt(ctx('m1'), sealed)),
        ...Array.from({ length: 10 }, (_, i) => server.encrypt(ctx(`s${i}`), 'y')),
      ]);
      expect(results.slice(0, 10)).toEqual(Array(10).fill('Quarterly review'));
      expect(keys.reads).toBe(afterFirst + 1);
    });

    it('forget() during a decrypt that already read the key row: the key is not cached again', async () => {
      const store = await setUp();
      const sealed = await serverCipher(store.tenantKeys).encrypt(ctx('m1'), 'Contoso layoffs');
      const keys = new CountingKeys(store.tenantKeys);
      const server = serverCipher(keys);
      // What RetentionJob does while a request is reading the tenant's key row.
      keys.holdNextRead = async () => {
        await new KyselyTenantPurgeRepository(store.db, store.dialect).destroyTenant('contoso');
        server.forget('contoso');
      };

      await expect(server.decrypt(ctx('m1'), sealed)).rejects.toMatchObject({ code: 'no_data_key' });
      await expect(server.decrypt(ctx('m1'), sealed)).rejects.toMatchObject({ code: 'no_data_key' });
    });

    it('forget() during the first write loading the key: the write gets a new key, not the destroyed one', async () => {
      const store = await setUp();
      const before = await serverCipher(store.tenantKeys).encrypt(ctx('m1'), 'Contoso layoffs');
      const keys = new CountingKeys(store.tenantKeys);
      const server = serverCipher(keys);
      keys.holdNextRead = async () => {
        await new KyselyTenantPurgeRepository(store.db, store.dialect).destroyTenant('contoso');
        server.forget('contoso');
      };

      const after = await server.encrypt(ctx('m2'), 'Contoso is back');
      expect(keyIdOf(after)).not.toBe(keyIdOf(before));
      expect((await store.tenantKeys.findActive('contoso'))?.keyId).toBe(keyIdOf(after));
      await expect(server.decrypt(ctx('m1'), before)).rejects.toMatchObject({ code: 'no_data_key' });
    });
  });
}
