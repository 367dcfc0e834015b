/**
 * Sign-in over real HTTP against the identity emulator: two tenants, isolation, and each refusal
 * the issue lists, one test each.
 */
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphClient } from '../src/graph/graph-client.js';
import { createSyncMetrics } from '../src/graph/graph-metrics.js';
import { SIGN_IN_RATE_LIMIT } from '../src/http/routes/auth.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { digest, randomToken, s256 } from '../src/identity/secrets.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import {
  browse,
  consentAs,
  dialogMessage,
  type IdentityTestApp,
  offlineIdentity,
  signInRoutes,
  startIdentityApp,
} from './support/identity.js';
import { daysFromNow } from './support/meeting-times.js';

const SOON = daysFromNow(7);

const meeting = { subject: 'Tenant isolation', start: SOON.start, end: SOON.end };

describe('sign-in with the identity emulator', () => {
  let t: IdentityTestApp;
  beforeAll(async () => {
    t = await startIdentityApp('sqlite');
  });
  afterAll(async () => t?.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('signs users of two tenants in; a user of one tenant gets 404 for the other tenant’s meeting', async () => {
    const megan = await scriptedSignIn(t.url, 'megan@contoso.example');
    const diego = await scriptedSignIn(t.url, 'diego@fabrikam.example');
    const adele = await scriptedSignIn(t.url, 'adele@contoso.example');
    expect(megan.user).toMatchObject({
      upn: 'megan@contoso.example',
      name: 'Megan Bowen',
      isTenantAdmin: true,
    });
    expect(adele.user.isTenantAdmin).toBe(false);
    expect(megan.user.tenantId).not.toBe(diego.user.tenantId);

    const created = await fetch(`${t.url}/api/v1/meetings`, {
      method: 'POST',
      headers: { ...bearer(megan.token), 'content-type': 'application/json' },
      body: JSON.stringify(meeting),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await fetch(`${t.url}/api/v1/meetings/${id}`, { headers: bearer(megan.token) })).status).toBe(
      200,
    );
    expect((await fetch(`${t.url}/api/v1/meetings/${id}`, { headers: bearer(diego.token) })).status).toBe(
      404,
    );

    const me = (await (await fetch(`${t.url}/api/v1/me`, { headers: bearer(diego.token) })).json()) as {
      user: { upn: string };
    };
    expect(me.user.upn).toBe('diego@fabrikam.example');
    // Tokens are stored, encrypted.
    const row = await t.runtime.store.db
      .selectFrom('user_tokens')
      .selectAll()
      .where('user_id', '=', megan.user.id)
      .executeTakeFirstOrThrow();
    expect(row.refresh_token_ct).toMatch(/^v1\./);
  });

  it('the access token from sign-in reads the organizer’s calendar on the Graph emulator (Calendars.Read)', async () => {
    const user = await scriptedSignIn(t.url, 'adele@contoso.example');
    const access = await t.identity.tokens.getAccessToken(user.user.id);
    const graph = t.demo.graphBaseUrl.toString();
    const events = await fetch(`${graph}/v1.0/me/events`, { headers: { authorization: `Bearer ${access}` } });
    expect(events.status).toBe(200);
    const forged = await fetch(`${graph}/v1.0/me/events`, {
      headers: { authorization: `Bearer ${access}x` },
    });
    expect(forged.status).toBe(401);
  });

  /** Starts a flow and stops at the redirect back to Roomlink's callback. */
  async function startFlow(upn: string) {
    const verifier = randomToken(32);
    const jar = new Map<string, string>();
    const start = `${t.url}/auth/addin/start?challenge=${s256(verifier)}&login_hint=${encodeURIComponent(upn)}`;
    const { url } = await browse(start, jar, (next) => next.pathname === '/auth/callback');
    return { verifier, jar, callback: new URL(url) };
  }

  async function callback(url: URL, jar: Map<string, string>) {
    const { response } = await browse(url.toString(), jar);
    return { status: response.status, message: dialogMessage(await response.text()) };
  }

  it('refuses a state mismatch', async () => {
    const flow = await startFlow('adele@contoso.example');
    flow.callback.searchParams.set('state', randomToken());
    const result = await callback(flow.callback, flow.jar);
    expect(result.status).toBe(400);
    expect(result.message).toMatchObject({ type: 'roomlink-signin-error', error: 'state_mismatch' });
  });

  it('refuses a callback from another browser (no login cookie)', async () => {
    const flow = await startFlow('adele@contoso.example');
    const result = await callback(flow.callback, new Map());
    expect(result.message).toMatchObject({ error: 'login_expired' });
  });

  it('refuses a replayed authorization code', async () => {
    const first = await startFlow('adele@contoso.example');
    expect((await callback(first.callback, first.jar)).message.type).toBe('roomlink-signin');
    // A new flow in the same browser, answered with the first flow's (used) code.
    const second = await startFlow('adele@contoso.example');
    second.callback.searchParams.set('code', first.callback.searchParams.get('code') as string);
    const result = await callback(second.callback, second.jar);
    expect(result.status).toBe(400);
    expect(result.message).toMatchObject({ error: 'sign_in_failed' });
  });

  it('refuses a handoff code used with the wrong verifier, and a replayed one', async () => {
    const flow = await startFlow('alex@contoso.example');
    const { message } = await callback(flow.callback, flow.jar);
    const exchange = (verifier: string) =>
      fetch(`${t.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: message.code, verifier }),
      });
    expect((await exchange(randomToken(32))).status).toBe(400);
    // One-time: even the right verifier fails after a wrong attempt consumed the code.
    expect((await exchange(flow.verifier)).status).toBe(400);

    const good = await startFlow('alex@contoso.example');
    const goodMessage = (await callback(good.callback, good.jar)).message;
    const ok = await fetch(`${t.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: goodMessage.code, verifier: good.verifier }),
    });
    expect(ok.status).toBe(200);
    const replay = await fetch(`${t.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: goodMessage.code, verifier: good.verifier }),
    });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { code: string }).code).toBe('invalid_request');
  });

  it('the identity platform refuses an unregistered redirect URI without redirecting', async () => {
    const emulator = t.demo.emulator();
    const url = new URL(`${emulator.baseUrl}/organizations/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: '00000000-0000-4000-8000-00000000de30',
      response_type: 'code',
      redirect_uri: `${t.url}/auth/callback/evil`,
      scope: 'openid offline_access https://graph.microsoft.com/Calendars.Read',
      state: 's',
      nonce: 'n',
      code_challenge: s256(randomToken()),
      code_challenge_method: 'S256',
      login_hint: 'adele@contoso.example',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('refreshes tokens with rotation, and a revoked refresh token means "needs sign-in" without a crash', async () => {
    const user = await scriptedSignIn(t.url, 'isaiah@fabrikam.example');
    const db = t.runtime.store.db;
    const before = await db
      .selectFrom('user_tokens')
      .selectAll()
      .where('user_id', '=', user.user.id)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('user_tokens')
      .set({ access_expires_at: new Date(0).toISOString() })
      .where('user_id', '=', user.user.id)
      .execute();
    const access = await t.identity.tokens.getAccessToken(user.user.id);
    expect(access.split('.')).toHaveLength(3);
    const after = await db
      .selectFrom('user_tokens')
      .selectAll()
      .where('user_id', '=', user.user.id)
      .executeTakeFirstOrThrow();
    expect(after.version).toBe(before.version + 1);
    const open = (ct: string) =>
      t.runtime.cipher.decrypt(
        { tenantId: user.user.tenantId, table: 'user_tokens', column: 'refresh_token', rowId: user.user.id },
        ct,
      );
    expect(await open(after.refresh_token_ct)).not.toBe(await open(before.refresh_token_ct));

    const oid = t.demo
      .emulator()
      .users()
      .find((u) => u.upn === 'isaiah@fabrikam.example')?.oid as string;
    t.demo.emulator().revokeRefreshTokens(oid);
    await db
      .updateTable('user_tokens')
      .set({ access_expires_at: new Date(0).toISOString() })
      .where('user_id', '=', user.user.id)
      .execute();
    await expect(t.identity.tokens.getAccessToken(user.user.id)).rejects.toMatchObject({
      code: 'sign_in_required',
    });
    const me = (await (await fetch(`${t.url}/api/v1/me`, { headers: bearer(user.token) })).json()) as {
      status: string;
    };
    expect(me.status).toBe('needs_sign_in');
    expect(
      await db.selectFrom('user_tokens').selectAll().where('user_id', '=', user.user.id).executeTakeFirst(),
    ).toBeUndefined();
    // Signing in again restores the user.
    const again = await scriptedSignIn(t.url, 'isaiah@fabrikam.example');
    expect(again.user.id).toBe(user.user.id);
    expect(
      (
        (await (await fetch(`${t.url}/api/v1/me`, { headers: bearer(again.token) })).json()) as {
          status: string;
        }
      ).status,
    ).toBe('active');
  });

  it('a claims challenge leads back to sign-in with those claims', async () => {
    const user = await scriptedSignIn(t.url, 'alex@contoso.example');
    const claims = JSON.stringify({
      access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } },
    });
    const oid = t.demo
      .emulator()
      .users()
      .find((u) => u.upn === 'alex@contoso.example')?.oid as string;
    t.demo.emulator().requireClaims(oid, claims);
    await expect(t.identity.tokens.onClaimsChallenge(user.user.id, claims)).rejects.toMatchObject({
      code: 'claims_required',
    });
    const me = (await (await fetch(`${t.url}/api/v1/me`, { headers: bearer(user.token) })).json()) as {
      status: string;
      claims: string;
    };
    expect(me).toMatchObject({ status: 'needs_sign_in', claims });
    // The add-in signs in again passing the claims; the identity platform accepts and the user is active.
    const again = await scriptedSignIn(t.url, 'alex@contoso.example', { claims });
    const after = (await (await fetch(`${t.url}/api/v1/me`, { headers: bearer(again.token) })).json()) as {
      status: string;
    };
    expect(after.status).toBe('active');
    await expect(t.identity.tokens.getAccessToken(user.user.id)).resolves.toMatch(/\./);
  });
});

