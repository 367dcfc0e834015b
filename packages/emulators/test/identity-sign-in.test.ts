/**
 * The identity platform emulator driven by openid-client v6 (confidential client, code + PKCE), the
 * way Roomlink uses it: discovery, sign-in of users of two tenants, ID and access token contents,
 * the account picker, form_post, refresh rotation, admin consent and sign-out.
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTOSO_TENANT_ID,
  DEMO_USERS,
  FABRIKAM_TENANT_ID,
  GLOBAL_ADMINISTRATOR_ROLE_ID,
  type RunningIdentityEmulator,
  registerIdentityEmulator,
  startIdentityEmulator,
  type TestUser,
} from '../src/identity/index.js';

const CLIENT_ID = '5f1c6a2e-1d3b-4c8e-9f70-0a1b2c3d4e5f';
const SECRET = 'demo~secret.value_1';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const CONSENT_REDIRECT_URI = 'http://127.0.0.1:9/auth/admin-consent/done';
const SCOPE = 'openid profile offline_access https://graph.microsoft.com/Calendars.Read';
const ENTRA_ORIGIN = 'https://login.microsoftonline.com';

const user = (upn: string): TestUser => {
  const found = DEMO_USERS.find((u) => u.upn === upn);
  if (!found) throw new Error(`no demo user ${upn}`);
  return found;
};
const megan = user('megan@contoso.example'); // Contoso admin
const adele = user('adele@contoso.example');
const diego = user('diego@fabrikam.example'); // Fabrikam admin
const isaiah = user('isaiah@fabrikam.example');

let run: RunningIdentityEmulator;

beforeAll(async () => {
  run = await startIdentityEmulator({
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI, CONSENT_REDIRECT_URI], secret: SECRET }],
  });
});
afterAll(async () => {
  await run?.close();
});

async function discover(tenant: string): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(`${run.baseUrl}/${tenant}/v2.0`),
    CLIENT_ID,
    { redirect_uris: [REDIRECT_URI], response_types: ['code'] },
    oidc.ClientSecretPost(SECRET),
    { execute: [oidc.allowInsecureRequests] },
  );
}

/** Roomlink's way for a multi-tenant authority: discovery named by Entra's origin, HTTP routed to the emulator. */
async function discoverLikeRoomlink(tenant: 'organizations' | 'common'): Promise<oidc.Configuration> {
  const emulator = new URL(run.baseUrl);
  const routed: oidc.CustomFetch = (url, init) =>
    fetch(url.replace(`${ENTRA_ORIGIN}${emulator.pathname}`, run.baseUrl), init as RequestInit);
  return oidc.discovery(
    new URL(`${ENTRA_ORIGIN}${emulator.pathname}/${tenant}/v2.0`),
    CLIENT_ID,
    { redirect_uris: [REDIRECT_URI], response_types: ['code'] },
    oidc.ClientSecretPost(SECRET),
    { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: routed },
  );
}

