/**
 * The emulator's control API over time: signing key rotation, Conditional Access claims challenges,
 * client capabilities (xms_cc), and access tokens minted for the Graph emulator's tests.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTOSO_TENANT_ID,
  DEMO_USERS,
  FABRIKAM_TENANT_ID,
  type RunningIdentityEmulator,
  startIdentityEmulator,
  type TestUser,
} from '../src/identity/index.js';

const CLIENT_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const SECRET = 'lifecycle-secret';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const SCOPE = 'openid profile offline_access https://graph.microsoft.com/Calendars.Read';
const MFA_CLAIMS = JSON.stringify({
  access_token: { capolids: { essential: true, values: ['1a2b3c4d-0000-4000-8000-000000000001'] } },
});

const byUpn = (upn: string): TestUser => DEMO_USERS.find((u) => u.upn === upn) as TestUser;
const adele = byUpn('adele@contoso.example');
const alex = byUpn('alex@contoso.example');
const isaiah = byUpn('isaiah@fabrikam.example');

let run: RunningIdentityEmulator;

beforeAll(async () => {
  run = await startIdentityEmulator({
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], secret: SECRET }],
  });
});
afterAll(async () => {
  await run?.close();
});

const discover = (tenant: string) =>
  oidc.discovery(new URL(`${run.baseUrl}/${tenant}/v2.0`), CLIENT_ID, {}, oidc.ClientSecretPost(SECRET), {
    execute: [oidc.allowInsecureRequests],
  });

/** Starts an authorize request; the answer is a redirect (code or error) or the picker page. */
async function authorize(config: oidc.Configuration, who: TestUser, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: 'st',
    nonce: 'nn',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    login_hint: who.upn,
    ...extra,
  });
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return { callback: new URL(response.headers.get('location') as string), verifier };
}

async function signIn(config: oidc.Configuration, who: TestUser, extra: Record<string, string> = {}) {
  const { callback, verifier } = await authorize(config, who, extra);
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
    expectedNonce: 'nn',
  });
}

async function refreshError(config: oidc.Configuration, refreshToken: string, claims?: string) {
  const error = await oidc
    .refreshTokenGrant(config, refreshToken, claims ? { claims } : {})
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(oidc.ResponseBodyError);
  return error as oidc.ResponseBodyError;
}

async function publishedKeys() {
  return (await (await fetch(`${run.baseUrl}/common/discovery/v2.0/keys`)).json()) as {
    keys: { kid: string }[];
  };
}

