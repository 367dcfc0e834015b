/**
 * A key provider holds the master keys that wrap tenants' data keys. Master keys never leave it:
 * a cloud KMS implementation would send the data key to the KMS to be wrapped or unwrapped.
 */
export interface WrappedKey {
  readonly masterKeyId: string;
  readonly wrapped: string;
}

export interface KeyProvider {
  readonly name: string;
  /** The master key new data keys are wrapped with. */
  currentMasterKeyId(): Promise<string>;
  wrap(dataKey: Buffer, context: string): Promise<WrappedKey>;
  unwrap(key: WrappedKey, context: string): Promise<Buffer>;
  /** Master keys this provider still holds; a wrapped key naming any other id cannot be opened. */
  masterKeyIds(): Promise<string[]>;
  /** Optional capability: mint a new master key and make it current (file provider). */
  createMasterKey?(): Promise<string>;
  /** Optional capability: forget a master key for good once nothing is wrapped with it. */
  retireMasterKey?(id: string): Promise<void>;
}

export class KeyError extends Error {
  constructor(
    readonly code:
      | 'unknown_master_key'
      | 'unwrap_failed'
      | 'decrypt_failed'
      | 'malformed_ciphertext'
      | 'no_data_key'
      /** The keyring (file provider) is missing, unreadable or not a valid keyring; its message names the file. */
      | 'keyring_unusable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KeyError';
  }
}