/** Refusals of a bad ID token: the token endpoint's answer is altered on its way to Roomlink. */
describe('ID token validation', () => {
  type Tamper = (
    claims: Record<string, unknown>,
    emulatorIssuer: (tid: string) => string,
  ) => Record<string, unknown>;
  let t: IdentityTestApp;
  let tamper: { mode: 'known-key' | 'unknown-key'; change: Tamper } | null = null;
  let keys: Awaited<ReturnType<typeof testKeys>>;

  async function testKeys() {
    const known = await generateKeyPair('RS256', { extractable: true });
    const unknown = await generateKeyPair('RS256', { extractable: true });
    return {
      known,
      unknown,
      knownJwk: { ...(await exportJWK(known.publicKey)), kid: 'test-known', use: 'sig', alg: 'RS256' },
    };
  }

  const tamperingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes('/discovery/v2.0/keys')) {
      // Publish the test's "known" key next to the emulator's, as if Microsoft had rotated it in.
      const jwks = (await response.json()) as { keys: unknown[] };
      return Response.json({ keys: [...jwks.keys, keys.knownJwk] });
    }
    if (!tamper || !url.includes('/oauth2/v2.0/token')) return response;
    const body = (await response.json()) as Record<string, string>;
    const original = JSON.parse(
      Buffer.from((body.id_token as string).split('.')[1] as string, 'base64url').toString(),
    );
    const claims = tamper.change(original, (tid) => t.demo.emulator().issuer(tid));
    const key = tamper.mode === 'known-key' ? keys.known.privateKey : keys.unknown.privateKey;
    const kid = tamper.mode === 'known-key' ? 'test-known' : 'test-unknown';
    body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
    return Response.json(body);
  };

  beforeAll(async () => {
    keys = await testKeys();
    t = await startIdentityApp('sqlite', { fetch: tamperingFetch });
  });
  afterAll(async () => t?.close());

  async function signInWith(mode: 'known-key' | 'unknown-key', change: Tamper) {
    tamper = { mode, change };
    try {
      return await scriptedSignIn(t.url, 'adele@contoso.example');
    } finally {
      tamper = null;
    }
  }

  it('accepts an untampered answer, and one re-signed with a published key (control)', async () => {
    await expect(scriptedSignIn(t.url, 'adele@contoso.example')).resolves.toMatchObject({
      user: { upn: 'adele@contoso.example' },
    });
    await expect(signInWith('known-key', (c) => c)).resolves.toMatchObject({
      user: { upn: 'adele@contoso.example' },
    });
  });

  it('refuses a token signed by an unknown key', async () => {
    await expect(signInWith('unknown-key', (c) => c)).rejects.toThrow(/sign-in did not complete \(400\)/);
  });

  it('refuses a wrong nonce', async () => {
    await expect(signInWith('known-key', (c) => ({ ...c, nonce: 'another-nonce' }))).rejects.toThrow(/400/);
  });

  it('refuses the issuer of another tenant', async () => {
    await expect(
      signInWith('known-key', (c, issuer) => ({ ...c, iss: issuer('9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d') })),
    ).rejects.toThrow(/400/);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(
      signInWith('known-key', (c) => ({ ...c, iat: now - 7200, nbf: now - 7200, exp: now - 3600 })),
    ).rejects.toThrow(/400/);
  });

  it('refuses another audience', async () => {
    await expect(
      signInWith('known-key', (c) => ({ ...c, aud: '11111111-2222-4333-8444-555555555555' })),
    ).rejects.toThrow(/400/);
  });
});

