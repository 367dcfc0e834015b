/**
 * Master key rotation: every tenant data key is rewrapped under the provider's current master key,
 * then the old master keys are retired. Data keys (and so every stored ciphertext) are unchanged,
 * which is why this runs with the service up: serving processes only need the master key to open a
 * data key they have not cached yet, and they find the rewrapped row.
 */

import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TenantKeyRecord, type TenantKeyRepository, wrapContext } from './envelope.js';
import type { KeyProvider } from './key-provider.js';
import { FileKeyProvider } from './local-key-provider.js';

export interface RotationResult {
  readonly newMasterKeyId: string;
  readonly rewrapped: number;
  readonly retired: string[];
  /**
   * The database held no data keys at all, so no master key was retired (see rotateLocked): true
   * means the old keys are kept, and nothing shows whether they are in use elsewhere.
   */
  readonly noDataKeys: boolean;
}

/** Another rotation holds the keyring's rotation lock (or left it behind when it crashed). */
export class RotationInProgressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationInProgressError';
  }
}

/**
 * A data key was wrapped with a master key after rotation had checked it was unused and retired it:
 * a serving process that read the keyring just before the new key was written. That process rewraps
 * the row itself right after inserting it (EnvelopeCipher), so this means it did not: it stopped in
 * between, or is an older roomlink. Rotation cannot open that row any more, so the operator must
 * bring the retired key back.
 */
export class StragglerKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StragglerKeyError';
  }
}

/**
 * How long rotation waits, after retiring master keys, for serving processes to rewrap data keys they
 * inserted under one of them in the meantime, before it reports those keys as lost.
 */
export const STRAGGLER_WAIT_MS = 2_000;

export interface RotationOptions {
  readonly createNewKey: boolean;
  /** See STRAGGLER_WAIT_MS. */
  readonly stragglerWaitMs?: number;
}

export async function rotateMasterKey(
  keys: TenantKeyRepository,
  provider: KeyProvider,
  options: RotationOptions = { createNewKey: true },
): Promise<RotationResult> {
  // Two rotations at once would each write the keyring (read-modify-write, last writer wins: a key
  // one of them just wrapped rows with could vanish) and retire the key the other is rewrapping to.
  // Rotations that change the keyring are therefore serialised; the env provider's keys never change
  // here, so it needs no lock.
  // The lock goes beside the keyring file itself, not beside a symbolic link to it: hosts sharing one
  // keyring through links of their own must all find the same lock.
  const release = provider instanceof FileKeyProvider ? await lockKeyring(provider) : undefined;
  try {
    return await rotateLocked(keys, provider, options);
  } finally {
    await release?.();
  }
}

