/**
 * `roomlink doctor` and `serve`'s start-up check of the master keys must not fail because
 * `roomlink keys rotate` ran in the middle of the check, and must still fail (exit 77) on a master
 * key that is really missing. The rotation is run by a provider wrapper at the exact point of the
 * check it races, not slept for.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../crypto/envelope.js';
import { KeyError, type KeyProvider, type WrappedKey } from '../crypto/key-provider.js';
import { FileKeyProvider } from '../crypto/local-key-provider.js';
import { rotateMasterKey } from '../crypto/rotate.js';
import { openStore } from '../store/kysely-store.js';
import { runDoctor } from './doctor.js';
import { EXIT } from './exit.js';
import { checkMasterKeyCoverage } from './key-coverage.js';

/** A serving process's provider; each hook runs once, at its point, as if another process acted then. */
class RacingProvider implements KeyProvider {
  readonly name: string;
  idReads = 0;
  unwraps = 0;
  /** Runs after the provider's ids were read, before the check has them. */
  afterIds: (() => Promise<void>) | undefined;
  /** Runs before the provider unwraps. */
  beforeUnwrap: (() => Promise<void>) | undefined;

  constructor(readonly inner: KeyProvider) {
    this.name = inner.name;
  }
  async masterKeyIds(): Promise<string[]> {
    this.idReads += 1;
    const ids = await this.inner.masterKeyIds();
    await once(this, 'afterIds');
    return ids;
  }
  async unwrap(key: WrappedKey, context: string): Promise<Buffer> {
    this.unwraps += 1;
    await once(this, 'beforeUnwrap');
    return this.inner.unwrap(key, context);
  }
  currentMasterKeyId() {
    return this.inner.currentMasterKeyId();
  }
  wrap(dataKey: Buffer, context: string) {
    return this.inner.wrap(dataKey, context);
  }
}

async function once(provider: RacingProvider, hook: 'afterIds' | 'beforeUnwrap'): Promise<void> {
  const run = provider[hook];
  provider[hook] = undefined;
  await run?.();
}

describe('the master key coverage check', () => {
  let dir: string;
  let database: string;
  let keyring: string;
  let store: Awaited<ReturnType<typeof openStore>>;
  let firstMasterKey: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-key-coverage-'));
    database = `sqlite:${path.join(dir, 'roomlink.sqlite')}`;
    keyring = path.join(dir, 'master-keys.json');
    store = await openStore(database);
    const provider = new FileKeyProvider(keyring);
    await provider.ensure();
    firstMasterKey = await provider.currentMasterKeyId();
    // One tenant's data key, wrapped with the keyring's first master key.
    await store.tenants.ensure('tenant-a', new Date());
    await new EnvelopeCipher(store.tenantKeys, provider).encrypt(
      { tenantId: 'tenant-a', table: 'meetings', column: 'subject', rowId: 'row-1' },
      'Quarterly review',
    );
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** `roomlink keys rotate`, run by another process on the same database and keyring, to its end. */
  const rotate = async () => {
    const result = await rotateMasterKey(store.tenantKeys, new FileKeyProvider(keyring));
    expect(result.retired).toEqual([firstMasterKey]);
    return result.newMasterKeyId;
  };

  it('passes when rotation runs between reading the provider’s ids and counting the data keys', async () => {
    const provider = new RacingProvider(new FileKeyProvider(keyring));
    let newMasterKey = '';
    provider.afterIds = async () => {
      newMasterKey = await rotate();
    };

    const coverage = await checkMasterKeyCoverage(store, provider);

    expect(provider.afterIds).toBeUndefined(); // the rotation did run in between
    expect([...coverage.held]).toEqual([newMasterKey]);
    expect([...coverage.counts]).toEqual([[newMasterKey, 1]]);
    expect(provider.idReads).toBe(2);
  });

  it('passes when rotation runs between reading a data key and unwrapping it', async () => {
    const provider = new RacingProvider(new FileKeyProvider(keyring));
    provider.beforeUnwrap = async () => {
      await rotate();
    };

    const coverage = await checkMasterKeyCoverage(store, provider);

    expect(provider.beforeUnwrap).toBeUndefined();
    expect([...coverage.counts]).toEqual([[firstMasterKey, 1]]);
    expect(await new FileKeyProvider(keyring).masterKeyIds()).not.toContain(firstMasterKey);
  });

  it('still fails on a master key the provider really lacks, after reading once more', async () => {
    const other = new FileKeyProvider(path.join(dir, 'other-keys.json'));
    await other.ensure();
    const provider = new RacingProvider(other);

    const error = await checkMasterKeyCoverage(store, provider).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).code).toBe('unknown_master_key');
    expect((error as KeyError).message).toContain(
      `data keys are wrapped with master keys the provider lacks: ${firstMasterKey} (1 data key(s); ` +
        `file provider holds ${await other.currentMasterKeyId()})`,
    );
    expect(provider.idReads).toBe(2);
  });

  it('still fails when the keyring loses the key between reading a data key and unwrapping it', async () => {
    const other = path.join(dir, 'other-keys.json');
    await new FileKeyProvider(other).ensure();
    const provider = new RacingProvider(new FileKeyProvider(keyring));
    // A keyring restored from the wrong backup while the check runs: the row stays as it was.
    provider.beforeUnwrap = () => copyFile(other, keyring);

    const error = await checkMasterKeyCoverage(store, provider).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).code).toBe('unwrap_failed');
    expect((error as KeyError).message).toContain(
      `master key ${firstMasterKey} cannot open the data keys wrapped with it (1 tenant data key(s); ` +
        `tried tenant tenant-a's): master key ${firstMasterKey} is not held by file`,
    );
    expect(provider.unwraps).toBe(1);
  });

  it('makes doctor exit with the keys code on a master key the keyring lacks', async () => {
    const other = path.join(dir, 'other-keys.json');
    await new FileKeyProvider(other).ensure();
    const lines: string[] = [];

    const code = await runDoctor(
      { DATABASE_URL: database, ROOMLINK_DATA_DIR: dir, ROOMLINK_KEYRING_FILE: other },
      (line) => lines.push(line),
    );

    expect(code).toBe(EXIT.keys);
    expect(lines.join('\n')).toContain(
      `FAIL  keys: data keys are wrapped with master keys the provider lacks: ${firstMasterKey} `,
    );
  });
});