describe('PKCE', () => {
  let t: IdentityTestApp;
  let corrupt = false;
  beforeAll(async () => {
    t = await startIdentityApp('sqlite', {
      fetch: async (input, init) => {
        if (corrupt && String(input).includes('/oauth2/v2.0/token') && init?.body) {
          const body = new URLSearchParams(String(init.body));
          body.set('code_verifier', randomToken(48));
          return fetch(input, { ...init, body });
        }
        return fetch(input, init);
      },
    });
  });
  afterAll(async () => t?.close());

  it('a verifier that does not match the challenge is refused by the identity platform', async () => {
    corrupt = true;
    await expect(scriptedSignIn(t.url, 'adele@contoso.example')).rejects.toThrow(/400/);
    corrupt = false;
    await expect(scriptedSignIn(t.url, 'adele@contoso.example')).resolves.toBeDefined();
  });
});

describe('a Graph token refused before it expires', () => {
  // Its own emulator: the test withdraws the signing key that the other tests' tokens use.
  let app: IdentityTestApp;
  beforeAll(async () => {
    app = await startIdentityApp('sqlite');
  });
  afterAll(async () => app?.close());

  it('is refreshed once, and the request goes through', async () => {
    // As Microsoft rolls keys over: the next key is published before anything is signed with it.
    await app.demo.emulator().stageSigningKey();
    const user = await scriptedSignIn(app.url, 'diego@fabrikam.example');
    const graph = new GraphClient({
      baseUrl: app.demo.graphBaseUrl,
      tokens: app.identity.tokens,
      metrics: createSyncMetrics(new Registry()),
      maxAttempts: 1,
    });
    const stored = () =>
      app.runtime.store.db
        .selectFrom('user_tokens')
        .select('version')
        .where('user_id', '=', user.user.id)
        .executeTakeFirstOrThrow();
    const before = await stored();
    // The stored access token, valid for an hour by its expiry, is now signed with a withdrawn key
    // (as after a key compromise): Graph answers 401.
    await app.demo.emulator().rotateSigningKey();
    app.demo.emulator().dropRetiredKeys();
    const events = await graph.request(user.user.id, { path: 'me/events', operation: 'event.list' });
    expect(events.status).toBe(200);
    expect((await stored()).version).toBe(before.version + 1);
  });
});

