/**
 * Rotation against a database without a single data key retires no master key: such a database
 * looks the same as a DATABASE_URL naming the wrong one, where retiring would cost the real
 * database's data keys their master key.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TenantKeyRecord, type TenantKeyRepository, wrapContext } from './envelope.js';
import { FileKeyProvider } from './local-key-provider.js';
import { rotateMasterKey } from './rotate.js';

/** tenant_keys in memory, as the store keeps it. */
class MemoryKeys implements TenantKeyRepository {
  readonly rows: TenantKeyRecord[] = [];
  async findActive(tenantId: string) {
    return this.rows.find((r) => r.tenantId === tenantId);
  }
  async find(tenantId: string, keyId: string) {
    return this.rows.find((r) => r.tenantId === tenantId && r.keyId === keyId);
  }
  async insert(record: TenantKeyRecord) {
    if (this.rows.some((r) => r.tenantId === record.tenantId)) return false;
    this.rows.push(record);
    return true;
  }
  async listWrappedWithOtherThan(masterKeyId: string, limit: number) {
    return this.rows.filter((r) => r.masterKeyId !== masterKeyId).slice(0, limit);
  }
  async rewrap(record: TenantKeyRecord, wrappedKey: string, masterKeyId: string) {
    const i = this.rows.findIndex(
      (r) =>
        r.tenantId === record.tenantId && r.keyId === record.keyId && r.masterKeyId === record.masterKeyId,
    );
    if (i < 0) return false;
    this.rows[i] = { ...record, wrappedKey, masterKeyId };
    return true;
  }
  async countByMasterKey() {
    const counts = new Map<string, number>();
    for (const r of this.rows) counts.set(r.masterKeyId, (counts.get(r.masterKeyId) ?? 0) + 1);
    return counts;
  }
}

describe('rotateMasterKey and a database without data keys', () => {
  let dir: string;
  let keyring: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-rotate-empty-'));
    keyring = path.join(dir, 'master-keys.json');
    await new FileKeyProvider(keyring).ensure();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const ids = async () => Object.keys(JSON.parse(await readFile(keyring, 'utf8')).keys as object).sort();

  it('makes a new master key current and retires none: the old ones stay in the keyring', async () => {
    const old = await new FileKeyProvider(keyring).currentMasterKeyId();

    const result = await rotateMasterKey(new MemoryKeys(), new FileKeyProvider(keyring));

    expect(result.retired).toEqual([]);
    expect(result.noDataKeys).toBe(true);
    expect(result.rewrapped).toBe(0);
    expect(result.newMasterKeyId).not.toBe(old);
    expect(await new FileKeyProvider(keyring).currentMasterKeyId()).toBe(result.newMasterKeyId);
    expect(await ids()).toEqual([old, result.newMasterKeyId].sort());

    // Again: still nothing retired, however often it runs there.
    const again = await rotateMasterKey(new MemoryKeys(), new FileKeyProvider(keyring));
    expect(again.retired).toEqual([]);
    expect(await ids()).toHaveLength(3);
  });

  it('with one data key, retires the old master key as before', async () => {
    const provider = new FileKeyProvider(keyring);
    const old = await provider.currentMasterKeyId();
    const keys = new MemoryKeys();
    const wrapped = await provider.wrap(randomBytes(32), wrapContext('tenant-a', 'k1'));
    await keys.insert({
      tenantId: 'tenant-a',
      keyId: 'k1',
      wrappedKey: wrapped.wrapped,
      masterKeyId: wrapped.masterKeyId,
      createdAt: new Date().toISOString(),
    });

    const result = await rotateMasterKey(keys, new FileKeyProvider(keyring));

    expect(result).toMatchObject({ rewrapped: 1, retired: [old], noDataKeys: false });
    expect(await ids()).toEqual([result.newMasterKeyId]);
  });
});
