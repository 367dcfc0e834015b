/**
 * A tenant admin disabling an app's enterprise application (service principal): Microsoft refuses the
 * app for that tenant's users with unauthorized_client AADSTS7000112, refresh tokens issued before
 * included; other tenants' users are not affected; enabling it again lets the grants through.
 */
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

const CLIENT_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';
const SECRET = 'service-principal-secret';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const SCOPE = 'openid profile offline_access https://graph.microsoft.com/Calendars.Read';

const byUpn = (upn: string): TestUser => DEMO_USERS.find((u) => u.upn === upn) as TestUser;
const adele = byUpn('adele@contoso.example');
const isaiah = byUpn('isaiah@fabrikam.example');

let run: RunningIdentityEmulator;
/** Each user signs in at their own tenant's endpoints. */
const configs = new Map<string, oidc.Configuration>();
const configOf = (who: TestUser) => configs.get(who.tenantId) as oidc.Configuration;

beforeAll(async () => {
  run = await startIdentityEmulator({
    clients: [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI], secret: SECRET }],
  });
  for (const tenant of [CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID]) {
    configs.set(
      tenant,
      await oidc.discovery(
        new URL(`${run.baseUrl}/${tenant}/v2.0`),
        CLIENT_ID,
        {},
        oidc.ClientSecretPost(SECRET),
        {
          execute: [oidc.allowInsecureRequests],
        },
      ),
    );
  }
});
afterAll(async () => {
  await run?.close();
});

async function authorize(who: TestUser) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(configOf(who), {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: 'st',
    nonce: 'nn',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    login_hint: who.upn,
  });
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return { callback: new URL(response.headers.get('location') as string), verifier };
}

async function signIn(who: TestUser) {
  const { callback, verifier } = await authorize(who);
  return oidc.authorizationCodeGrant(configOf(who), callback, {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
    expectedNonce: 'nn',
  });
}

describe('a service principal disabled by its tenant admin', () => {
  it('refuses refreshes of that tenant’s users with unauthorized_client AADSTS7000112 until enabled again', async () => {
    const contoso = await signIn(adele);
    const fabrikam = await signIn(isaiah);
    run.emulator.disableServicePrincipal(CONTOSO_TENANT_ID, CLIENT_ID);
    try {
      const error = await oidc
        .refreshTokenGrant(configOf(adele), contoso.refresh_token as string)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(oidc.ResponseBodyError);
      const refusal = error as oidc.ResponseBodyError;
      expect(refusal.status).toBe(400);
      expect(refusal.error).toBe('unauthorized_client');
      expect(refusal.cause.error_codes).toEqual([7000112]);
      expect(refusal.error_description).toMatch(
        new RegExp(`^AADSTS7000112: Application '${CLIENT_ID}' is disabled\\.`),
      );
      // Another tenant's users keep working.
      await expect(
        oidc.refreshTokenGrant(configOf(isaiah), fabrikam.refresh_token as string),
      ).resolves.toMatchObject({
        access_token: expect.any(String),
      });
      // A sign-in of the tenant's user is refused too, back at the app.
      const { callback } = await authorize(adele);
      expect(callback.searchParams.get('error')).toBe('unauthorized_client');
      expect(callback.searchParams.get('error_description')).toMatch(/^AADSTS7000112: /);
      expect(callback.searchParams.get('code')).toBeNull();
    } finally {
      run.emulator.enableServicePrincipal(CONTOSO_TENANT_ID, CLIENT_ID);
    }
    await expect(
      oidc.refreshTokenGrant(configOf(adele), contoso.refresh_token as string),
    ).resolves.toMatchObject({
      access_token: expect.any(String),
    });
  });

  it('refuses a code issued before it was disabled', async () => {
    const { callback, verifier } = await authorize(adele);
    run.emulator.disableServicePrincipal(CONTOSO_TENANT_ID, CLIENT_ID.toUpperCase());
    try {
      const error = await oidc
        .authorizationCodeGrant(configOf(adele), callback, {
          pkceCodeVerifier: verifier,
          expectedState: 'st',
          expectedNonce: 'nn',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(oidc.ResponseBodyError);
      expect((error as oidc.ResponseBodyError).error).toBe('unauthorized_client');
      expect((error as oidc.ResponseBodyError).cause.error_codes).toEqual([7000112]);
    } finally {
      run.emulator.enableServicePrincipal(CONTOSO_TENANT_ID, CLIENT_ID);
    }
  });
});