describe('continuous access evaluation and Conditional Access', () => {
  let app: IdentityTestApp;
  beforeAll(async () => {
    app = await startIdentityApp('sqlite');
  });
  afterAll(async () => app?.close());

  const oidOf = (upn: string) =>
    app.demo
      .emulator()
      .users()
      .find((u) => u.upn === upn)?.oid as string;
  const me = async (token: string) =>
    (await (
      await fetch(`${app.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      status: string;
      claims: string | null;
    };

  it('declares cp1, so a session Microsoft revokes stops sync at its next Graph call, not at token expiry', async () => {
    const user = await scriptedSignIn(app.url, 'isaiah@fabrikam.example');
    expect(decodeJwt(await app.identity.tokens.getAccessToken(user.user.id)).xms_cc).toEqual(['cp1']);
    const graph = new GraphClient({
      baseUrl: app.demo.graphBaseUrl,
      tokens: app.identity.tokens,
      metrics: createSyncMetrics(new Registry()),
      maxAttempts: 1,
    });
    expect((await graph.request(user.user.id, { path: 'me/events', operation: 'event.list' })).status).toBe(
      200,
    );

    // The account is disabled: Microsoft revokes its refresh tokens and tells Graph (a critical event).
    const oid = oidOf('isaiah@fabrikam.example');
    app.demo.emulator().revokeRefreshTokens(oid);
    app.demo.graph().revokeSessions(oid, new Date(Date.now() + 1000));

    // The access token has most of its hour left; Graph challenges it and the refresh is refused.
    await expect(
      graph.request(user.user.id, { path: 'me/events', operation: 'event.list' }),
    ).rejects.toMatchObject({ code: 'sign_in_required' });
    expect((await me(user.token)).status).toBe('needs_sign_in');
  });

  it('a refresh refused with claims (Conditional Access) asks the next sign-in for them', async () => {
    const user = await scriptedSignIn(app.url, 'diego@fabrikam.example');
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
    app.demo.emulator().requireClaims(oidOf('diego@fabrikam.example'), claims);

    await expect(app.identity.tokens.invalidate(user.user.id)).rejects.toMatchObject({
      code: 'claims_required',
      extra: { claims },
    });
    expect(await me(user.token)).toMatchObject({ status: 'needs_sign_in', claims });
    // Signing in again with them satisfies the identity platform, and refreshes work again.
    const again = await scriptedSignIn(app.url, 'diego@fabrikam.example', { claims });
    expect((await me(again.token)).status).toBe('active');
    await expect(app.identity.tokens.invalidate(again.user.id)).resolves.toBeUndefined();
  });

  it('the console’s sign-in offers Microsoft’s account picker; the add-in’s names the mailbox instead', async () => {
    const location = async (path: string) => {
      const response = await fetch(`${app.url}${path}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      return new URL(response.headers.get('location') ?? '').searchParams;
    };
    const consoleSignIn = await location('/auth/signin');
    expect(consoleSignIn.get('prompt')).toBe('select_account');
    expect(JSON.parse(consoleSignIn.get('claims') ?? '{}')).toEqual({
      access_token: { xms_cc: { values: ['cp1'] } },
    });
    const addin = await location(
      `/auth/addin/start?challenge=${s256(randomToken())}&login_hint=adele%40contoso.example`,
    );
    expect(addin.get('prompt')).toBeNull();
    expect(addin.get('login_hint')).toBe('adele@contoso.example');
  });
});

