/**
 * Master key rotation: every tenant data key is rewrapped under the provider's current master key,
 * then the old master keys are retired. Data keys (and so every stored ciphertext) are unchanged,
 * which is why this runs with the service up: serving processes only need the master key to open a
 * data key they have not cached yet, and they find the rewrapped row.
 */
import { type TenantKeyRepository, wrapContext } from './envelope.js';
import type { KeyProvider } from './key-provider.js';

export interface RotationResult {
  readonly newMasterKeyId: string;
  readonly rewrapped: number;
  readonly retired: string[];
}

export async function rotateMasterKey(
  keys: TenantKeyRepository,
  provider: KeyProvider,
  options: { createNewKey: boolean } = { createNewKey: true },
): Promise<RotationResult> {
  let current: string;
  if (options.createNewKey && provider.createMasterKey) current = await provider.createMasterKey();
  else current = await provider.currentMasterKeyId();

  let rewrapped = 0;
  // Loop until no row is left under an old key, which also catches keys a serving process created
  // with the old master key while this ran.
  for (;;) {
    const batch = await keys.listWrappedWithOtherThan(current, 100);
    if (batch.length === 0) break;
    for (const record of batch) {
      const context = wrapContext(record.tenantId, record.keyId);
      const dataKey = await provider.unwrap(
        { masterKeyId: record.masterKeyId, wrapped: record.wrappedKey },
        context,
      );
      const wrapped = await provider.wrap(dataKey, context);
      if (await keys.rewrap(record, wrapped.wrapped, wrapped.masterKeyId)) rewrapped += 1;
    }
  }

  const retired: string[] = [];
  if (provider.retireMasterKey) {
    for (const id of await provider.masterKeyIds()) {
      if (id === current) continue;
      await provider.retireMasterKey(id);
      retired.push(id);
    }
  }
  return { newMasterKeyId: current, rewrapped, retired };
}
