/**
 * Envelope encryption of column values. Each tenant has a data key (AES-256) wrapped by the key
 * provider's master key; every value is sealed with AES-256-GCM under its tenant's data key, with
 * tenant id, table, column and row id bound as associated data, so a ciphertext copied to another
 * row, column or tenant fails to open.
 *
 * Stored form: `v1.<data key id>.<base64url(iv || ciphertext || tag)>`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { open, seal } from './aes-gcm.js';
import { KeyError, type KeyProvider } from './key-provider.js';

export interface CipherContext {
  readonly tenantId: string;
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

export interface FieldCipher {
  encrypt(context: CipherContext, plaintext: string): Promise<string>;
  decrypt(context: CipherContext, ciphertext: string): Promise<string>;
}

export interface TenantKeyRecord {
  readonly tenantId: string;
  readonly keyId: string;
  readonly wrappedKey: string;
  readonly masterKeyId: string;
  readonly createdAt: string;
}

/** What the cipher needs from the store. */
export interface TenantKeyRepository {
  findActive(tenantId: string): Promise<TenantKeyRecord | undefined>;
  find(tenantId: string, keyId: string): Promise<TenantKeyRecord | undefined>;
  /** Returns false when the tenant already has a key (another process won the race). */
  insert(record: TenantKeyRecord): Promise<boolean>;
  listWrappedWithOtherThan(masterKeyId: string, limit: number): Promise<TenantKeyRecord[]>;
  /** Compare-and-set on the old master key id, so concurrent rotations never lose a key. */
  rewrap(record: TenantKeyRecord, wrappedKey: string, masterKeyId: string): Promise<boolean>;
  countByMasterKey(): Promise<Map<string, number>>;
}

const VERSION = 'v1';

/**
 * How long a cached data key is used before its row is read again. It bounds how long a data key
 * that another process destroyed (offboarding by `roomlink retention run`, another replica) keeps
 * opening and sealing values here; between checks, encrypt and decrypt read nothing from the store.
 */
export const DATA_KEY_RECHECK_MS = 60_000;

export interface EnvelopeCipherOptions {
  /** See DATA_KEY_RECHECK_MS. */
  readonly recheckAfterMs?: number;
}

interface CachedKey {
  readonly key: Buffer;
  /** Clock time (ms) the key row was last seen. */
  checkedAt: number;
  /** The re-check under way, shared by the requests that find the key due. */
  check?: Promise<boolean>;
}

export class EnvelopeCipher implements FieldCipher {
  /** Unwrapped data keys, by tenant and key id. Lost on restart; re-unwrapped on demand. */
  readonly #dataKeys = new Map<string, Map<string, CachedKey>>();
  /** The tenant's key for new values, loaded or created once however many first writes race. */
  readonly #active = new Map<string, Promise<{ keyId: string; key: Buffer }>>();
  /**
   * Bumped by forget(): a fetch that began before it may hold a key whose row is gone by now, so it
   * must not put that key (back) into the cache.
   */
  readonly #generations = new Map<string, number>();
  readonly #recheckAfterMs: number;

  constructor(
    private readonly keys: TenantKeyRepository,
    private readonly provider: KeyProvider,
    private readonly now: () => Date = () => new Date(),
    options: EnvelopeCipherOptions = {},
  ) {
    this.#recheckAfterMs = options.recheckAfterMs ?? DATA_KEY_RECHECK_MS;
  }

  async encrypt(context: CipherContext, plaintext: string): Promise<string> {
    const { keyId, key } = await this.#activeKey(context.tenantId);
    const sealed = seal(key, Buffer.from(plaintext, 'utf8'), associatedData(context));
    return `${VERSION}.${keyId}.${sealed.toString('base64url')}`;
  }

  async decrypt(context: CipherContext, ciphertext: string): Promise<string> {
    const [version, keyId, body] = ciphertext.split('.');
    if (version !== VERSION || !keyId || !body)
      throw new KeyError('malformed_ciphertext', 'not a Roomlink ciphertext');
    const key = await this.#keyById(context.tenantId, keyId);
    try {
      return open(key, Buffer.from(body, 'base64url'), associatedData(context)).toString('utf8');
    } catch (cause) {
      throw new KeyError(
        'decrypt_failed',
        `value of ${context.table}.${context.column} did not authenticate`,
        {
          cause,
        },
      );
    }
  }

