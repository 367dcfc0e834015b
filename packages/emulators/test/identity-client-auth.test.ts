/**
 * private_key_jwt with a certificate credential, as Microsoft checks it: the assertion names the
 * registered certificate by x5t (SHA-1) or x5t#S256, is signed by its key (RS256 or PS256),
 * has iss = sub = client_id, a jti, a lifetime, and aud = the one token endpoint it is sent to.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTOSO_TENANT_ID,
  certificateCredential,
  FABRIKAM_TENANT_ID,
  type RunningIdentityEmulator,
  startIdentityEmulator,
} from '../src/identity/index.js';

const CLIENT_ID = '3c2b1a09-8f7e-4d6c-9b5a-493827160504';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const SCOPE = 'openid profile offline_access https://graph.microsoft.com/Calendars.Read';

let run: RunningIdentityEmulator;
let certKey: CryptoKey;
/** The same private key, usable for PS256 too. */
let certKeyObject: KeyObject;
let otherKey: CryptoKey;
/** Thumbprints of the registered "certificate" (the emulator needs only its key and thumbprints). */
let x5t: string;
let x5tS256: string;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  certKey = pair.privateKey;
  certKeyObject = createPrivateKey(await exportPKCS8(pair.privateKey));
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const publicKeyPem = await exportSPKI(pair.publicKey);
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  x5t = createHash('sha1').update(der).digest('base64url');
  x5tS256 = createHash('sha256').update(der).digest('base64url');
  run = await startIdentityEmulator({
    clients: [
      { clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], certificate: { publicKeyPem, x5t, x5tS256 } },
    ],
  });
});
afterAll(async () => {
  await run?.close();
});

const tokenEndpoint = (tenant: string) => `${run.baseUrl}/${tenant}/oauth2/v2.0/token`;

async function assertion(
  options: {
    key?: CryptoKey | KeyObject;
    alg?: 'RS256' | 'PS256';
    header?: Record<string, string>;
    claims?: Record<string, unknown>;
  } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    aud: tokenEndpoint('organizations'),
    iss: CLIENT_ID,
    sub: CLIENT_ID,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 600,
    ...options.claims,
  })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', typ: 'JWT', ...(options.header ?? { x5t }) })
    .sign(options.key ?? certKey);
}

/** A token request whose grant is bogus: client authentication is checked first, so it decides. */
async function authenticateWith(clientAssertion: string) {
  const response = await fetch(tokenEndpoint('organizations'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
      code: 'not-a-code',
      redirect_uri: REDIRECT_URI,
      code_verifier: 'v'.repeat(43),
    }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { error: string; error_codes: number[] },
  };
}

async function discover(tenant: string, modify: oidc.ModifyAssertionFunction) {
  return oidc.discovery(
    new URL(`${run.baseUrl}/${tenant}/v2.0`),
    CLIENT_ID,
    {},
    oidc.PrivateKeyJwt(certKey, { [oidc.modifyAssertion]: modify }),
    { execute: [oidc.allowInsecureRequests] },
  );
}

async function signIn(config: oidc.Configuration, upn: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: 'st',
    nonce: 'nn',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    login_hint: upn,
  });
  const response = await fetch(url, { redirect: 'manual' });
  return oidc.authorizationCodeGrant(config, new URL(response.headers.get('location') as string), {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
    expectedNonce: 'nn',
  });
}

