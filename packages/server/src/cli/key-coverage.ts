/**
 * Whether the key provider can open every stored tenant data key: `roomlink doctor` checks it, and
 * `serve` refuses to start without it (a tenant whose master key this process lacks would get a 500
 * on every request).
 *
 * `roomlink keys rotate` runs with the service up, so it may run while this checks: each mismatch
 * it could cause is read again once before it counts as a failure, as EnvelopeCipher does for a
 * request (see checkMasterKeyCoverage and openOneDataKey).
 */
import { wrapContext } from '../crypto/envelope.js';
import { KeyError, type KeyProvider } from '../crypto/key-provider.js';
import type { KyselyStore } from '../store/kysely-store.js';

export interface KeyCoverage {
  /** The master key ids the provider holds. */
  readonly held: ReadonlySet<string>;
  /** Stored data keys by the master key id that wraps them. */
  readonly counts: ReadonlyMap<string, number>;
}

/** What the check reads from the store. */
export type CoverageStore = Pick<KyselyStore, 'db' | 'tenantKeys'>;

/**
 * Throws a KeyError (the keys exit code, 77) naming the master keys the provider lacks, or the one
 * whose material cannot open the data keys wrapped with it. Messages hold ids only, never key material.
 */
export async function checkMasterKeyCoverage(
  store: CoverageStore,
  provider: KeyProvider,
): Promise<KeyCoverage> {
  // A rotation between the two reads of readCoverage can count data keys under a master key it
  // created after the provider's ids were read (a keyring file reloaded since). Rotation creates a
  // key before it wraps anything with it, and retires one only once nothing is wrapped with it, so
  // ids then counts read again miss nothing that rotation did: a key lacking then is really lacking.
  let coverage = await readCoverage(store, provider);
  if (lacking(coverage).length > 0) coverage = await readCoverage(store, provider);
  const { held, counts } = coverage;
  const missing = lacking(coverage);
  if (missing.length > 0) {
    const tenants = missing.reduce((n, id) => n + (counts.get(id) ?? 0), 0);
    throw new KeyError(
      'unknown_master_key',
      `data keys are wrapped with master keys the provider lacks: ${missing.join(', ')} ` +
        `(${tenants} data key(s); ${provider.name} provider holds ${[...held].join(', ') || 'none'}). ` +
        "Those tenants' data cannot be read: give this process the same keys as the others (one keyring " +
        'file shared by every host, or the same ROOMLINK_MASTER_KEYS), or restore the key from its backup',
    );
  }
  // A held id proves nothing about the key material behind it (a mistyped ROOMLINK_MASTER_KEYS
  // value, a keyring restored from the wrong backup): open one data key per master key in use.
  for (const [masterKeyId, n] of counts) await openOneDataKey(store, provider, masterKeyId, n);
  return coverage;
}

/** The provider's ids, then the stored data keys by master key id, in that order (see above). */
async function readCoverage(store: CoverageStore, provider: KeyProvider): Promise<KeyCoverage> {
  const held = new Set(await provider.masterKeyIds());
  const counts = await store.tenantKeys.countByMasterKey().catch(() => new Map<string, number>());
  return { held, counts };
}

function lacking({ held, counts }: KeyCoverage): string[] {
  return [...counts.keys()].filter((id) => !held.has(id));
}

interface SampleRow {
  readonly tenant_id: string;
  readonly key_id: string;
  readonly wrapped_key: string;
}

/**
 * Unwraps one data key wrapped with `masterKeyId`. Rotation may rewrap every data key of that master
 * key and retire it between the read of the sample and its unwrap: the provider (its keyring
 * reloaded) then lacks the key the sample names. So on unknown_master_key a sample is read again,
 * once: none left means the key is out of use; the same row, unchanged, keeps the failure.
 */
async function openOneDataKey(
  store: CoverageStore,
  provider: KeyProvider,
  masterKeyId: string,
  n: number,
): Promise<void> {
  let sample = await readSample(store, masterKeyId);
  if (!sample) return; // rotated or deleted since it was counted
  let failure = await tryUnwrap(provider, masterKeyId, sample);
  if (failure?.error instanceof KeyError && failure.error.code === 'unknown_master_key') {
    const again = await readSample(store, masterKeyId);
    if (!again) return;
    if (!sameRow(again, sample)) {
      sample = again;
      failure = await tryUnwrap(provider, masterKeyId, again);
    }
  }
  if (failure === undefined) return;
  const { error } = failure;
  // Only the ids and a KeyError's own message are shown: neither holds key material.
  const why =
    error instanceof KeyError && error.code === 'unwrap_failed'
      ? 'the provider holds other key material under that id (or the stored data key is damaged)'
      : error instanceof Error
        ? error.message
        : String(error);
  throw new KeyError(
    'unwrap_failed',
    `master key ${masterKeyId} cannot open the data keys wrapped with it (${n} tenant data ` +
      `key(s); tried tenant ${sample.tenant_id}'s): ${why}. Restore the right key (keyring ` +
      'backup or ROOMLINK_MASTER_KEYS value); until then those tenants’ data cannot be read',
  );
}

function readSample(store: CoverageStore, masterKeyId: string): Promise<SampleRow | undefined> {
  return store.db
    .selectFrom('tenant_keys')
    .select(['tenant_id', 'key_id', 'wrapped_key'])
    .where('master_key_id', '=', masterKeyId)
    .orderBy('tenant_id')
    .limit(1)
    .executeTakeFirst();
}

/** What unwrapping `sample` threw, or undefined when it opened. */
async function tryUnwrap(
  provider: KeyProvider,
  masterKeyId: string,
  sample: SampleRow,
): Promise<{ readonly error: unknown } | undefined> {
  try {
    await provider.unwrap(
      { masterKeyId, wrapped: sample.wrapped_key },
      wrapContext(sample.tenant_id, sample.key_id),
    );
    return undefined;
  } catch (error) {
    return { error };
  }
}

function sameRow(a: SampleRow, b: SampleRow): boolean {
  return a.tenant_id === b.tenant_id && a.key_id === b.key_id && a.wrapped_key === b.wrapped_key;
}