  /** Drops cached data keys, e.g. after a tenant's key was destroyed. */
  forget(tenantId: string): void {
    this.#generations.set(tenantId, this.#generation(tenantId) + 1);
    this.#dataKeys.delete(tenantId);
    this.#active.delete(tenantId);
  }

  async #activeKey(tenantId: string): Promise<{ keyId: string; key: Buffer }> {
    for (;;) {
      let pending = this.#active.get(tenantId);
      if (!pending) {
        // Single flight: concurrent first writes of a new tenant create one data key, not several.
        const loading = this.#loadOrCreate(tenantId);
        pending = loading;
        this.#active.set(tenantId, loading);
        loading.catch(() => {
          if (this.#active.get(tenantId) === loading) this.#active.delete(tenantId);
        });
      }
      const { keyId } = await pending;
      // Not cached (forget() ran meanwhile) or its row is gone: sealing with it would write values
      // nothing can open after a restart, so load the tenant's key again, or create one.
      const cached = this.#dataKeys.get(tenantId)?.get(keyId);
      if (cached && (this.#fresh(cached) || (await this.#stillThere(tenantId, keyId, cached)))) {
        return { keyId, key: cached.key };
      }
      if (this.#active.get(tenantId) === pending) this.#active.delete(tenantId);
    }
  }

  async #loadOrCreate(tenantId: string): Promise<{ keyId: string; key: Buffer }> {
    const generation = this.#generation(tenantId);
    const existing = await this.keys.findActive(tenantId);
    if (existing) {
      const key = await this.#unwrap(existing);
      this.#remember(tenantId, existing.keyId, key, generation);
      return { keyId: existing.keyId, key };
    }
    const key = randomBytes(32);
    const keyId = randomUUID().replaceAll('-', '').slice(0, 16);
    const wrapped = await this.provider.wrap(key, wrapContext(tenantId, keyId));
    const record: TenantKeyRecord = {
      tenantId,
      keyId,
      wrappedKey: wrapped.wrapped,
      masterKeyId: wrapped.masterKeyId,
      createdAt: this.now().toISOString(),
    };
    if (!(await this.keys.insert(record))) return this.#loadOrCreate(tenantId);
    if (await this.#underCurrentMasterKey(record, key)) this.#remember(tenantId, keyId, key, generation);
    return { keyId, key };
  }

  /**
   * `roomlink keys rotate` may have retired the master key this data key was wrapped with between
   * the wrap and the insert: its last check for such rows ran before the row existed, so it reported
   * success and no process could open the row after a restart. Only this process can still mend the
   * row, because only it holds the data key in clear: it rewraps under the master key that is current
   * now. The compare-and-set leaves a row alone that rotation rewrapped first. Returns false when
   * the row is gone (the tenant was destroyed meanwhile).
   */
  async #underCurrentMasterKey(record: TenantKeyRecord, key: Buffer): Promise<boolean> {
    let row = record;
    for (;;) {
      if (row.masterKeyId === (await this.provider.currentMasterKeyId())) return true;
      const wrapped = await this.provider.wrap(key, wrapContext(row.tenantId, row.keyId));
      if (await this.keys.rewrap(row, wrapped.wrapped, wrapped.masterKeyId)) {
        row = { ...row, wrappedKey: wrapped.wrapped, masterKeyId: wrapped.masterKeyId };
        continue;
      }
      const latest = await this.keys.find(row.tenantId, row.keyId);
      if (!latest) return false;
      row = latest;
    }
  }

  async #keyById(tenantId: string, keyId: string): Promise<Buffer> {
    for (;;) {
      const cached = this.#dataKeys.get(tenantId)?.get(keyId);
      if (cached) {
        // Checked inline first: the create path seals several values, and most keys are fresh.
        if (this.#fresh(cached) || (await this.#stillThere(tenantId, keyId, cached))) return cached.key;
        continue;
      }
      const generation = this.#generation(tenantId);
      const record = await this.keys.find(tenantId, keyId);
      if (!record) throw new KeyError('no_data_key', `tenant has no data key ${keyId}`);
      const key = await this.#unwrap(record);
      // forget() ran while the row was read: it was most likely destroyed, so read it again.
      if (this.#remember(tenantId, keyId, key, generation)) return key;
    }
  }

  /**
   * Unwraps a data key row as read. `roomlink keys rotate` may have rewrapped the row and retired its
   * master key between that read and this unwrap: the provider no longer holds the key the row
   * named, but the row now names one it does. So on unknown_master_key the row is read again, from
   * the store, once; a row still under the same master key (a key this provider genuinely lacks)
   * keeps the original error.
   */
  async #unwrap(record: TenantKeyRecord): Promise<Buffer> {
    try {
      return await this.#unwrapRow(record);
    } catch (error) {
      if (!(error instanceof KeyError) || error.code !== 'unknown_master_key') throw error;
      const latest = await this.keys.find(record.tenantId, record.keyId);
      if (!latest) throw new KeyError('no_data_key', `tenant has no data key ${record.keyId}`);
      if (latest.masterKeyId === record.masterKeyId && latest.wrappedKey === record.wrappedKey) throw error;
      return this.#unwrapRow(latest);
    }
  }

  async #unwrapRow(record: TenantKeyRecord): Promise<Buffer> {
    return this.provider.unwrap(
      { masterKeyId: record.masterKeyId, wrapped: record.wrappedKey },
      wrapContext(record.tenantId, record.keyId),
    );
  }