interface Started {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

async function startSignIn(config: oidc.Configuration, extra: Record<string, string> = {}): Promise<Started> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** Signs `who` in through login_hint and redeems the code; openid-client validates everything. */
async function signIn(config: oidc.Configuration, who: TestUser) {
  const started = await startSignIn(config, { login_hint: who.upn });
  const response = await fetch(started.url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const callback = new URL(response.headers.get('location') as string);
  expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
  return oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
}

/** What these tests read of JSON answers. */
type Json = Record<string, unknown> & {
  issuer?: string;
  authorization_endpoint?: string;
  jwks_uri?: string;
  response_types_supported?: string[];
  response_modes_supported?: string[];
  error?: string;
  error_codes?: number[];
  error_description?: string;
  keys?: { kid: string; x5t: string }[];
};
const getJson = async (url: string): Promise<Json> => (await fetch(url)).json() as Promise<Json>;

describe('discovery', () => {
  it('publishes a tenant’s own issuer and endpoints under its segment', async () => {
    const metadata = await getJson(
      `${run.baseUrl}/${CONTOSO_TENANT_ID}/v2.0/.well-known/openid-configuration`,
    );
    expect(metadata).toMatchObject({
      issuer: `${run.baseUrl}/${CONTOSO_TENANT_ID}/v2.0`,
      authorization_endpoint: `${run.baseUrl}/${CONTOSO_TENANT_ID}/oauth2/v2.0/authorize`,
      token_endpoint: `${run.baseUrl}/${CONTOSO_TENANT_ID}/oauth2/v2.0/token`,
      jwks_uri: `${run.baseUrl}/${CONTOSO_TENANT_ID}/discovery/v2.0/keys`,
      end_session_endpoint: `${run.baseUrl}/${CONTOSO_TENANT_ID}/oauth2/v2.0/logout`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      subject_types_supported: ['pairwise'],
    });
    expect(metadata.response_types_supported).toContain('code');
    expect(metadata.response_modes_supported).toEqual(expect.arrayContaining(['query', 'form_post']));
  });

  it('publishes the literal {tenantid} issuer template for common and organizations', async () => {
    for (const segment of ['common', 'organizations']) {
      const metadata = await getJson(`${run.baseUrl}/${segment}/v2.0/.well-known/openid-configuration`);
      expect(metadata.issuer).toBe(`${run.baseUrl}/{tenantid}/v2.0`);
      expect(metadata.authorization_endpoint).toBe(`${run.baseUrl}/${segment}/oauth2/v2.0/authorize`);
      expect(metadata.jwks_uri).toBe(`${run.baseUrl}/${segment}/discovery/v2.0/keys`);
    }
  });

  it('answers an unknown tenant with AADSTS90002', async () => {
    const response = await fetch(
      `${run.baseUrl}/00000000-1111-2222-3333-444444444444/v2.0/.well-known/openid-configuration`,
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as Json;
    expect(body.error).toBe('invalid_tenant');
    expect(body.error_codes).toEqual([90002]);
    expect(body.error_description).toMatch(/^AADSTS90002: /);
    expect(body).toHaveProperty('trace_id');
    expect(body).toHaveProperty('correlation_id');
  });

  it('serves one RS256 JWKS with kid and x5t for every tenant segment', async () => {
    const tenant = (await getJson(`${run.baseUrl}/${FABRIKAM_TENANT_ID}/discovery/v2.0/keys`)).keys ?? [];
    const common = (await getJson(`${run.baseUrl}/common/discovery/v2.0/keys`)).keys ?? [];
    expect(tenant.length).toBeGreaterThan(0);
    for (const key of tenant) {
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', e: 'AQAB' });
      expect(key.x5t).toBe(key.kid);
    }
    expect(common.map((k) => k.kid)).toEqual(tenant.map((k) => k.kid));
  });
});

describe('sign-in with client_secret_post', () => {
  it('signs in users of two tenants; ID tokens verify against the JWKS', async () => {
    for (const who of [adele, isaiah]) {
      const config = await discover(who.tenantId);
      const tokens = await signIn(config, who);
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
        issuer: `${run.baseUrl}/${who.tenantId}/v2.0`,
        audience: CLIENT_ID,
        algorithms: ['RS256'],
      });
      expect(protectedHeader.kid).toBeTruthy();
      expect(payload).toMatchObject({
        tid: who.tenantId,
        oid: who.oid,
        name: who.name,
        preferred_username: who.upn,
        ver: '2.0',
      });
      expect(payload.sub).not.toBe(who.oid); // pairwise, not the object id
      expect(typeof payload.exp).toBe('number');
      expect(typeof payload.nbf).toBe('number');
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      expect(tokens.refresh_token).toBeTruthy();
      expect(tokens.expires_in).toBe(3600);
    }
  });

  it('issues Graph access tokens with the contract the Graph emulator relies on', async () => {
    const config = await discover(CONTOSO_TENANT_ID);
    const tokens = await signIn(config, adele);
    const jwks = createRemoteJWKSet(new URL(`${run.baseUrl}/common/discovery/v2.0/keys`));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      audience: 'https://graph.microsoft.com',
      issuer: `${run.baseUrl}/${CONTOSO_TENANT_ID}/v2.0`,
      algorithms: ['RS256'],
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      aud: 'https://graph.microsoft.com',
      tid: CONTOSO_TENANT_ID,
      oid: adele.oid,
      scp: 'Calendars.Read',
      appid: CLIENT_ID,
      ver: '2.0',
    });
    for (const claim of ['iat', 'nbf', 'exp']) expect(typeof payload[claim]).toBe('number');
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  it('signs users of both tenants in through organizations, as Roomlink discovers it', async () => {
    const config = await discoverLikeRoomlink('organizations');
    for (const who of [megan, isaiah]) {
      const tokens = await signIn(config, who);
      const claims = tokens.claims();
      expect(claims?.iss).toBe(`${run.baseUrl}/${who.tenantId}/v2.0`);
      expect(claims?.tid).toBe(who.tenantId);
    }
  });

  it('puts the Global Administrator role in wids for admins only', async () => {
    const config = await discoverLikeRoomlink('common');
    for (const who of [megan, adele, diego, isaiah]) {
      const wids = (await signIn(config, who)).claims()?.wids as string[];
      expect(wids.includes(GLOBAL_ADMINISTRATOR_ROLE_ID)).toBe(who.admin === true);
    }
  });

  it('rotates the refresh token on every refresh', async () => {
    const config = await discover(FABRIKAM_TENANT_ID);
    const first = await signIn(config, isaiah);
    const second = await oidc.refreshTokenGrant(config, first.refresh_token as string, { scope: SCOPE });
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(second.access_token)).toMatchObject({ oid: isaiah.oid, scp: 'Calendars.Read' });
    const third = await oidc.refreshTokenGrant(config, second.refresh_token as string);
    expect(third.refresh_token).not.toBe(second.refresh_token);
    expect(third.claims()?.oid).toBe(isaiah.oid);
  });
});

