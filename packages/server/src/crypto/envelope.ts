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

export class EnvelopeCipher implements FieldCipher {
  /** Unwrapped data keys, by `tenant/keyId`. Lost on restart; re-unwrapped on demand. */
  readonly #dataKeys = new Map<string, Buffer>();
  readonly #pending = new Map<string, Promise<{ keyId: string; key: Buffer }>>();

  constructor(
    private readonly keys: TenantKeyRepository,
    private readonly provider: KeyProvider,
    private readonly now: () => Date = () => new Date(),
  ) {}

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
    for (const k of this.#dataKeys.keys()) if (k.startsWith(`${tenantId}/`)) this.#dataKeys.delete(k);
    this.#pending.delete(tenantId);
  }

  async #activeKey(tenantId: string): Promise<{ keyId: string; key: Buffer }> {
    let pending = this.#pending.get(tenantId);
    if (!pending) {
      // Single flight: concurrent first writes of a new tenant create one data key, not several.
      pending = this.#loadOrCreate(tenantId);
      this.#pending.set(tenantId, pending);
      pending.catch(() => this.#pending.delete(tenantId));
    }
    return pending;
  }

  async #loadOrCreate(tenantId: string): Promise<{ keyId: string; key: Buffer }> {
    const existing = await this.keys.findActive(tenantId);
    if (existing) return { keyId: existing.keyId, key: await this.#unwrap(existing) };
    const key = randomBytes(32);
    const keyId = randomUUID().replaceAll('-', '').slice(0, 16);
    const wrapped = await this.provider.wrap(key, wrapContext(tenantId, keyId));
    const inserted = await this.keys.insert({
      tenantId,
      keyId,
      wrappedKey: wrapped.wrapped,
      masterKeyId: wrapped.masterKeyId,
      createdAt: this.now().toISOString(),
    });
    if (!inserted) return this.#loadOrCreate(tenantId);
    this.#dataKeys.set(`${tenantId}/${keyId}`, key);
    return { keyId, key };
  }

  async #keyById(tenantId: string, keyId: string): Promise<Buffer> {
    const cached = this.#dataKeys.get(`${tenantId}/${keyId}`);
    if (cached) return cached;
    const record = await this.keys.find(tenantId, keyId);
    if (!record) throw new KeyError('no_data_key', `tenant has no data key ${keyId}`);
    return this.#unwrap(record);
  }

  async #unwrap(record: TenantKeyRecord): Promise<Buffer> {
    const key = await this.provider.unwrap(
      { masterKeyId: record.masterKeyId, wrapped: record.wrappedKey },
      wrapContext(record.tenantId, record.keyId),
    );
    this.#dataKeys.set(`${record.tenantId}/${record.keyId}`, key);
    return key;
  }
}

/** The wrapped data key is bound to its tenant and id, so a key row moved to another tenant fails. */
export function wrapContext(tenantId: string, keyId: string): string {
  return `roomlink-data-key\u001f${tenantId}\u001f${keyId}`;
}

function associatedData(c: CipherContext): Buffer {
  return Buffer.from([VERSION, c.tenantId, c.table, c.column, c.rowId].join('\u001f'), 'utf8');
}
