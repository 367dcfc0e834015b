/**
 * The emulator's token signing keys: one JWKS for every tenant, as Microsoft publishes it. Keys are
 * RSA 2048 / RS256. Microsoft's kid equals its certificate's SHA-1 thumbprint (x5t); without a
 * certificate the emulator uses the SHA-1 thumbprint of the public key (SPKI) for both.
 */
import { createHash, createPublicKey, type webcrypto } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: webcrypto.CryptoKey;
  readonly jwk: Record<string, unknown>;
}

async function newKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const spki = createPublicKey(await exportSPKI(publicKey)).export({ type: 'spki', format: 'der' });
  const kid = createHash('sha1').update(spki).digest('base64url');
  const { kty, n, e } = await exportJWK(publicKey);
  return { kid, privateKey, jwk: { kty, use: 'sig', kid, x5t: kid, n, e } };
}

export class SigningKeys {
  private current: SigningKey;
  /** Published ahead of use, as Microsoft publishes a key before it signs with it. */
  private next: SigningKey | undefined;
  private retired: SigningKey[] = [];

  private constructor(first: SigningKey) {
    this.current = first;
  }

  static async create(): Promise<SigningKeys> {
    return new SigningKeys(await newKey());
  }

  /** Publishes the key the next rotate() will sign with. */
  async stage(): Promise<void> {
    this.next ??= await newKey();
  }

  /** Signs with a new key (the staged one, if any); the previous key stays published, retired. */
  async rotate(): Promise<void> {
    const next = this.next ?? (await newKey());
    this.next = undefined;
    this.retired.unshift(this.current);
    this.current = next;
  }

  dropRetired(): void {
    this.retired = [];
  }

  /** The published keys: current, staged, retired; `issuer` as Microsoft adds it to each v2.0 key. */
  jwks(issuer: string): { keys: Record<string, unknown>[] } {
    const published = [this.current, ...(this.next ? [this.next] : []), ...this.retired];
    return { keys: published.map((k) => ({ ...k.jwk, issuer })) };
  }

  async sign(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: this.current.kid })
      .sign(this.current.privateKey);
  }
}