describe('a sign-in refused after Microsoft answered', () => {
  // Microsoft leaves the refresh token out when offline_access was not granted.
  let dropRefreshToken = false;
  const withoutRefreshToken: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (!dropRefreshToken || !url.includes('/oauth2/v2.0/token')) return response;
    const { refresh_token: _dropped, ...body } = (await response.json()) as Record<string, unknown>;
    return Response.json(body);
  };
  let app: IdentityTestApp;
  beforeAll(async () => {
    app = await startIdentityApp('sqlite', { fetch: withoutRefreshToken });
  });
  afterAll(async () => app?.close());
  const refused = async (upn: string) => {
    dropRefreshToken = true;
    try {
      await expect(scriptedSignIn(app.url, upn)).rejects.toThrow(/refresh token/);
    } finally {
      dropRefreshToken = false;
    }
  };
  const users = () =>
    app.runtime.store.db.selectFrom('users').select(['id', 'status', 'pending_claims']).execute();

  it('records nothing of a first-time user', async () => {
    await refused('alex@contoso.example');
    expect(await users()).toEqual([]);
    expect(await app.runtime.store.db.selectFrom('audit_log').select('action').execute()).toEqual([]);
  });

  it('leaves a user who must sign in again in that state, with Microsoft’s claims challenge', async () => {
    const adele = await scriptedSignIn(app.url, 'adele@contoso.example');
    await app.runtime.store.users.requireSignIn(adele.user.id, '{"access_token":{}}');
    await app.runtime.store.tokens.delete(adele.user.id);
    await refused('adele@contoso.example');
    expect(await users()).toEqual([
      { id: adele.user.id, status: 'needs_sign_in', pending_claims: '{"access_token":{}}' },
    ]);
  });
});

