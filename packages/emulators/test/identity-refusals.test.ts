/**
 * What the identity platform emulator refuses, one named test each, with the AADSTS code and the
 * error body Microsoft sends. Token requests are raw form posts so each refusal is seen as sent.
 */
import { createHash, randomBytes } from 'node:crypto';
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

const CLIENT_ID = '0e6a1f2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER_CLIENT_ID = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
const SECRET = 'right-secret';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const SCOPE = 'openid profile offline_access https://graph.microsoft.com/Calendars.Read';

const byUpn = (upn: string): TestUser => DEMO_USERS.find((u) => u.upn === upn) as TestUser;
const adele = byUpn('adele@contoso.example');
const alex = byUpn('alex@contoso.example');
const isaiah = byUpn('isaiah@fabrikam.example');

let run: RunningIdentityEmulator;
/** Shifts the emulator's clock; tests that move it put it back. */
let clockOffsetMs = 0;

beforeAll(async () => {
  run = await startIdentityEmulator({
    now: () => new Date(Date.now() + clockOffsetMs),
    clients: [
      { clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], secret: SECRET },
      { clientId: OTHER_CLIENT_ID, redirectUris: [REDIRECT_URI], secret: 'other-secret' },
    ],
  });
});
afterAll(async () => {
  await run?.close();
});

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function authorizeUrl(tenant: string, params: Record<string, string>): URL {
  const url = new URL(`${run.baseUrl}/${tenant}/oauth2/v2.0/authorize`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

/** An authorization code for `who` by login_hint, with the verifier that redeems it. */
async function code(
  who: TestUser,
  options: { tenant?: string; clientId?: string; claims?: string } = {},
): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const response = await fetch(
    authorizeUrl(options.tenant ?? 'organizations', {
      client_id: options.clientId ?? CLIENT_ID,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      state: 'state-1',
      nonce: 'nonce-1',
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
      login_hint: who.upn,
      ...(options.claims ? { claims: options.claims } : {}),
    }),
    { redirect: 'manual' },
  );
  expect(response.status).toBe(302);
  const value = new URL(response.headers.get('location') as string).searchParams.get('code');
  if (!value) throw new Error(`no code in ${response.headers.get('location')}`);
  return { code: value, verifier };
}

async function tokenRequest(
  form: Record<string, string>,
  options: { tenant?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${run.baseUrl}/${options.tenant ?? 'organizations'}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const redeem = (c: { code: string; verifier: string }, extra: Record<string, string> = {}, tenant?: string) =>
  tokenRequest(
    {
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: SECRET,
      code: c.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: c.verifier,
      ...extra,
    },
    tenant ? { tenant } : {},
  );

const refresh = (refreshToken: string, tenant?: string) =>
  tokenRequest(
    {
      grant_type: 'refresh_token',
      client_id: CLIENT_ID,
      client_secret: SECRET,
      refresh_token: refreshToken,
      scope: SCOPE,
    },
    tenant ? { tenant } : {},
  );

function expectAadsts(
  result: { status: number; body: Record<string, unknown> },
  status: number,
  error: string,
  code: number,
) {
  expect(result.status).toBe(status);
  expect(result.body.error).toBe(error);
  expect(result.body.error_codes).toEqual([code]);
  expect(result.body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
}

describe('the token endpoint error body', () => {
  it('has Microsoft’s members and echoes client-request-id as the correlation id', async () => {
    const correlation = '8478d534-5b2c-4325-8c2c-51395c342c89';
    const result = await tokenRequest(
      {
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        client_secret: SECRET,
        code: 'nonsense',
        redirect_uri: REDIRECT_URI,
      },
      { headers: { 'client-request-id': correlation } },
    );
    expectAadsts(result, 400, 'invalid_grant', 9002313);
    expect(result.body).toMatchObject({ correlation_id: correlation });
    expect(result.body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(result.body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.body.error_description).toContain(`Correlation ID: ${correlation}`);
  });
});

describe('authorization codes', () => {
  it('refuses a replayed code (AADSTS54005)', async () => {
    const c = await code(adele);
    expect((await redeem(c)).status).toBe(200);
    expectAadsts(await redeem(c), 400, 'invalid_grant', 54005);
  });

  it('refuses a wrong PKCE verifier (AADSTS501481)', async () => {
    const c = await code(adele);
    expectAadsts(
      await redeem({ ...c, verifier: randomBytes(32).toString('base64url') }),
      400,
      'invalid_grant',
      501481,
    );
  });

  it('refuses a missing PKCE verifier (AADSTS501481)', async () => {
    const c = await code(adele);
    const { code_verifier: _omitted, ...withoutVerifier } = {
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: SECRET,
      code: c.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: c.verifier,
    };
    expectAadsts(await tokenRequest(withoutVerifier), 400, 'invalid_grant', 501481);
  });

  it('refuses a redirect_uri other than the authorize request’s (AADSTS500112)', async () => {
    const c = await code(adele);
    expectAadsts(await redeem(c, { redirect_uri: 'http://127.0.0.1:9/other' }), 400, 'invalid_grant', 500112);
  });

  it('refuses a code issued to another client (AADSTS70000)', async () => {
    const c = await code(adele, { clientId: OTHER_CLIENT_ID });
    expectAadsts(await redeem(c), 400, 'invalid_grant', 70000);
  });

  it('refuses a code redeemed at another tenant (AADSTS700005)', async () => {
    const c = await code(adele, { tenant: CONTOSO_TENANT_ID });
    expectAadsts(await redeem(c, {}, FABRIKAM_TENANT_ID), 400, 'invalid_grant', 700005);
  });

  it('refuses a code after its 10 minutes (AADSTS70008)', async () => {
    const c = await code(adele);
    clockOffsetMs = 11 * 60 * 1000;
    try {
      expectAadsts(await redeem(c), 400, 'invalid_grant', 70008);
    } finally {
      clockOffsetMs = 0;
    }
  });
});

describe('the authorize endpoint', () => {
  const valid = () => ({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: 's',
    code_challenge: s256(randomBytes(32).toString('base64url')),
    code_challenge_method: 'S256',
    login_hint: adele.upn,
  });

  it('shows an error page for an unregistered redirect URI and never redirects (AADSTS50011)', async () => {
    for (const redirect of [
      'http://127.0.0.1:9/auth/callback/',
      'http://127.0.0.1:9/evil',
      'https://attacker.example/cb',
    ]) {
      const response = await fetch(authorizeUrl('organizations', { ...valid(), redirect_uri: redirect }), {
        redirect: 'manual',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('AADSTS50011');
    }
  });

  it('shows an error page for an unknown client (AADSTS700016)', async () => {
    const response = await fetch(
      authorizeUrl('organizations', { ...valid(), client_id: '11111111-2222-4333-8444-555555555555' }),
      { redirect: 'manual' },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('AADSTS700016');
  });

  it('sends invalid_request back to the app when PKCE is missing', async () => {
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = valid();
    const response = await fetch(authorizeUrl('organizations', withoutPkce), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const answer = new URL(response.headers.get('location') as string);
    expect(answer.searchParams.get('error')).toBe('invalid_request');
    expect(answer.searchParams.get('state')).toBe('s');
    expect(answer.searchParams.get('code')).toBeNull();
  });

  it('sends login_required back for prompt=none without a known user', async () => {
    const { login_hint: _h, ...withoutHint } = valid();
    const response = await fetch(authorizeUrl('organizations', { ...withoutHint, prompt: 'none' }), {
      redirect: 'manual',
    });
    const answer = new URL(response.headers.get('location') as string);
    expect(answer.searchParams.get('error')).toBe('login_required');
    expect(answer.searchParams.get('error_description')).toMatch(/^AADSTS50058: /);
  });
});

describe('client authentication', () => {
  it('refuses a wrong client secret with 401 invalid_client (AADSTS7000215)', async () => {
    const c = await code(adele);
    expectAadsts(await redeem(c, { client_secret: 'wrong-secret' }), 401, 'invalid_client', 7000215);
  });

  it('refuses a request without credentials (AADSTS7000218)', async () => {
    const c = await code(adele);
    const result = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code: c.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: c.verifier,
    });
    expectAadsts(result, 401, 'invalid_client', 7000218);
  });

  it('accepts client_secret_basic through openid-client', async () => {
    const config = await oidc.discovery(
      new URL(`${run.baseUrl}/${FABRIKAM_TENANT_ID}/v2.0`),
      CLIENT_ID,
      {},
      oidc.ClientSecretBasic(SECRET),
      { execute: [oidc.allowInsecureRequests] },
    );
    const c = await code(isaiah, { tenant: FABRIKAM_TENANT_ID });
    const callback = new URL(`${REDIRECT_URI}?code=${c.code}&state=state-1`);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: c.verifier,
      expectedState: 'state-1',
      expectedNonce: 'nonce-1',
    });
    expect(tokens.claims()?.oid).toBe(isaiah.oid);
  });
});

describe('refresh tokens', () => {
  it('refuses a revoked refresh token (AADSTS50173) and accepts a new sign-in’s', async () => {
    const before = await redeem(await code(alex));
    const rotated = await refresh(before.body.refresh_token as string);
    expect(rotated.status).toBe(200);

    run.emulator.revokeRefreshTokens(alex.oid);
    expectAadsts(await refresh(before.body.refresh_token as string), 400, 'invalid_grant', 50173);
    expectAadsts(await refresh(rotated.body.refresh_token as string), 400, 'invalid_grant', 50173);

    const after = await redeem(await code(alex));
    expect((await refresh(after.body.refresh_token as string)).status).toBe(200);
  });

  it('refuses a refresh token unused for 90 days (AADSTS700082)', async () => {
    const tokens = await redeem(await code(adele));
    clockOffsetMs = 91 * 24 * 60 * 60 * 1000;
    try {
      expectAadsts(await refresh(tokens.body.refresh_token as string), 400, 'invalid_grant', 700082);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('refuses a refresh token presented by another client (AADSTS70000)', async () => {
    const tokens = await redeem(await code(adele));
    const result = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: OTHER_CLIENT_ID,
      client_secret: 'other-secret',
      refresh_token: tokens.body.refresh_token as string,
    });
    expectAadsts(result, 400, 'invalid_grant', 70000);
  });

  it('refuses a wider scope than was granted (AADSTS65001)', async () => {
    const tokens = await redeem(await code(adele));
    const result = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: CLIENT_ID,
      client_secret: SECRET,
      refresh_token: tokens.body.refresh_token as string,
      scope: `${SCOPE} https://graph.microsoft.com/Mail.Send`,
    });
    expectAadsts(result, 400, 'invalid_grant', 65001);
  });
});
