/**
 * Whether the key provider can open every stored tenant data key: `roomlink doctor` checks it, and
 * `serve` refuses to start without it (a tenant whose master key this process lacks would get a 500
 * on every request).
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

/**
 * Throws a KeyError (the keys exit code, 77) naming the master keys the provider lacks, or the one
 * whose material cannot open the data keys wrapped with it. Messages hold ids only, never key material.
 */
export async function checkMasterKeyCoverage(
  store: KyselyStore,
  provider: KeyProvider,
): Promise<KeyCoverage> {
  const held = new Set(await provider.masterKeyIds());
  const counts = await store.tenantKeys.countByMasterKey().catch(() => new Map<string, number>());
  const missing = [...counts.keys()].filter((id) => !held.has(id));
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
  for (const [masterKeyId, n] of counts) {
    const sample = await store.db
      .selectFrom('tenant_keys')
      .select(['tenant_id', 'key_id', 'wrapped_key'])
      .where('master_key_id', '=', masterKeyId)
      .orderBy('tenant_id')
      .limit(1)
      .executeTakeFirst();
    if (!sample) continue; // rotated or deleted since it was counted
    try {
      await provider.unwrap(
        { masterKeyId, wrapped: sample.wrapped_key },
        wrapContext(sample.tenant_id, sample.key_id),
      );
    } catch (error) {
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
  }
  return { held, counts };
}