describe('admin consent', () => {
  let app: IdentityTestApp;
  beforeAll(async () => {
    app = await startIdentityApp('sqlite');
  });
  afterAll(async () => app?.close());

  it('says Roomlink is approved only for an answer to a consent this browser started', async () => {
    const { response, jar } = await consentAs(`${app.url}/auth/admin-consent`, 'megan@contoso.example');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Roomlink is approved for your organisation');
    expect(app.demo.emulator().adminConsents()).toHaveLength(1);

    // A link made by someone else, to a browser that started nothing (or whose answer was used).
    for (const forged of [new Map<string, string>(), jar]) {
      const { response: page } = await browse(
        `${app.url}/auth/admin-consent/done?admin_consent=True&tenant=anything&state=admin-consent`,
        forged,
      );
      expect(page.status).toBe(400);
      expect(await page.text()).not.toContain('approved for your organisation');
    }
  });
});

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  /**
   * Anyone can send a browser to the callback while its sign-in is under way (another site's page
   * navigating it there: the SameSite=Lax flow cookie goes along). Without the sign-in's state such a
   * request is refused and ends nothing: Microsoft's genuine answer still signs the browser in.
   */
  describe.skipIf(skip)(`an answer whose state does not match, on ${label}`, () => {
    let app: IdentityTestApp;
    beforeAll(async () => {
      app = await startIdentityApp(dialect);
    });
    afterAll(async () => app?.close());

    const transactions = async () =>
      (await app.runtime.store.db.selectFrom('login_transactions').select('id_hash').execute()).map(
        (r) => r.id_hash,
      );

    /** A flow started at `start`, signed in at the emulator, stopped before Roomlink's answer at `answer`. */
    async function toAnswer(start: string, upn: string, answer: string, atMicrosoft: string) {
      const jar = new Map<string, string>();
      const { url } = await browse(`${app.url}${start}`, jar, (next) => next.pathname.endsWith(atMicrosoft));
      const named = new URL(url);
      named.searchParams.set('login_hint', upn);
      const back = await browse(named.toString(), jar, (next) => next.pathname === answer);
      return { jar, answer: new URL(back.url) };
    }
    const signInFlow = (start: string) =>
      toAnswer(start, 'adele@contoso.example', '/auth/callback', '/oauth2/v2.0/authorize');
    /** The attacker's link: the callback with a state of their own, and nothing else. */
    const forgedCallback = (state: string) => `${app.url}/auth/callback?state=${encodeURIComponent(state)}`;

    it('leaves the add-in’s sign-in under way: the genuine answer signs in, once', async () => {
      const flow = await signInFlow(`/auth/addin/start?challenge=${s256(randomToken(32))}`);
      const login = flow.jar.get('roomlink_login') as string;
      for (const state of ['x', randomToken()]) {
        const { response } = await browse(forgedCallback(state), flow.jar);
        expect(response.status).toBe(400);
        expect(dialogMessage(await response.text())).toMatchObject({ error: 'state_mismatch' });
        // Neither the browser's cookie nor the transaction went.
        expect(flow.jar.get('roomlink_login')).toBe(login);
        expect(await transactions()).toContain(digest(login));
      }
      // Microsoft's answer with another state is refused as well, and ends nothing either.
      const wrongState = new URL(flow.answer);
      wrongState.searchParams.set('state', randomToken());
      expect(
        dialogMessage(await (await browse(wrongState.toString(), flow.jar)).response.text()),
      ).toMatchObject({
        error: 'state_mismatch',
      });

      const { response } = await browse(flow.answer.toString(), flow.jar);
      expect(response.status).toBe(200);
      expect(dialogMessage(await response.text())).toMatchObject({ type: 'roomlink-signin' });
      expect(flow.jar.has('roomlink_login')).toBe(false);
      expect(await transactions()).not.toContain(digest(login));
      // Used: the same answer again (its cookie kept by a replaying client) is refused.
      const replay = await browse(flow.answer.toString(), new Map([['roomlink_login', login]]));
      expect(dialogMessage(await replay.response.text())).toMatchObject({ error: 'login_expired' });
    });

    it('leaves the console’s sign-in under way: the genuine answer opens the console', async () => {
      const flow = await signInFlow('/auth/signin?lang=fr');
      const { response: refused } = await browse(forgedCallback('x'), flow.jar);
      expect(refused.status).toBe(400);
      expect(refused.headers.getSetCookie()).toEqual([]);
      const { response } = await browse(flow.answer.toString(), flow.jar);
      expect(response.status).toBe(200);
      // The language asked for at the start outlived the forged answer too.
      expect(await response.text()).toContain('<html lang="fr">');
      expect(flow.jar.get('roomlink_session')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(flow.jar.has('roomlink_login')).toBe(false);
    });

    it('an expired sign-in is refused and deleted, whatever the state', async () => {
      const flow = await signInFlow(`/auth/addin/start?challenge=${s256(randomToken(32))}`);
      const idHash = digest(flow.jar.get('roomlink_login') as string);
      await app.runtime.store.db
        .updateTable('login_transactions')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id_hash', '=', idHash)
        .execute();
      const { response } = await browse(forgedCallback('x'), flow.jar);
      expect(dialogMessage(await response.text())).toMatchObject({ error: 'login_expired' });
      expect(await transactions()).not.toContain(idHash);
    });

    it('two answers with the right state at once: exactly one signs in', async () => {
      const flow = await signInFlow(`/auth/addin/start?challenge=${s256(randomToken(32))}`);
      const answers = await Promise.all(
        [0, 1].map(async () => {
          const { response } = await browse(flow.answer.toString(), new Map(flow.jar));
          return dialogMessage(await response.text());
        }),
      );
      expect(answers.map((a) => a.type).sort()).toEqual(['roomlink-signin', 'roomlink-signin-error']);
      expect(answers.find((a) => a.type === 'roomlink-signin-error')).toMatchObject({
        error: 'login_expired',
      });
    });

    it('the store redeems a transaction once, however many redeem it at once', async () => {
      const idHash = digest(randomToken());
      await app.runtime.store.authFlow.insertTransaction({
        idHash,
        stateCt: 'v1.state',
        nonceCt: 'v1.nonce',
        codeVerifierCt: 'v1.verifier',
        purpose: 'browser',
        addinChallenge: null,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      });
      // Read any number of times: reading uses nothing up.
      expect((await app.runtime.store.authFlow.findTransaction(idHash))?.stateCt).toBe('v1.state');
      expect((await app.runtime.store.authFlow.findTransaction(idHash))?.idHash).toBe(idHash);
      const redeemed = await Promise.all(
        Array.from({ length: 8 }, () => app.runtime.store.authFlow.redeemTransaction(idHash)),
      );
      expect(redeemed.filter(Boolean)).toHaveLength(1);
      expect(await app.runtime.store.authFlow.findTransaction(idHash)).toBeUndefined();
      expect(await app.runtime.store.authFlow.redeemTransaction(idHash)).toBe(false);
    });

    it('leaves an admin consent under way: the genuine answer says Roomlink is approved', async () => {
      const flow = await toAnswer(
        '/auth/admin-consent?lang=fr',
        'megan@contoso.example',
        '/auth/admin-consent/done',
        '/v2.0/adminconsent',
      );
      const state = flow.jar.get('roomlink_consent') as string;
      expect(flow.answer.searchParams.get('state')).toBe(state);
      for (const forged of ['x', randomToken()]) {
        const { response } = await browse(
          `${app.url}/auth/admin-consent/done?admin_consent=True&tenant=anything&state=${forged}`,
          flow.jar,
        );
        expect(response.status).toBe(400);
        expect(response.headers.getSetCookie()).toEqual([]);
        expect(flow.jar.get('roomlink_consent')).toBe(state);
      }
      const { response } = await browse(flow.answer.toString(), flow.jar);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Roomlink est approuvé pour votre organisation');
      // Used up with the match: the same answer again is not expected.
      expect(flow.jar.has('roomlink_consent')).toBe(false);
      expect((await browse(flow.answer.toString(), flow.jar)).response.status).toBe(400);
    });
  });
}

