/**
 * Microsoft's identity platform cannot be reached (DNS, a firewall, an outage, a wrong MS_AUTHORITY
 * host): the sign-in flows answer a page of their own with 503, in the flow's language and under the
 * pages' strict Content-Security-Policy, not a problem document. The add-in's dialog also tells the
 * task pane (`identity_unavailable`); the operator gets one warning line with the reason's code.
 * Discovery is retried, so sign-in works again once Microsoft can be reached. A token endpoint that
 * cannot be reached fails a sign-in's callback the same way, and leaves a refreshing user as they are.
 *
 * Over real HTTP against the identity emulator, with Roomlink's server-side fetch failing for its
 * URLs the way Node's fetch fails.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { randomToken, s256 } from '../src/identity/secrets.js';
import { loggerOptions } from '../src/observability/logger.js';
import { expectDialogPolicy, expectScriptlessPolicy } from './support/auth-page-csp.js';
import {
  browse,
  consentAs,
  dialogMessage,
  type IdentityTestApp,
  signInAs,
  startIdentityApp,
} from './support/identity.js';

const EN_DIALOG =
  'Roomlink cannot reach Microsoft’s sign-in service right now. Try again in a few minutes; if it keeps happening, tell your IT administrator.';
const FR_DIALOG =
  'Roomlink ne parvient pas à joindre le service de connexion de Microsoft pour le moment. Réessayez dans quelques minutes\u00a0; si le problème persiste, prévenez votre administrateur informatique.';
const FRENCH = { 'accept-language': 'fr-FR,fr;q=0.9' };

/** How Roomlink's requests to the identity platform fail, while one is set. */
type Failure = () => Promise<Response>;

/** Node's fetch when nothing listens: TypeError "fetch failed", the system's error as its cause. */
const refused: Failure = () =>
  Promise.reject(
    new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    }),
  );
/** A name that does not resolve (a wrong MS_AUTHORITY host, DNS down). */
const notFound: Failure = () =>
  Promise.reject(
    new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND login.example'), { code: 'ENOTFOUND' }),
    }),
  );
/** openid-client's own timeout (AbortSignal.timeout): fetch rejects with the signal's reason. */
const timedOut: Failure = () =>
  Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
/** A proxy's or an outage's page instead of the identity platform's answer. */
const gatewayPage: Failure = async () =>
  new Response('<html><body>502 Bad Gateway</body></html>', {
    status: 502,
    headers: { 'content-type': 'text/html' },
  });
const firewallPage: Failure = async () =>
  new Response('<html><body>Blocked by policy</body></html>', {
    status: 200,
    headers: { 'content-type': 'text/html' },
  });

/** A Roomlink whose requests to the identity emulator fail while `failure` is set. */
function unreliableIdentity() {
  const state: { failure: Failure | undefined; lines: string[] } = { failure: undefined, lines: [] };
  const fetchThrough: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (state.failure && url.includes('/_emulator/login/')) return state.failure();
    return fetch(input, init);
  };
  const sink = new Writable({
    write(chunk, _encoding, done) {
      state.lines.push(String(chunk));
      done();
    },
  });
  const start = () =>
    startIdentityApp('sqlite', { fetch: fetchThrough, logger: pino(loggerOptions('warn'), sink) });
  /** The operator's lines about it, parsed. */
  const warnings = () =>
    state.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.code === 'identity_unavailable');
  return { state, start, warnings };
}

async function page(response: Response) {
  const body = await response.text();
  return { body, lang: /<html lang="([^"]*)">/.exec(body)?.[1] };
}

/**
 * `url`, asked with `headers`, answers the 503 page that runs no script, in `language`, holding
 * `text`, and sets no cookie.
 */
async function expectUnavailablePage(
  url: string,
  headers: Record<string, string>,
  language: string,
  text: string,
): Promise<void> {
  const jar = new Map<string, string>();
  const { response } = await browse(url, jar, undefined, headers);
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const { body, lang } = await page(response);
  expectScriptlessPolicy(response, body);
  expect(lang).toBe(language);
  expect(body).toContain(text);
  expect([...jar.keys()]).toEqual([]);
}

const addinStart = (query = '') => `/auth/addin/start?challenge=${s256(randomToken(32))}${query}`;