describe('private_key_jwt', () => {
  it('signs users of two tenants in with an assertion naming the certificate by x5t', async () => {
    for (const [tenant, upn] of [
      [CONTOSO_TENANT_ID, 'adele@contoso.example'],
      [FABRIKAM_TENANT_ID, 'isaiah@fabrikam.example'],
    ] as const) {
      const config = await discover(tenant, (header, payload) => {
        header.x5t = x5t;
        payload.aud = config.serverMetadata().token_endpoint;
      });
      const tokens = await signIn(config, upn);
      expect(tokens.claims()?.preferred_username).toBe(upn);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(refreshed.access_token).toBeTruthy();
    }
  });

  it('accepts PS256 with x5t#S256, as Microsoft’s current guidance writes it', async () => {
    const result = await authenticateWith(
      await assertion({ key: certKeyObject, alg: 'PS256', header: { 'x5t#S256': x5tS256 } }),
    );
    // Authentication passed: the bogus code is what is refused.
    expect(result.body.error).toBe('invalid_grant');
  });

  it('refuses openid-client’s default audience (the issuer) with AADSTS700023', async () => {
    const config = await discover(CONTOSO_TENANT_ID, (header) => {
      header.x5t = x5t;
    });
    const error = await signIn(config, 'adele@contoso.example').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(oidc.ResponseBodyError);
    const { status, cause } = error as oidc.ResponseBodyError;
    expect(status).toBe(401);
    expect(cause).toMatchObject({ error: 'invalid_client', error_codes: [700023] });
  });

  it('refuses an assertion signed by another key (AADSTS700027)', async () => {
    const result = await authenticateWith(await assertion({ key: otherKey }));
    expect(result).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'invalid_client', error_codes: [700027] }),
    });
  });

  it('refuses an assertion naming an unregistered certificate (AADSTS700027)', async () => {
    const result = await authenticateWith(
      await assertion({ header: { x5t: createHash('sha1').update('x').digest('base64url') } }),
    );
    expect(result).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'invalid_client', error_codes: [700027] }),
    });
  });

  it('refuses an expired assertion (AADSTS700024)', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const result = await authenticateWith(
      await assertion({ claims: { nbf: past - 600, iat: past - 600, exp: past } }),
    );
    expect(result).toEqual({
      status: 401,
      body: expect.objectContaining({ error: 'invalid_client', error_codes: [700024] }),
    });
  });

  it('refuses an assertion for another tenant’s token endpoint (AADSTS700023)', async () => {
    const result = await authenticateWith(
      await assertion({ claims: { aud: tokenEndpoint(CONTOSO_TENANT_ID) } }),
    );
    expect(result.body.error_codes).toEqual([700023]);
  });

  it('refuses two audiences (AADSTS5002741)', async () => {
    const both = [tokenEndpoint('organizations'), `${run.baseUrl}/{tenantid}/v2.0`];
    const result = await authenticateWith(await assertion({ claims: { aud: both } }));
    expect(result.body.error_codes).toEqual([5002741]);
  });

  it('refuses an issuer other than the client (AADSTS700021) and sub ≠ iss (AADSTS50048)', async () => {
    const other = '99999999-8888-4777-8666-555555555555';
    expect(
      (await authenticateWith(await assertion({ claims: { iss: other, sub: other } }))).body.error_codes,
    ).toEqual([700021]);
    expect((await authenticateWith(await assertion({ claims: { sub: other } }))).body.error_codes).toEqual([
      50048,
    ]);
  });

  it('refuses an assertion without a jti (AADSTS50027)', async () => {
    const result = await authenticateWith(await assertion({ claims: { jti: undefined } }));
    expect(result.body.error_codes).toEqual([50027]);
  });
});

describe('certificateCredential', () => {
  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!openssl)('derives the public key and both thumbprints from a PEM certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'identity-cert-'));
    try {
      const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          keyFile,
          '-out',
          certFile,
          '-days',
          '1',
          '-subj',
          '/CN=roomlink-test',
        ],
        { stdio: 'ignore' },
      );
      const pem = readFileSync(certFile, 'utf8');
      const credential = certificateCredential(pem);
      const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
      expect(credential.x5t).toBe(createHash('sha1').update(der).digest('base64url'));
      expect(credential.x5tS256).toBe(createHash('sha256').update(der).digest('base64url'));
      const keyPem = readFileSync(keyFile, 'utf8');
      expect(createPublicKey(keyPem).export({ type: 'spki', format: 'pem' })).toBe(credential.publicKeyPem);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