describe('signing key rotation', () => {
  it('publishes the new kid and keeps old tokens valid until dropRetiredKeys()', async () => {
    const config = await discover(CONTOSO_TENANT_ID);
    const before = await signIn(config, adele);
    const oldKid = decodeProtectedHeader(before.id_token as string).kid;

    await run.emulator.rotateSigningKey();
    const rotated = await publishedKeys();
    const newKid = rotated.keys[0]?.kid;
    expect(newKid).not.toBe(oldKid);
    expect(rotated.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);

    const after = await signIn(await discover(CONTOSO_TENANT_ID), adele);
    expect(decodeProtectedHeader(after.id_token as string).kid).toBe(newKid);
    expect(decodeProtectedHeader(after.access_token).kid).toBe(newKid);
    const jwks = createLocalJWKSet(rotated as never);
    for (const token of [before.id_token, before.access_token, after.id_token, after.access_token]) {
      await expect(jwtVerify(token as string, jwks)).resolves.toBeTruthy();
    }

    run.emulator.dropRetiredKeys();
    const dropped = await publishedKeys();
    expect(dropped.keys.map((k) => k.kid)).toEqual([newKid]);
    const current = createLocalJWKSet(dropped as never);
    await expect(jwtVerify(before.id_token as string, current)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    await expect(jwtVerify(after.id_token as string, current)).resolves.toBeTruthy();
  });

  it('publishes a staged key before signing with it, so a client’s cached JWKS already has it', async () => {
    await run.emulator.stageSigningKey();
    const staged = await publishedKeys();
    expect(staged.keys).toHaveLength(2);
    const stagedKid = staged.keys[1]?.kid;

    const config = await discover(FABRIKAM_TENANT_ID);
    await signIn(config, isaiah); // openid-client fetches and caches the JWKS here
    await run.emulator.rotateSigningKey();
    const tokens = await signIn(config, isaiah); // validated against the cached JWKS
    expect(decodeProtectedHeader(tokens.id_token as string).kid).toBe(stagedKid);
    expect(tokens.claims()?.oid).toBe(isaiah.oid);
  });
});

describe('claims challenges (Conditional Access / CAE)', () => {
  it('fails refresh with interaction_required until an interactive sign-in carries the claims', async () => {
    const config = await discover(CONTOSO_TENANT_ID);
    const original = await signIn(config, alex);
    run.emulator.requireClaims(alex.oid, MFA_CLAIMS);

    const refused = await refreshError(config, original.refresh_token as string);
    expect(refused.error).toBe('interaction_required');
    expect(refused.status).toBe(400);
    expect(refused.cause).toMatchObject({
      error_codes: [50076],
      suberror: 'basic_action',
      claims: MFA_CLAIMS,
    });
    // Passing the claims to the refresh does not help: the user must interact.
    expect((await refreshError(config, original.refresh_token as string, MFA_CLAIMS)).error).toBe(
      'interaction_required',
    );

    const silent = await authorize(config, alex, { prompt: 'none' });
    expect(silent.callback.searchParams.get('error')).toBe('interaction_required');

    const withoutClaims = await signIn(config, alex);
    expect((await refreshError(config, withoutClaims.refresh_token as string)).error).toBe(
      'interaction_required',
    );

    const compliant = await signIn(config, alex, { claims: MFA_CLAIMS });
    const refreshed = await oidc.refreshTokenGrant(config, compliant.refresh_token as string);
    expect(refreshed.claims()?.oid).toBe(alex.oid);
    // Grants from before the compliant sign-in still lack the claims.
    expect((await refreshError(config, original.refresh_token as string)).error).toBe('interaction_required');
  });

  it('echoes the cp1 client capability in xms_cc, through refreshes too', async () => {
    const config = await discover(CONTOSO_TENANT_ID);
    const claims = JSON.stringify({ access_token: { xms_cc: { values: ['CP1', 'unknown'] } } });
    const tokens = await signIn(config, adele, { claims });
    const jwks = createLocalJWKSet((await run.emulator.jwks()) as never);
    expect((await jwtVerify(tokens.access_token, jwks)).payload.xms_cc).toEqual(['cp1']);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect((await jwtVerify(refreshed.access_token, jwks)).payload.xms_cc).toEqual(['cp1']);

    const plain = await signIn(config, adele);
    expect((await jwtVerify(plain.access_token, jwks)).payload).not.toHaveProperty('xms_cc');
  });
});

describe('issueAccessToken', () => {
  it('mints the Graph access token contract without a sign-in', async () => {
    const token = await run.emulator.issueAccessToken(adele, ['Calendars.Read'], CLIENT_ID, {
      capabilities: ['cp1'],
    });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet((await run.emulator.jwks()) as never),
      {
        audience: 'https://graph.microsoft.com',
        issuer: run.emulator.issuer(CONTOSO_TENANT_ID),
        algorithms: ['RS256'],
      },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `${run.baseUrl}/${CONTOSO_TENANT_ID}/v2.0`,
      tid: CONTOSO_TENANT_ID,
      oid: adele.oid,
      scp: 'Calendars.Read',
      appid: CLIENT_ID,
      ver: '2.0',
      xms_cc: ['cp1'],
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
  });

  it('accepts full scope URIs and keeps only the permission names in scp', async () => {
    const token = await run.emulator.issueAccessToken(
      isaiah,
      ['https://graph.microsoft.com/Calendars.Read', 'https://graph.microsoft.com/User.Read'],
      CLIENT_ID,
    );
    const { payload } = await jwtVerify(token, createLocalJWKSet((await run.emulator.jwks()) as never));
    expect(payload.scp).toBe('Calendars.Read User.Read');
    expect(payload.tid).toBe(FABRIKAM_TENANT_ID);
  });
});
