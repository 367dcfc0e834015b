/**
 * A refresh token refused because the user's organisation no longer lets Roomlink act for them: its
 * admin disabled Roomlink's enterprise app (unauthorized_client, AADSTS7000112, as the identity
 * emulator answers once told) or deleted its service principal (AADSTS700016), or access was refused
 * (access_denied). Like invalid_grant, the user must sign in again and their tokens go, so that
 * retention can end them and sync stops asking. Not so for invalid_client: that is Roomlink's own
 * credential refused, for every user alike, and only the operator can fix it; nor for AADSTS700016
 * before Microsoft has accepted MS_CLIENT_ID in the process, which is what a mistyped one looks like.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_CLIENT_ID } from '../src/demo.js';
import { callbackUrl } from '../src/identity/index.js';
import { MicrosoftOidcClient } from '../src/identity/oidc-client.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { TokenService } from '../src/identity/tokens.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { type IdentityTestApp, startIdentityApp } from './support/identity.js';

/** The token endpoint's answer to the next refresh_token grant, as Entra sends it, when set. */
let refuseNextRefresh: { status: number; body: Record<string, unknown> } | undefined;

const stubbedFetch: typeof fetch = async (input, init) => {
  const refusal = refuseNextRefresh;
  const url = input instanceof Request ? input.url : input.toString();
  if (
    refusal &&
    url.endsWith('/oauth2/v2.0/token') &&
    String(init?.body).includes('grant_type=refresh_token')
  ) {
    refuseNextRefresh = undefined;
    return new Response(JSON.stringify(refusal.body), {
      status: refusal.status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  }
  return fetch(input, init);
};

/** Entra's error body (reference-error-codes): error, "AADSTSnnnn: …" description, error_codes… */
function entraError(error: string, code: number, description: string): Record<string, unknown> {
  const timestamp = `${new Date().toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: '0000aaaa-11bb-cccc-dd22-eeeeee333333',
    correlation_id: 'aaaa0000-bb11-2222-33cc-444444dddddd',
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`a refresh refused by the user's organisation on ${label}`, () => {
    let t: IdentityTestApp;
    beforeAll(async () => {
      t = await startIdentityApp(dialect, { fetch: stubbedFetch });
    });
    afterAll(async () => {
      refuseNextRefresh = undefined;
      await t?.close();
    });

    /** Signs `upn` in and makes their access token due, so that the next getAccessToken refreshes. */
    async function signedInWithDueToken(upn: string) {
      const { user } = await scriptedSignIn(t.url, upn);
      await t.runtime.store.db
        .updateTable('user_tokens')
        .set({ access_expires_at: new Date(0).toISOString() })
        .where('user_id', '=', user.id)
        .execute();
      return user;
    }

    const statusOf = async (userId: string) =>
      (
        await t.runtime.store.db
          .selectFrom('users')
          .select('status')
          .where('id', '=', userId)
          .executeTakeFirstOrThrow()
      ).status;
    const tokensOf = (userId: string) =>
      t.runtime.store.db
        .selectFrom('user_tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirst();

    it('an enterprise app disabled by the organisation (unauthorized_client, AADSTS7000112) means needs sign-in, and the tokens are deleted', async () => {
      const megan = await signedInWithDueToken('megan@contoso.example');
      const diego = await signedInWithDueToken('diego@fabrikam.example');
      const emulator = t.demo.emulator();
      emulator.disableServicePrincipal(megan.tenantId, DEMO_CLIENT_ID);
      try {
        await expect(t.identity.tokens.getAccessToken(megan.id)).rejects.toMatchObject({
          code: 'sign_in_required',
        });
        expect(await statusOf(megan.id)).toBe('needs_sign_in');
        expect(await tokensOf(megan.id)).toBeUndefined();
        // Another organisation's user is not concerned.
        await expect(t.identity.tokens.getAccessToken(diego.id)).resolves.toMatch(/\./);
        expect(await statusOf(diego.id)).toBe('active');
      } finally {
        emulator.enableServicePrincipal(megan.tenantId, DEMO_CLIENT_ID);
      }
    });

    it('a service principal deleted by the organisation (unauthorized_client, AADSTS700016) means needs sign-in, and the tokens are deleted', async () => {
      const adele = await signedInWithDueToken('adele@contoso.example');
      refuseNextRefresh = {
        status: 400,
        body: entraError(
          'unauthorized_client',
          700016,
          `Application with identifier '${DEMO_CLIENT_ID}' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        ),
      };
      await expect(t.identity.tokens.getAccessToken(adele.id)).rejects.toMatchObject({
        code: 'sign_in_required',
      });
      expect(refuseNextRefresh).toBeUndefined();
      expect(await statusOf(adele.id)).toBe('needs_sign_in');
      expect(await tokensOf(adele.id)).toBeUndefined();
    });

    it('a mistyped MS_CLIENT_ID (AADSTS700016 before Microsoft ever accepted it) leaves users active with their tokens, and tells the operator', async () => {
      const diego = await signedInWithDueToken('diego@fabrikam.example');
      const before = await tokensOf(diego.id);
      // Roomlink restarted with a client id no app registration has: the identity platform answers
      // every refresh unauthorized_client, AADSTS700016, as for a tenant that deleted the app.
      const mistyped = await MicrosoftOidcClient.discover({
        clientId: '00000000-0000-4000-8000-00000000dead',
        credential: { kind: 'secret', secret: 'a-secret' },
        authority: t.demo.identity.authority,
        redirectUri: callbackUrl(t.runtime.config.baseUrl),
      });
      const log = { error: vi.fn() };
      const restarted = new TokenService({
        tokens: t.runtime.store.tokens,
        users: t.runtime.store.users,
        cipher: t.runtime.cipher,
        oidc: async () => mistyped,
        log,
      });
      const refusal = await restarted.getAccessToken(diego.id).catch((e: unknown) => e);
      expect(refusal).toMatchObject({ name: 'OidcError', code: 'unauthorized_client' });
      expect(await statusOf(diego.id)).toBe('active');
      expect(await tokensOf(diego.id)).toEqual(before);
      expect(log.error).toHaveBeenCalledTimes(1);
      const [fields, message] = log.error.mock.calls[0] as [Record<string, unknown>, string];
      expect(fields).toMatchObject({ oauthError: 'unauthorized_client', aadsts: ['AADSTS700016'] });
      expect(message).toMatch(/check MS_CLIENT_ID/);
      // The client id corrected, the same tokens work: nobody had to sign in again.
      await expect(t.identity.tokens.getAccessToken(diego.id)).resolves.toMatch(/\./);
    });

    it('a refresh refused with access_denied means needs sign-in, and the tokens are deleted', async () => {
      const alex = await signedInWithDueToken('alex@contoso.example');
      refuseNextRefresh = {
        status: 400,
        body: entraError('access_denied', 65004, 'User declined to consent to access the app.'),
      };
      await expect(t.identity.tokens.getAccessToken(alex.id)).rejects.toMatchObject({
        code: 'sign_in_required',
      });
      expect(refuseNextRefresh).toBeUndefined();
      expect(await statusOf(alex.id)).toBe('needs_sign_in');
      expect(await tokensOf(alex.id)).toBeUndefined();
    });

    it('Roomlink’s own credential refused (invalid_client) leaves the user active with their tokens, and tells the operator at error level', async () => {
      const isaiah = await signedInWithDueToken('isaiah@fabrikam.example');
      const before = await tokensOf(isaiah.id);
      // Roomlink configured with a client secret the app registration does not hold (expired, or
      // mistyped): the identity platform answers 401 invalid_client, AADSTS7000215.
      const wrongSecret = 'not-the-registered-secret';
      const misconfigured = await MicrosoftOidcClient.discover({
        clientId: DEMO_CLIENT_ID,
        credential: { kind: 'secret', secret: wrongSecret },
        authority: t.demo.identity.authority,
        redirectUri: callbackUrl(t.runtime.config.baseUrl),
      });
      const log = { error: vi.fn() };
      const tokens = new TokenService({
        tokens: t.runtime.store.tokens,
        users: t.runtime.store.users,
        cipher: t.runtime.cipher,
        oidc: async () => misconfigured,
        log,
      });
      const refusal = await tokens.getAccessToken(isaiah.id).catch((e: unknown) => e);
      expect(refusal).toMatchObject({ name: 'OidcError' });
      expect((refusal as { code?: string }).code).not.toBe('sign_in_required');
      expect(await statusOf(isaiah.id)).toBe('active');
      expect(await tokensOf(isaiah.id)).toEqual(before);

      expect(log.error).toHaveBeenCalledTimes(1);
      const [fields, message] = log.error.mock.calls[0] as [Record<string, unknown>, string];
      expect(fields).toMatchObject({ oauthError: 'invalid_client', aadsts: ['AADSTS7000215'] });
      expect(message).toMatch(/client credential.*MS_CLIENT_SECRET/s);
      expect(JSON.stringify([fields, message])).not.toContain(wrongSecret);
      // Every user's refresh fails alike meanwhile: one line, not one per refusal.
      await expect(tokens.getAccessToken(isaiah.id)).rejects.toMatchObject({ name: 'OidcError' });
      expect(log.error).toHaveBeenCalledTimes(1);
      // The credential fixed, the same tokens work.
      await expect(t.identity.tokens.getAccessToken(isaiah.id)).resolves.toMatch(/\./);
    });
  });
}
