/**
 * `roomlink doctor`'s check of the Microsoft client certificate credential (MS_CLIENT_CERT and
 * MS_CLIENT_KEY): the files are read the way sign-in reads them (identity/oidc-client.ts), which
 * otherwise happens only at the first sign-in. Problems name the variable, its path and what is
 * wrong; never anything read from the files, and never Node's own error messages.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClientCredential } from '../config/config.js';

/** Every problem with a certificate credential, one sentence each; none for a secret or demo mode. */
export async function clientCertificateProblems(
  credential: ClientCredential | undefined,
  now: Date,
): Promise<string[]> {
  if (credential?.kind !== 'certificate') return [];
  const problems: string[] = [];
  const certVar = `MS_CLIENT_CERT=${credential.certificateFile}`;
  const keyVar = `MS_CLIENT_KEY=${credential.privateKeyFile}`;

  let certificate: X509Certificate | undefined;
  const certPem = await readPem(certVar, credential.certificateFile, problems);
  if (certPem !== undefined) {
    try {
      certificate = new X509Certificate(certPem);
    } catch {
      problems.push(
        `${certVar} does not hold a PEM X.509 certificate${
          PRIVATE_KEY_PEM.test(certPem)
            ? ' (it holds a private key: are MS_CLIENT_CERT and MS_CLIENT_KEY swapped?)'
            : ''
        }`,
      );
    }
  }

  let key: KeyObject | undefined;
  const keyPem = await readPem(keyVar, credential.privateKeyFile, problems);
  if (keyPem !== undefined) {
    try {
      key = createPrivateKey(keyPem);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      problems.push(
        code === 'ERR_MISSING_PASSPHRASE' || ENCRYPTED_PEM.test(keyPem)
          ? `${keyVar} is encrypted: Roomlink reads an unencrypted PEM private key`
          : `${keyVar} does not hold a PEM private key${
              CERTIFICATE_PEM.test(keyPem) && !PRIVATE_KEY_PEM.test(keyPem)
                ? ' (it holds a certificate: are MS_CLIENT_CERT and MS_CLIENT_KEY swapped?)'
                : ''
            }`,
      );
    }
  }
  // Sign-in signs its client assertions with RS256 (RSASSA-PKCS1-v1_5), which only an RSA key can.
  if (key && key.asymmetricKeyType !== 'rsa') {
    problems.push(
      `${keyVar} holds a key of type ${key.asymmetricKeyType ?? 'unknown'}, not RSA: Roomlink signs its ` +
        'client assertions with RS256, which needs an RSA key and certificate',
    );
  }

  if (certificate) {
    const notBefore = new Date(certificate.validFrom);
    const notAfter = new Date(certificate.validTo);
    if (notAfter.getTime() <= now.getTime()) {
      problems.push(
        `${certVar} expired on ${notAfter.toISOString()}: Microsoft refuses sign-ins with it; create a ` +
          'new certificate and add it to the app registration',
      );
    } else if (notBefore.getTime() > now.getTime()) {
      problems.push(`${certVar} is not valid before ${notBefore.toISOString()}`);
    }
  }
  if (certificate && key && !certificate.checkPrivateKey(key)) {
    problems.push(`${keyVar} is not the private key of the certificate in ${certVar}`);
  }
  return problems;
}

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----/;
/** PKCS#8 (`ENCRYPTED PRIVATE KEY`) or OpenSSL's traditional format (`Proc-Type: 4,ENCRYPTED`). */
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: *4, *ENCRYPTED/m;

async function readPem(name: string, file: string, problems: string[]): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    problems.push(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `${name} does not exist`
        : code === 'EACCES' || code === 'EPERM'
          ? `${name} cannot be read: permission denied`
          : code === 'EISDIR'
            ? `${name} is a directory, not a PEM file`
            : `${name} cannot be read (${typeof code === 'string' ? code : 'unknown error'})`,
    );
    return undefined;
  }
}