describe('the account picker', () => {
  it('lists the test users of every tenant, grouped, one labelled button each', async () => {
    const started = await startSignIn(await discoverLikeRoomlink('organizations'));
    const response = await fetch(started.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toMatch(/<h2 id="tenant-0">Contoso<\/h2>/);
    expect(page).toMatch(/<h2 id="tenant-1">Fabrikam<\/h2>/);
    for (const who of DEMO_USERS) {
      expect(page).toContain(`name="login_hint" value="${who.upn}"`);
      expect(page).toContain(`aria-label="Sign in as ${who.name} (${who.upn})`);
    }
  });

  it('signs the chosen account in when the page posts back', async () => {
    const config = await discoverLikeRoomlink('organizations');
    const started = await startSignIn(config);
    const page = await (await fetch(started.url)).text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1] as string;
    const form = new URLSearchParams();
    for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      form.set(name as string, value as string);
    }
    form.set('login_hint', diego.upn);
    const response = await fetch(action, { method: 'POST', body: form, redirect: 'manual' });
    expect(response.status).toBe(302);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(response.headers.get('location') as string),
      {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
      },
    );
    expect(tokens.claims()?.oid).toBe(diego.oid);
  });

  it('answers by form_post when asked', async () => {
    const started = await startSignIn(await discover(CONTOSO_TENANT_ID), {
      login_hint: adele.upn,
      response_mode: 'form_post',
    });
    const response = await fetch(started.url, { redirect: 'manual' });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`<form method="post" action="${REDIRECT_URI}">`);
    expect(page).toMatch(/<input type="hidden" name="code" value="[A-Za-z0-9_-]+">/);
    expect(page).toContain(`<input type="hidden" name="state" value="${started.state}">`);
  });

  it('refuses a user of another tenant at a tenant-specific authority (AADSTS50020), without redirecting', async () => {
    const started = await startSignIn(await discover(CONTOSO_TENANT_ID), { login_hint: isaiah.upn });
    const response = await fetch(started.url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('AADSTS50020');
  });
});

