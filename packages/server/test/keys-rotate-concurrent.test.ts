/**
 * `roomlink keys rotate` when something else touches the keys meanwhile: a second rotation, a
 * keyring changed under it, and a serving process inserting a data key wrapped with the old master
 * key. Every data key must stay openable, also after a restart, and rotation must end.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EnvelopeCipher,
  type TenantKeyRecord,
  type TenantKeyRepository,
  wrapContext,
} from '../src/crypto/envelope.js';
import { FileKeyProvider } from '../src/crypto/local-key-provider.js';
import { RotationInProgressError, rotateMasterKey, StragglerKeyError } from '../src/crypto/rotate.js';
import { type KyselyStore, openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';

/** The store's repository with hooks, and a bound so that a rotation that never ends fails fast. */
class HookedKeys implements TenantKeyRepository {
  rewraps = 0;
  emptyLists = 0;
  onRewrap: (() => Promise<void>) | undefined;
  /** Runs after a listing came back empty, before the caller sees it: the race rotation must survive. */
  onEmptyList: ((n: number) => Promise<void>) | undefined;
  onList: ((rows: TenantKeyRecord[]) => Promise<void>) | undefined;
  /** Around the insert of a new data key: a serving process's write that is slow to land. */
  beforeInsert: (() => Promise<void>) | undefined;
  afterInsert: (() => Promise<void>) | undefined;