describe('sign-in requests from one address', () => {
  let app: IdentityTestApp;
  beforeAll(async () => {
    app = await startIdentityApp('sqlite');
  });
  afterAll(async () => app?.close());
  const transactions = async () =>
    Number(
      (
        await app.runtime.store.db
          .selectFrom('login_transactions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('are limited, so that one client cannot fill the sign-in table; other addresses are not', async () => {
    const before = await transactions();
    const from = (remoteAddress: string) =>
      app.app.inject({ method: 'GET', url: '/auth/signin', remoteAddress });
    const answers = [];
    for (let i = 0; i <= SIGN_IN_RATE_LIMIT.max; i++) answers.push(await from('192.0.2.7'));
    expect(answers.slice(0, -1).every((r) => r.statusCode === 302)).toBe(true);
    const refused = answers.at(-1);
    expect(refused?.statusCode).toBe(429);
    expect(refused?.headers['content-type']).toContain('application/problem+json');
    expect(refused?.json()).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
    expect(await transactions()).toBe(before + SIGN_IN_RATE_LIMIT.max);
    // The session exchange shares the limit's rule, on its own count.
    const exchange = await app.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      remoteAddress: '192.0.2.7',
      payload: { code: 'x'.repeat(43), verifier: 'y'.repeat(43) },
    });
    expect(exchange.statusCode).not.toBe(429);
    expect((await from('198.51.100.9')).statusCode).toBe(302);
  });
});

describe('sign-in requests behind a proxy Roomlink does not trust', () => {
  // Every visitor has the proxy's address: a limit per address would be one limit for everyone.
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { ROOMLINK_BASE_URL: 'https://roomlink.test' },
      features: async (runtime) => {
        const identity = offlineIdentity(runtime);
        return { authenticate: identity.authenticate, plugins: [signInRoutes(runtime, identity)] };
      },
    });
  });
  afterAll(async () => t?.close());

  it('are not limited per address (the start warns instead)', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i <= SIGN_IN_RATE_LIMIT.max; i++) {
      statuses.add((await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: {} })).statusCode);
    }
    expect(statuses.has(429)).toBe(false);
    expect(statuses).toEqual(new Set([400]));
  });
});