describe('admin consent', () => {
  const consentUrl = (tenant: string, loginHint: string) => {
    const url = new URL(`${run.baseUrl}/${tenant}/v2.0/adminconsent`);
    url.searchParams.set('client_id', CLIENT_ID);
    url.searchParams.set('scope', 'https://graph.microsoft.com/Calendars.Read');
    url.searchParams.set('redirect_uri', CONSENT_REDIRECT_URI);
    url.searchParams.set('state', 'consent-state');
    url.searchParams.set('login_hint', loginHint);
    return url;
  };

  it('lets a tenant admin consent and reports the tenant, scope and state', async () => {
    const response = await fetch(consentUrl('organizations', diego.upn), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const answer = new URL(response.headers.get('location') as string);
    expect(Object.fromEntries(answer.searchParams)).toEqual({
      admin_consent: 'True',
      tenant: FABRIKAM_TENANT_ID,
      scope: 'https://graph.microsoft.com/Calendars.Read',
      state: 'consent-state',
    });
    expect(run.emulator.adminConsents()).toContainEqual(
      expect.objectContaining({ tenantId: FABRIKAM_TENANT_ID, clientId: CLIENT_ID }),
    );
  });

  it('answers access_denied to a user who is not an admin', async () => {
    const response = await fetch(consentUrl(CONTOSO_TENANT_ID, adele.upn), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const answer = new URL(response.headers.get('location') as string);
    expect(answer.searchParams.get('error')).toBe('access_denied');
    expect(answer.searchParams.get('state')).toBe('consent-state');
    expect(answer.searchParams.get('tenant')).toBeNull();
  });
});

describe('sign-out', () => {
  it('sends the browser back to a registered post_logout_redirect_uri only', async () => {
    const logout = new URL(`${run.baseUrl}/organizations/oauth2/v2.0/logout`);
    logout.searchParams.set('post_logout_redirect_uri', REDIRECT_URI);
    const registered = await fetch(logout, { redirect: 'manual' });
    expect(registered.status).toBe(302);
    expect(registered.headers.get('location')).toBe(REDIRECT_URI);

    logout.searchParams.set('post_logout_redirect_uri', 'https://attacker.example/');
    const unregistered = await fetch(logout, { redirect: 'manual' });
    expect(unregistered.status).toBe(200);
    expect(unregistered.headers.get('location')).toBeNull();
  });
});

describe('mounting in a host app', () => {
  it('serves under baseUrl’s path beside a host that parses forms itself', async () => {
    const app = Fastify();
    try {
      await app.register(formbody);
      const emulator = await registerIdentityEmulator(app, {
        baseUrl: 'http://roomlink.test/_emulator/login',
        clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], secret: SECRET }],
      });
      const metadata = await app.inject({
        url: '/_emulator/login/organizations/v2.0/.well-known/openid-configuration',
      });
      expect(metadata.json().token_endpoint).toBe(
        'http://roomlink.test/_emulator/login/organizations/oauth2/v2.0/token',
      );
      const token = await app.inject({
        method: 'POST',
        url: '/_emulator/login/organizations/oauth2/v2.0/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          client_secret: 'wrong',
        }).toString(),
      });
      expect(token.statusCode).toBe(401);
      expect(token.json().error_codes).toEqual([7000215]);
      expect(emulator.issuer(CONTOSO_TENANT_ID)).toBe(
        `http://roomlink.test/_emulator/login/${CONTOSO_TENANT_ID}/v2.0`,
      );
    } finally {
      await app.close();
    }
  });
});