  constructor(readonly inner: TenantKeyRepository) {}
  findActive(t: string) {
    return this.inner.findActive(t);
  }
  find(t: string, k: string) {
    return this.inner.find(t, k);
  }
  async insert(r: TenantKeyRecord) {
    await this.beforeInsert?.();
    const inserted = await this.inner.insert(r);
    await this.afterInsert?.();
    return inserted;
  }
  async listWrappedWithOtherThan(m: string, limit: number) {
    const rows = await this.inner.listWrappedWithOtherThan(m, limit);
    if (rows.length === 0) await this.onEmptyList?.(++this.emptyLists);
    await this.onList?.(rows);
    return rows;
  }
  async rewrap(r: TenantKeyRecord, wrappedKey: string, masterKeyId: string) {
    if (++this.rewraps > 500) throw new Error(`rotation still rewrapping after ${this.rewraps - 1} rewraps`);
    await this.onRewrap?.();
    return this.inner.rewrap(r, wrappedKey, masterKeyId);
  }
  countByMasterKey() {
    return this.inner.countByMasterKey();
  }
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`keys rotate with concurrent key changes on ${label}`, () => {
    let database: TestDatabase;
    let store: KyselyStore;
    let keyring: string;
    /** tenant id → the data key it must still open to after rotation */
    let dataKeys: Map<string, Buffer>;

    const setUp = async () => {
      database = await createTestDatabase(dialect);
      store = await openStore(database.url);
      keyring = path.join(database.dir, 'master-keys.json');
      await new FileKeyProvider(keyring).ensure();
      dataKeys = new Map();
      for (const tenant of ['t1', 't2', 't3']) await seed(tenant, new FileKeyProvider(keyring));
      return new HookedKeys(store.tenantKeys);
    };
    const seed = async (tenant: string, provider: FileKeyProvider) => {
      const key = randomBytes(32);
      const w = await provider.wrap(key, wrapContext(tenant, 'k1'));
      await store.tenantKeys.insert({
        tenantId: tenant,
        keyId: 'k1',
        wrappedKey: w.wrapped,
        masterKeyId: w.masterKeyId,
        createdAt: new Date().toISOString(),
      });
      dataKeys.set(tenant, key);
    };
    /** Only the current master key is left, every row is wrapped with it and opens to its data key. */
    const expectAllUnder = async (masterKeyId: string) => {
      const ring = JSON.parse(await readFile(keyring, 'utf8')) as { current: string; keys: object };
      expect(ring.current).toBe(masterKeyId);
      expect(Object.keys(ring.keys)).toEqual([masterKeyId]);
      const provider = new FileKeyProvider(keyring);
      for (const [tenant, key] of dataKeys) {
        const row = await store.tenantKeys.find(tenant, 'k1');
        expect(row?.masterKeyId).toBe(masterKeyId);
        const opened = await provider.unwrap(
          { masterKeyId: row?.masterKeyId ?? '', wrapped: row?.wrappedKey ?? '' },
          wrapContext(tenant, 'k1'),
        );
        expect(opened.equals(key)).toBe(true);
      }
    };

    afterEach(async () => {
      await store?.close();
      await database?.drop();
    });

    it('two rotations at once: both end, one rotates and the other says a rotation is running', async () => {
      const keys = await setUp();
      const results = await Promise.allSettled([
        rotateMasterKey(keys, new FileKeyProvider(keyring)),
        rotateMasterKey(keys, new FileKeyProvider(keyring)),
      ]);
      const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(done).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(RotationInProgressError);
      expect(String(refused[0])).toContain('another "roomlink keys rotate" is running');
      expect(done[0]?.rewrapped).toBe(3);
      await expectAllUnder(done[0]?.newMasterKeyId ?? '');

      // The lock is released: the next rotation runs.
      const again = await rotateMasterKey(keys, new FileKeyProvider(keyring));
      expect(again.rewrapped).toBe(3);
      await expectAllUnder(again.newMasterKeyId);
    });

    it('follows the keyring when its current key changes mid-rotation instead of rewrapping forever', async () => {
      const keys = await setUp();
      let newer: string | undefined;
      keys.onRewrap = async () => {
        // Someone bypassing the lock (an older roomlink, a hand edit) makes another key current.
        if (newer === undefined) newer = await new FileKeyProvider(keyring).createMasterKey();
      };
      const result = await rotateMasterKey(keys, new FileKeyProvider(keyring));
      expect(newer).toBeDefined();
      expect(result.newMasterKeyId).toBe(newer);
      await expectAllUnder(result.newMasterKeyId);
    });

    it('rewraps a data key a serving process wrapped with the old master key before retiring that key', async () => {
      const keys = await setUp();
      // A server wrapped a new tenant's data key with the old master key just before rotation...
      const server = new FileKeyProvider(keyring);
      const lateKey = randomBytes(32);
      const late = await server.wrap(lateKey, wrapContext('t-late', 'k1'));
      // ...and its insert lands right after rotation found nothing left under old keys.
      keys.onEmptyList = async (n) => {
        if (n !== 1) return;
        await store.tenantKeys.insert({
          tenantId: 't-late',
          keyId: 'k1',
          wrappedKey: late.wrapped,
          masterKeyId: late.masterKeyId,
          createdAt: new Date().toISOString(),
        });
        dataKeys.set('t-late', lateKey);
      };
      const result = await rotateMasterKey(keys, new FileKeyProvider(keyring));
      expect(result.rewrapped).toBe(4);
      await expectAllUnder(result.newMasterKeyId);
    });

    it('fails loudly when such a data key lands after its master key was checked and retired', async () => {
      const keys = await setUp();
      const late = await new FileKeyProvider(keyring).wrap(randomBytes(32), wrapContext('t-late', 'k1'));
      let checks = 0;
      keys.onEmptyList = async () => {
        // The last check before the old key is deleted: later than this, rotation cannot help.
        if (++checks !== 2) return;
        await store.tenantKeys.insert({
          tenantId: 't-late',
          keyId: 'k1',
          wrappedKey: late.wrapped,
          masterKeyId: late.masterKeyId,
          createdAt: new Date().toISOString(),
        });
      };
      const rotation = rotateMasterKey(keys, new FileKeyProvider(keyring), {
        createNewKey: true,
        stragglerWaitMs: 300,
      });
      await expect(rotation).rejects.toBeInstanceOf(StragglerKeyError);
      await expect(rotation).rejects.toThrow(`master key(s) ${late.masterKeyId}`);
    });

    describe('a serving process creating a tenant data key while rotation runs', () => {
      const ctx = { tenantId: 't-new', table: 'meetings', column: 'subject', rowId: 'm1' };
      /** Held until released: the serving process's insert or rewrap, slow under load. */
      const gate = () => {
        let open!: () => void;
        const opened = new Promise<void>((resolve) => (open = resolve));
        return { open, wait: () => opened };
      };
      /** A process started after rotation, with no cached data key, must open what was written. */
      const expectReadableAfterRestart = async (sealed: string, masterKeyId: string) => {
        expect((await store.tenantKeys.findActive('t-new'))?.masterKeyId).toBe(masterKeyId);
        const restarted = new EnvelopeCipher(store.tenantKeys, new FileKeyProvider(keyring));
        expect(await restarted.decrypt(ctx, sealed)).toBe('Board meeting: acquisition');
      };

      it('rewraps its data key under the new master key when it lands after rotation retired the old one', async () => {
        const keys = await setUp();
        const serverKeys = new HookedKeys(store.tenantKeys);
        const insert = gate();
        const reached = gate();
        serverKeys.beforeInsert = async () => {
          reached.open();
          await insert.wait();
        };
        const server = new EnvelopeCipher(serverKeys, new FileKeyProvider(keyring));
        // Wrapped with the master key current now; the insert lands only after rotation is over.
        const write = server.encrypt(ctx, 'Board meeting: acquisition');
        await reached.wait();
        const oldMaster = await new FileKeyProvider(keyring).currentMasterKeyId();

        const result = await rotateMasterKey(keys, new FileKeyProvider(keyring));
        expect(result.retired).toEqual([oldMaster]);
        insert.open();
        const sealed = await write;

        await expectReadableAfterRestart(sealed, result.newMasterKeyId);
        expect(await server.decrypt(ctx, sealed)).toBe('Board meeting: acquisition');
      });

      it('leaves its data key as rotation rewrapped it when rotation got there first', async () => {
        const keys = await setUp();
        const serverKeys = new HookedKeys(store.tenantKeys);
        let result: Awaited<ReturnType<typeof rotateMasterKey>> | undefined;
        // The row lands under the old master key and the whole rotation runs before the serving
        // process looks at the keyring again: its compare-and-set must lose, harmlessly.
        serverKeys.afterInsert = async () => {
          result = await rotateMasterKey(keys, new FileKeyProvider(keyring));
        };
        const sealed = await new EnvelopeCipher(serverKeys, new FileKeyProvider(keyring)).encrypt(
          ctx,
          'Board meeting: acquisition',
        );
        expect(result?.rewrapped).toBe(4);
        expect(serverKeys.rewraps).toBe(1);
        await expectReadableAfterRestart(sealed, result?.newMasterKeyId ?? '');
      });

      it('rotation waits for the serving process to rewrap a data key it found under a retired master key', async () => {
        const keys = await setUp();
        const serverKeys = new HookedKeys(store.tenantKeys);
        const insert = gate();
        const reached = gate();
        const inserted = gate();
        const rewrap = gate();
        serverKeys.beforeInsert = async () => {
          reached.open();
          await insert.wait();
        };
        serverKeys.afterInsert = async () => inserted.open();
        serverKeys.onRewrap = () => rewrap.wait();
        const write = new EnvelopeCipher(serverKeys, new FileKeyProvider(keyring)).encrypt(
          ctx,
          'Board meeting: acquisition',
        );
        await reached.wait();
        // The insert lands right after rotation's last check before deleting the old key, and the
        // serving process's rewrap only once rotation has seen the row under the retired key.
        keys.onEmptyList = async (n) => {
          if (n !== 2) return;
          insert.open();
          await inserted.wait();
        };
        let sawStraggler = false;
        keys.onList = async (rows) => {
          if (rows.some((r) => r.tenantId === 't-new') && keys.emptyLists >= 2) {
            sawStraggler = true;
            rewrap.open();
          }
        };
        const result = await rotateMasterKey(keys, new FileKeyProvider(keyring));
        expect(sawStraggler).toBe(true);
        await expectReadableAfterRestart(await write, result.newMasterKeyId);
      });
    });
  });
}