describe('Microsoft’s identity platform unreachable before Roomlink ever reached it', () => {
  const identity = unreliableIdentity();
  let t: IdentityTestApp;
  beforeAll(async () => {
    t = await identity.start();
  });
  afterAll(async () => t?.close());
  beforeEach(() => {
    identity.state.failure = refused;
    identity.state.lines.length = 0;
  });

  const transactions = async () =>
    (await t.runtime.store.db.selectFrom('login_transactions').select('id_hash').execute()).length;

  it('the add-in’s dialog says so with 503, tells the task pane, and starts no sign-in', async () => {
    const before = await transactions();
    const jar = new Map<string, string>();
    const { response } = await browse(`${t.url}${addinStart()}`, jar);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const { body, lang } = await page(response);
    expectDialogPolicy(response, body);
    expect(lang).toBe('en');
    expect(body).toContain(`<h1>Roomlink</h1><p>${EN_DIALOG}</p>`);
    expect(dialogMessage(body)).toEqual({
      type: 'roomlink-signin-error',
      error: 'identity_unavailable',
      description: EN_DIALOG,
    });
    // No cookie, no login transaction: nothing was started.
    expect([...jar.keys()]).toEqual([]);
    expect(await transactions()).toBe(before);

    // One line for the operator, with the reason's code and nothing of the request.
    const warnings = identity.warnings();
    expect(warnings).toHaveLength(1);
    const { level, code, reason, msg, ...rest } = warnings[0] as Record<string, unknown>;
    expect({ level, code, reason }).toEqual({
      level: 40,
      code: 'identity_unavailable',
      reason: 'ECONNREFUSED',
    });
    expect(msg).toMatch(/MS_AUTHORITY/);
    expect(Object.keys(rest).sort()).toEqual(['hostname', 'pid', 'reqId', 'time']);
  });

  it('speaks the language the add-in asked for, else the browser’s', async () => {
    for (const [path, headers] of [
      [addinStart('&lang=fr'), {}],
      [addinStart(), FRENCH],
    ] as const) {
      const { response } = await browse(`${t.url}${path}`, new Map(), undefined, headers);
      expect(response.status).toBe(503);
      const { body, lang } = await page(response);
      expect(lang).toBe('fr');
      expect(body).toContain(`<p>${FR_DIALOG}</p>`);
      expect(dialogMessage(body)).toEqual({
        type: 'roomlink-signin-error',
        error: 'identity_unavailable',
        description: FR_DIALOG,
      });
    }
  });

  it.each([
    ['a name that does not resolve', notFound, 'ENOTFOUND'],
    ['a timeout', timedOut, 'TimeoutError'],
    ['a gateway’s error page', gatewayPage, 'http_502'],
    ['a page that is not the metadata', firewallPage, 'not_json'],
  ] as const)('answers the same for %s, and logs why', async (_what, failure, reason) => {
    identity.state.failure = failure;
    const { response } = await browse(`${t.url}${addinStart()}`, new Map());
    expect(response.status).toBe(503);
    expect(dialogMessage(await response.text())).toMatchObject({ error: 'identity_unavailable' });
    expect(identity.warnings()).toMatchObject([{ reason }]);
  });

  it('the admin console’s sign-in says so with 503 on a page that runs no script', async () => {
    // No login cookie: no sign-in was started.
    for (const [path, headers, language, text] of [
      [
        '/auth/signin',
        {},
        'en',
        'Roomlink cannot reach Microsoft’s sign-in service right now, so you cannot sign in to the admin console. Try again in a few minutes; if it keeps happening, whoever runs the Roomlink server should check that it can reach Microsoft (outbound HTTPS to the host of MS_AUTHORITY).',
      ],
      [
        '/auth/signin?lang=fr',
        {},
        'fr',
        'Roomlink ne parvient pas à joindre le service de connexion de Microsoft pour le moment\u00a0: vous ne pouvez pas vous connecter à la console d’administration.',
      ],
      ['/auth/signin', FRENCH, 'fr', 'Le service de connexion de Microsoft est injoignable'],
    ] as const)
      await expectUnavailablePage(`${t.url}${path}`, headers, language, text);
  });

  it('the admin consent link says so with 503, and what the server needs', async () => {
    // No consent cookie: no approval was started.
    for (const [path, headers, language, text] of [
      [
        '/auth/admin-consent',
        {},
        'en',
        '<h1>Roomlink cannot reach Microsoft</h1><p>Roomlink cannot reach Microsoft’s sign-in service to build the admin consent link. Try again in a few minutes. If it keeps happening, the Roomlink server needs outbound HTTPS (port 443) to the host of MS_AUTHORITY, login.microsoftonline.com by default: see “Network” in Roomlink’s deployment guide (docs/deploy-microsoft-365.md).</p>',
      ],
      [
        '/auth/admin-consent?lang=fr',
        {},
        'fr',
        'le serveur Roomlink doit pouvoir établir des connexions HTTPS sortantes (port 443) vers l’hôte de MS_AUTHORITY',
      ],
      ['/auth/admin-consent', FRENCH, 'fr', '<h1>Roomlink ne parvient pas à joindre Microsoft</h1>'],
    ] as const)
      await expectUnavailablePage(`${t.url}${path}`, headers, language, text);
  });

  it('signs in again once Microsoft can be reached (discovery is retried)', async () => {
    identity.state.failure = undefined;
    const dialog = await signInAs(`${t.url}${addinStart()}`, 'adele@contoso.example');
    expect(dialog.response.status).toBe(200);
    expect(dialogMessage(await dialog.response.text())).toMatchObject({ type: 'roomlink-signin' });
    const admin = await signInAs(`${t.url}/auth/signin`, 'megan@contoso.example');
    expect(admin.response.status).toBe(200);
    expect(admin.jar.has('roomlink_session')).toBe(true);
    const consent = await consentAs(`${t.url}/auth/admin-consent`, 'megan@contoso.example');
    expect(consent.response.status).toBe(200);
    expect(identity.warnings()).toEqual([]);
  });
});

