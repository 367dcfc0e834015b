/** Turns an X.509 certificate (PEM) into the credential an app registration holds for it. */
import { createHash, X509Certificate } from 'node:crypto';
import type { RegisteredCertificate } from './types.js';

/** Public key and thumbprints (`x5t` SHA-1, `x5t#S256` SHA-256, base64url) of a PEM certificate. */
export function certificateCredential(certificatePem: string): RegisteredCertificate {
  const certificate = new X509Certificate(certificatePem);
  return {
    publicKeyPem: certificate.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
    x5tS256: createHash('sha256').update(certificate.raw).digest('base64url'),
  };
}
