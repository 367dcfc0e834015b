import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/kysely-store.js';
import { EnvelopeCipher } from './envelope.js';
import { KeyError } from './key-provider.js';
import { EnvKeyProvider, FileKeyProvider } from './local-key-provider.js';
import { rotateMasterKey } from './rotate.js';

describe('envelope encryption', () => {
  let dir: string;
  let store: Awaited<ReturnType<typeof openStore>>;
  let cipher: EnvelopeCipher;
  const ctx = { tenantId: 'tenant-a', table: 'meetings', column: 'subject', rowId: 'row-1' };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-crypto-'));
    store = await openStore(`sqlite:${path.join(dir, 'db.sqlite')}`);
    await store.tenants.ensure('tenant-a', new Date());
    await store.tenants.ensure('tenant-b', new Date());
    cipher = new EnvelopeCipher(store.tenantKeys, new EnvKeyProvider([{ id: 'm1', key: randomBytes(32) }]));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips and never repeats a ciphertext', async () => {
    const a = await cipher.encrypt(ctx, 'Quarterly review');
    const b = await cipher.encrypt(ctx, 'Quarterly review');
    expect(a).not.toBe(b);
    expect(a).not.toContain('Quarterly');
    expect(await cipher.decrypt(ctx, a)).toBe('Quarterly review');
  });

  it.each<[string, Partial<typeof ctx>]>([
    ['another row', { rowId: 'row-2' }],
    ['another column', { column: 'start' }],
    ['another table', { table: 'users' }],
    ['another tenant', { tenantId: 'tenant-b' }],
  ])('refuses a ciphertext moved to %s', async (_name, change) => {
    const sealed = await cipher.encrypt(ctx, 'secret title');
    if (change.tenantId) await cipher.encrypt({ ...ctx, ...change }, 'gives tenant-b its own data key');
    await expect(cipher.decrypt({ ...ctx, ...change }, sealed)).rejects.toBeInstanceOf(KeyError);
  });

  it('refuses a tampered ciphertext', async () => {
    const sealed = await cipher.encrypt(ctx, 'secret title');
    const [v, k, body] = sealed.split('.') as [string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 1;
    await expect(cipher.decrypt(ctx, `${v}.${k}.${bytes.toString('base64url')}`)).rejects.toThrow(
      /did not authenticate/,
    );
    await expect(cipher.decrypt(ctx, 'plain text')).rejects.toThrow(/not a Roomlink ciphertext/);
  });

  it('creates exactly one data key per tenant under concurrent first use', async () => {
    const fresh = new EnvelopeCipher(
      store.tenantKeys,
      new EnvKeyProvider([{ id: 'm1', key: randomBytes(32) }]),
    );
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fresh.encrypt({ ...ctx, tenantId: 'tenant-b', rowId: `r${i}` }, 'x'),
      ),
    );
    expect(await store.tenantKeys.countByMasterKey()).toEqual(new Map([['m1', 1]]));
  });

  it('a data key cannot be opened by a master key it was not wrapped with', async () => {
    await cipher.encrypt(ctx, 'x');
    const other = new EnvelopeCipher(
      store.tenantKeys,
      new EnvKeyProvider([{ id: 'm1', key: randomBytes(32) }]),
    );
    await expect(other.decrypt(ctx, await cipher.encrypt(ctx, 'y'))).rejects.toMatchObject({
      code: 'unwrap_failed',
    });
  });

  it('rotation rewraps every data key, retires the old master key and keeps data readable', async () => {
    const provider = new FileKeyProvider(path.join(dir, 'keys.json'));
    expect(await provider.ensure()).toBe(true);
    expect(await provider.ensure()).toBe(false);
    const oldId = await provider.currentMasterKeyId();
    const before = new EnvelopeCipher(store.tenantKeys, provider);
    const sealedA = await before.encrypt(ctx, 'tenant a title');
    const sealedB = await before.encrypt({ ...ctx, tenantId: 'tenant-b' }, 'tenant b title');
    const oldWrapped = (await store.tenantKeys.findActive('tenant-a'))?.wrappedKey;

    const result = await rotateMasterKey(store.tenantKeys, provider);

    expect(result.rewrapped).toBe(2);
    expect(result.retired).toEqual([oldId]);
    expect(await provider.masterKeyIds()).toEqual([result.newMasterKeyId]);
    expect(await readFile(path.join(dir, 'keys.json'), 'utf8')).not.toContain(oldId);
    expect((await store.tenantKeys.findActive('tenant-a'))?.wrappedKey).not.toBe(oldWrapped);
    // A process that starts after rotation (no cached keys) reads everything.
    const after = new EnvelopeCipher(store.tenantKeys, new FileKeyProvider(path.join(dir, 'keys.json')));
    expect(await after.decrypt(ctx, sealedA)).toBe('tenant a title');
    expect(await after.decrypt({ ...ctx, tenantId: 'tenant-b' }, sealedB)).toBe('tenant b title');
  });
});