async function rotateLocked(
  keys: TenantKeyRepository,
  provider: KeyProvider,
  options: RotationOptions,
): Promise<RotationResult> {
  if (options.createNewKey && provider.createMasterKey) await provider.createMasterKey();

  let rewrapped = 0;
  /**
   * Rewraps until no row is left under another key than the current one, and returns that key. The
   * current key is re-read every pass, and rows count as done under the key `wrap` actually used:
   * if the keyring changes meanwhile (edited by hand, or an older roomlink rotating without the
   * lock) the loop follows the newest key instead of rewrapping forever towards a stale one. It also
   * catches keys a serving process created with the old master key while this ran.
   */
  const rewrapAll = async (): Promise<string> => {
    for (;;) {
      const current = await provider.currentMasterKeyId();
      const batch = await keys.listWrappedWithOtherThan(current, 100);
      if (batch.length === 0) return current;
      for (const record of batch) if (await rewrapOne(keys, provider, record)) rewrapped += 1;
    }
  };

  let current = await rewrapAll();
  const retired: string[] = [];
  // A database without a single data key proves nothing about the old master keys: it looks the
  // same as a DATABASE_URL naming the wrong (new, empty) database, where retiring them would leave
  // the real database's data keys unreadable for good (short of a keyring backup). So nothing is
  // retired there. The new key is still made current rather than the rotation refused: that is
  // harmless anywhere (a new installation without tenants may rotate), and a later rotation on a
  // database that holds data keys retires the old ones. A first data key that a serving process
  // inserts after this count, under an old master key, thereby keeps that key as well.
  const noDataKeys = total(await keys.countByMasterKey()) === 0;
  if (provider.retireMasterKey && !noDataKeys) {
    for (;;) {
      // Ids already retired are skipped so that a provider whose retire does not take effect at once
      // cannot keep this loop going.
      const old = (await provider.masterKeyIds()).filter((id) => id !== current && !retired.includes(id));
      const next = old[0];
      if (next === undefined) break;
      // Re-check just before deleting: a serving process that read the keyring before the new key
      // was written may have inserted a data key wrapped with an old one since the last pass.
      const now = await provider.currentMasterKeyId();
      if (now !== current || (await keys.listWrappedWithOtherThan(current, 1)).length > 0) {
        current = await rewrapAll();
        continue;
      }
      await provider.retireMasterKey(next);
      retired.push(next);
    }
    // A straggler landing between the last check and the deletion cannot be opened by rotation any
    // more. The process that inserted it still holds its data key and rewraps it in a moment, so a
    // row left is only reported once that moment is over; then say so loudly rather than report a
    // clean rotation. One inserted after this check is the inserting process's alone to mend.
    const listLost = async () =>
      (await keys.listWrappedWithOtherThan(current, 100)).filter((r) => retired.includes(r.masterKeyId));
    let lost = await listLost();
    const deadline = Date.now() + (options.stragglerWaitMs ?? STRAGGLER_WAIT_MS);
    while (lost.length > 0 && Date.now() < deadline) {
      await sleep(100);
      lost = await listLost();
    }
    if (lost.length > 0) {
      const ids = [...new Set(lost.map((r) => r.masterKeyId))].join(', ');
      throw new StragglerKeyError(
        `${lost.length} data key(s) were wrapped with master key(s) ${ids} by a serving process while ` +
          'rotation retired them: restore those keys from the keyring backup and run "roomlink keys ' +
          'rotate" again',
      );
    }
  }
  return { newMasterKeyId: current, rewrapped, retired, noDataKeys };
}

function total(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const count of counts.values()) n += count;
  return n;
}

async function rewrapOne(
  keys: TenantKeyRepository,
  provider: KeyProvider,
  record: TenantKeyRecord,
): Promise<boolean> {
  const context = wrapContext(record.tenantId, record.keyId);
  const dataKey = await provider.unwrap(
    { masterKeyId: record.masterKeyId, wrapped: record.wrappedKey },
    context,
  );
  const wrapped = await provider.wrap(dataKey, context);
  // Compare-and-set on the old master key id: a row someone else rewrapped meanwhile is left alone.
  return keys.rewrap(record, wrapped.wrapped, wrapped.masterKeyId);
}

/**
 * Takes the rotation lock beside the keyring: a file created exclusively, so that exactly one
 * rotation gets it, across processes. It is not taken over automatically when its holder crashed:
 * the holder may run on another host sharing the keyring, and two rotations at once can lose keys.
 * When the configured keyring path is a symbolic link, the lock goes beside the file it leads to.
 */
async function lockKeyring(provider: FileKeyProvider): Promise<() => Promise<void>> {
  // A missing keyring (or a link leading nowhere) is a KeyError naming the configured path.
  const keyringFile = await provider.realFile();
  const lockFile = `${keyringFile}.rotate-lock`;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(lockFile, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`the keyring ${keyringFile} does not exist: nothing to rotate`);
    if (code !== 'EEXIST') throw error;
    const holder = await readFile(lockFile, 'utf8').catch(() => '');
    throw new RotationInProgressError(
      `another "roomlink keys rotate" is running (${describeHolder(holder)}): run again once it has ` +
        `finished. If it is not running any more (it crashed), delete ${lockFile} and run again`,
    );
  }
  try {
    await handle.writeFile(
      JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
    );
  } finally {
    await handle.close();
  }
  return () => unlink(lockFile).catch(() => undefined);
}

function describeHolder(text: string): string {
  try {
    const h = JSON.parse(text) as { pid?: unknown; host?: unknown; since?: unknown };
    return `process ${String(h.pid)} on ${String(h.host)}, since ${String(h.since)}`;
  } catch {
    return 'holder unknown';
  }
}