describe('Microsoft’s token endpoint unreachable at a sign-in’s callback', () => {
  const identity = unreliableIdentity();
  let t: IdentityTestApp;
  beforeAll(async () => {
    t = await identity.start();
  });
  afterAll(async () => t?.close());
  beforeEach(() => {
    identity.state.failure = undefined;
    identity.state.lines.length = 0;
  });

  /** A flow started at `path` and signed in at Microsoft, its callback answered while `failure` is set. */
  async function callbackWhile(failure: Failure | undefined, path: string, upn: string) {
    const jar = new Map<string, string>();
    const { url } = await signInAs(`${t.url}${path}`, upn, { jar, toCallback: true });
    identity.state.failure = failure;
    try {
      return { ...(await browse(url, jar)), jar };
    } finally {
      identity.state.failure = undefined;
    }
  }

  it('the dialog says Microsoft cannot be reached, not that the sign-in did not validate', async () => {
    for (const [query, language, text] of [
      ['', 'en', EN_DIALOG],
      ['&lang=fr', 'fr', FR_DIALOG],
    ] as const) {
      const { response } = await callbackWhile(refused, addinStart(query), 'adele@contoso.example');
      expect(response.status).toBe(503);
      const { body, lang } = await page(response);
      expectDialogPolicy(response, body);
      expect(lang).toBe(language);
      expect(body).toContain(`<p>${text}</p>`);
      expect(body).not.toMatch(/fetch failed|did not validate/);
      expect(dialogMessage(body)).toEqual({
        type: 'roomlink-signin-error',
        error: 'identity_unavailable',
        description: text,
      });
    }
    expect(identity.warnings()).toMatchObject([{ reason: 'ECONNREFUSED' }, { reason: 'ECONNREFUSED' }]);

    // The next sign-in, with Microsoft back, completes.
    const again = await signInAs(`${t.url}${addinStart()}`, 'adele@contoso.example');
    expect(dialogMessage(await again.response.text())).toMatchObject({ type: 'roomlink-signin' });
  });

  it('a console sign-in’s callback answers the console’s page, with no session', async () => {
    const { response, jar } = await callbackWhile(timedOut, '/auth/signin?lang=fr', 'megan@contoso.example');
    expect(response.status).toBe(503);
    const { body, lang } = await page(response);
    expectScriptlessPolicy(response, body);
    expect(lang).toBe('fr');
    expect(body).toContain('<h1>Le service de connexion de Microsoft est injoignable</h1>');
    expect(jar.has('roomlink_session')).toBe(false);
    expect(identity.warnings()).toMatchObject([{ reason: 'TimeoutError' }]);
  });

  it('a refusal from the token endpoint is still a refused sign-in (400 sign_in_failed)', async () => {
    const invalidGrant: Failure = async () =>
      new Response(JSON.stringify({ error: 'invalid_grant', error_description: 'AADSTS70008: expired' }), {
        status: 400,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
    const { response } = await callbackWhile(invalidGrant, addinStart(), 'adele@contoso.example');
    expect(response.status).toBe(400);
    expect(dialogMessage(await response.text())).toMatchObject({
      type: 'roomlink-signin-error',
      error: 'sign_in_failed',
    });
    expect(identity.warnings()).toEqual([]);
  });

  it('a token refresh that cannot reach Microsoft leaves the user signed in with their tokens', async () => {
    const { user } = await scriptedSignIn(t.url, 'diego@fabrikam.example');
    const db = t.runtime.store.db;
    await db
      .updateTable('user_tokens')
      .set({ access_expires_at: new Date(0).toISOString() })
      .where('user_id', '=', user.id)
      .execute();
    const tokens = () =>
      db.selectFrom('user_tokens').selectAll().where('user_id', '=', user.id).executeTakeFirst();
    const before = await tokens();
    for (const failure of [refused, timedOut, gatewayPage]) {
      identity.state.failure = failure;
      const error = await t.identity.tokens.getAccessToken(user.id).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'OidcError', code: 'unavailable' });
    }
    identity.state.failure = undefined;
    const status = await db.selectFrom('users').select('status').where('id', '=', user.id).executeTakeFirst();
    expect(status?.status).toBe('active');
    expect(await tokens()).toEqual(before);
    // Microsoft back, the same refresh token works.
    await expect(t.identity.tokens.getAccessToken(user.id)).resolves.toMatch(/\./);
  });
});
