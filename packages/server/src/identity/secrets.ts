/** Random values and their digests for one-time codes, sessions and PKCE. */
import nodeCrypto, { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Every authenticated request digests its token: the one-shot form (Node ≥ 20.12) skips the Hash object.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string })
  .hash;

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Stored instead of the value: a leaked table yields no usable token. */
export function digest(value: string): string {
  return oneShot
    ? oneShot('sha256', value, 'base64url')
    : createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** RFC 7636 S256 code challenge. */
export function s256(verifier: string): string {
  return digest(verifier);
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
