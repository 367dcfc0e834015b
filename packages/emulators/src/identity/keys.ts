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
  private retired: SigningKey[] = [];

  private constructor(first: SigningKey) {
    this.current = first;
  }

  static async create(): Promise<SigningKeys> {
    return new SigningKeys(await newKey());
  }

  async rotate(): Promise<void> {
    const next = await newKey();
    this.retired.unshift(this.current);
    this.current = next;
  }

  dropRetired(): void {
    this.retired = [];
  }

  /** The published keys, current first; `issuer` as Microsoft adds it to each key of a v2.0 JWKS. */
  jwks(issuer: string): { keys: Record<string, unknown>[] } {
    return { keys: [this.current, ...this.retired].map((k) => ({ ...k.jwk, issuer })) };
  }

  currentKid(): string {
    return this.current.kid;
  }

  async sign(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: this.current.kid })
      .sign(this.current.privateKey);
  }
}