  /** Whether a cached key's row still exists, read at most once per recheck interval. */
  #fresh(cached: CachedKey): boolean {
    return this.#clock() - cached.checkedAt < this.#recheckAfterMs;
  }

  async #stillThere(tenantId: string, keyId: string, cached: CachedKey): Promise<boolean> {
    if (this.#fresh(cached)) return true;
    if (!cached.check) {
      const check = this.#recheck(tenantId, keyId, cached);
      cached.check = check;
      // Both ways, so that a failed read (its error goes to the callers) leaves no unhandled rejection.
      const done = () => {
        if (cached.check === check) cached.check = undefined;
      };
      check.then(done, done);
    }
    return cached.check;
  }

  async #recheck(tenantId: string, keyId: string, cached: CachedKey): Promise<boolean> {
    const generation = this.#generation(tenantId);
    const row = await this.keys.find(tenantId, keyId);
    if (generation !== this.#generation(tenantId)) return false;
    if (!row) {
      const tenantKeys = this.#dataKeys.get(tenantId);
      if (tenantKeys?.get(keyId) === cached) tenantKeys.delete(keyId);
      return false;
    }
    cached.checkedAt = this.#clock();
    return true;
  }

  /** Caches a key unless forget() ran since its fetch began. */
  #remember(tenantId: string, keyId: string, key: Buffer, generation: number): boolean {
    if (generation !== this.#generation(tenantId)) return false;
    let tenantKeys = this.#dataKeys.get(tenantId);
    if (!tenantKeys) {
      tenantKeys = new Map();
      this.#dataKeys.set(tenantId, tenantKeys);
    }
    tenantKeys.set(keyId, { key, checkedAt: this.#clock() });
    return true;
  }

  #generation(tenantId: string): number {
    return this.#generations.get(tenantId) ?? 0;
  }

  #clock(): number {
    return this.now().getTime();
  }
}

/** The wrapped data key is bound to its tenant and id, so a key row moved to another tenant fails. */
export function wrapContext(tenantId: string, keyId: string): string {
  return `roomlink-data-key\u001f${tenantId}\u001f${keyId}`;
}

function associatedData(c: CipherContext): Buffer {
  return Buffer.from([VERSION, c.tenantId, c.table, c.column, c.rowId].join('\u001f'), 'utf8');
}
