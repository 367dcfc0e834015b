/**
 * The sign-in flows' own pages speak the language the flow started in: ?lang= at its start (kept
 * across the round trip to Microsoft), else the browser's Accept-Language, else English. Over real
 * HTTP against the identity emulator: the add-in's dialog page, the console's sign-in page and where
 * it moves on to, admin consent's answers; and a language nobody asked for (unknown, repeated,
 * forged into the cookie, written into Microsoft's answer) changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPlugin } from '../src/admin/plugin.js';
import { AUTH_PAGE_STRINGS } from '../src/http/routes/auth-pages.js';
import { randomToken, s256 } from '../src/identity/secrets.js';
import { createRetention } from '../src/retention/index.js';
import { SILENT } from './support/admin.js';
import {
  browse,
  consentAs,
  dialogMessage,
  type IdentityTestApp,
  signInAs,
  startIdentityApp,
} from './support/identity.js';

const FRENCH = { 'accept-language': 'fr-FR,fr;q=0.9' };
const ENGLISH = { 'accept-language': 'en-GB,en;q=0.9' };
const NONE = {};
type Headers = Record<string, string>;

interface Page {
  readonly status: number;
  readonly lang: string | undefined;
  readonly body: string;
  /** Where a console sign-in page moves on to (its meta refresh). */
  readonly next: string | undefined;
}

async function read(response: Response): Promise<Page> {
  const body = await response.text();
  return {
    status: response.status,
    lang: /<html lang="([^"]*)">/.exec(body)?.[1],
    body,
    next: /<meta http-equiv="refresh" content="0;url=([^"]*)">/.exec(body)?.[1],
  };
}

let t: IdentityTestApp;
beforeAll(async () => {
  t = await startIdentityApp('sqlite', {
    plugins: (runtime) => [adminPlugin({ runtime, retention: createRetention(runtime, { logger: SILENT }) })],
  });
});
afterAll(async () => t?.close());

/** Starts a flow at Roomlink's `path`, signs `upn` in at the identity platform, stops at the callback. */
async function toCallback(path: string, upn: string, headers: Headers, jar = new Map<string, string>()) {
  const { url } = await signInAs(`${t.url}${path}`, upn, { jar, headers, toCallback: true });
  return { jar, callback: new URL(url) };
}

async function callback(flow: { jar: Map<string, string>; callback: URL }, headers: Headers): Promise<Page> {
  return read((await browse(flow.callback.toString(), flow.jar, undefined, headers)).response);
}

/** A console sign-in started at `path`, through to the page the callback answers. */
async function consoleSignIn(path: string, headers: Headers, upn = 'megan@contoso.example'): Promise<Page> {
  return callback(await toCallback(path, upn, headers), headers);
}

const addinStart = (query = '') => `/auth/addin/start?challenge=${s256(randomToken(32))}${query}`;

describe('the add-in’s sign-in dialog page', () => {
  it('speaks the language the add-in asked for at the start, whatever the browser says at the callback', async () => {
    const french = await callback(
      await toCallback(addinStart('&lang=fr'), 'adele@contoso.example', ENGLISH),
      ENGLISH,
    );
    expect(french.status).toBe(200);
    expect(french.lang).toBe('fr');
    expect(french.body).toContain(
      '<h1>Roomlink</h1><p>Connexion réussie. Vous pouvez fermer cette fenêtre.</p>',
    );
    expect(dialogMessage(french.body).type).toBe('roomlink-signin');

    const english = await callback(
      await toCallback(addinStart('&lang=en'), 'adele@contoso.example', FRENCH),
      FRENCH,
    );
    expect(english.lang).toBe('en');
    expect(english.body).toContain('<p>Signed in. You can close this window.</p>');
  });

  it('speaks the browser’s language when the start asked for none, and English by default', async () => {
    const french = await callback(await toCallback(addinStart(), 'alex@contoso.example', FRENCH), FRENCH);
    expect(french.lang).toBe('fr');
    expect(french.body).toContain('Connexion réussie. Vous pouvez fermer cette fenêtre.');

    const english = await callback(await toCallback(addinStart(), 'alex@contoso.example', NONE), NONE);
    expect(english.lang).toBe('en');
    expect(english.body).toContain('Signed in. You can close this window.');
    expect(english.body).not.toContain('Connexion');
  });

  it('says a refusal in French, with the reason as it came, escaped', async () => {
    const flow = await toCallback(addinStart('&lang=fr'), 'adele@contoso.example', NONE);
    flow.callback.searchParams.set('error', '<b>access_denied</b>');
    const refused = await callback(flow, NONE);
    expect(refused.status).toBe(400);
    expect(refused.lang).toBe('fr');
    expect(refused.body).toContain(
      '<p>Échec de la connexion\u00a0: Microsoft answered: &#60;b&#62;access_denied&#60;/b&#62;</p>',
    );
    expect(refused.body).not.toContain('<b>');
    expect(dialogMessage(refused.body)).toMatchObject({
      type: 'roomlink-signin-error',
      error: 'sign_in_failed',
    });

    const other = await toCallback(addinStart(), 'adele@contoso.example', NONE);
    other.callback.searchParams.set('state', randomToken());
    const english = await callback(other, NONE);
    expect(english.lang).toBe('en');
    expect(english.body).toContain(
      '<p>Sign-in failed: the sign-in answer does not belong to this browser</p>',
    );
  });
});

describe('the admin console’s sign-in', () => {
  it('keeps the console’s ?lang=fr through the round trip: a French page that moves on to /admin?lang=fr', async () => {
    // The invitation of a console shown in French by link, to an English browser.
    const invitation = await read(await fetch(`${t.url}/admin?lang=fr`, { headers: ENGLISH }));
    expect(invitation.lang).toBe('fr');
    const signIn = /<a class="button" href="([^"]+)">Se connecter<\/a>/.exec(invitation.body)?.[1];
    expect(signIn).toBe('/auth/signin?lang=fr');

    const flow = await toCallback(signIn as string, 'megan@contoso.example', ENGLISH);
    const signedIn = await callback(flow, ENGLISH);
    expect(signedIn.status).toBe(200);
    expect(signedIn.lang).toBe('fr');
    expect(signedIn.body).toContain(
      '<h1>Connexion réussie</h1><p>Ouverture de la console d’administration…</p>',
    );
    expect(signedIn.body).toContain(
      '<a href="/admin?lang=fr">Continuer vers la console d’administration</a>',
    );
    expect(signedIn.next).toBe('/admin?lang=fr');

    // Where it moves on to: the console, in French, for the browser that just signed in.
    const cookie = [...flow.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const console = await read(await fetch(`${t.url}${signedIn.next}`, { headers: { ...ENGLISH, cookie } }));
    expect(console.status).toBe(200);
    expect(console.lang).toBe('fr');
    expect(console.body).toContain('<h2 id="users-title">Utilisateurs</h2>');
  });

  it('reads ?lang= as the console does, and an English choice wins over a French browser', async () => {
    const canadian = await consoleSignIn('/auth/signin?lang=fr-CA', NONE);
    expect(canadian.lang).toBe('fr');
    expect(canadian.next).toBe('/admin?lang=fr');

    const english = await consoleSignIn('/auth/signin?lang=en', FRENCH);
    expect(english.lang).toBe('en');
    expect(english.body).toContain('<h1>Signed in</h1><p>Opening the admin console…</p>');
    expect(english.next).toBe('/admin?lang=en');
  });

  it('without ?lang, speaks the browser’s language and moves on to /admin, where the browser decides again', async () => {
    const french = await consoleSignIn('/auth/signin', FRENCH);
    expect(french.lang).toBe('fr');
    expect(french.body).toContain('Ouverture de la console d’administration…');
    expect(french.next).toBe('/admin');

    const english = await consoleSignIn('/auth/signin', NONE);
    expect(english.lang).toBe('en');
    expect(english.body).toContain('<a href="/admin">Continue to the admin console</a>');
    expect(english.next).toBe('/admin');
  });

  it('invites to sign in, and refuses a member, with links to a sign-in in the page’s language', async () => {
    const invitation = async (query: string, headers: Headers) =>
      (await read(await fetch(`${t.url}/admin${query}`, { headers }))).body;
    expect(await invitation('', FRENCH)).toContain(
      '<a class="button" href="/auth/signin?lang=fr">Se connecter</a>',
    );
    expect(await invitation('?lang=en', FRENCH)).toContain(
      '<a class="button" href="/auth/signin?lang=en">Sign in</a>',
    );
    expect(await invitation('', NONE)).toContain('<a class="button" href="/auth/signin?lang=en">Sign in</a>');

    // Adele is not a Global Administrator: the console refuses her, in French, and offers another account.
    const flow = await toCallback('/auth/signin?lang=fr', 'adele@contoso.example', NONE);
    const signedIn = await callback(flow, NONE);
    expect(signedIn.next).toBe('/admin?lang=fr');
    const cookie = [...flow.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const refused = await read(await fetch(`${t.url}${signedIn.next}`, { headers: { cookie } }));
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('<a href="/auth/signin?lang=fr">Se connecter avec un autre compte</a>');
  });
});

describe('admin consent’s answers', () => {
  async function consent(path: string, upn: string, headers: Headers): Promise<Page> {
    return read((await consentAs(`${t.url}${path}`, upn, { headers })).response);
  }

  it('are in the language asked for at the start, whatever the browser says', async () => {
    const approved = await consent('/auth/admin-consent?lang=fr', 'megan@contoso.example', ENGLISH);
    expect(approved.status).toBe(200);
    expect(approved.lang).toBe('fr');
    expect(approved.body).toContain(
      '<h1>Roomlink est approuvé pour votre organisation</h1><p>Les personnes de votre organisation peuvent désormais se connecter à Roomlink depuis Outlook.</p>',
    );

    // Microsoft's answer is shown as it came: a member cannot approve for the organisation.
    const refused = await consent('/auth/admin-consent?lang=fr', 'adele@contoso.example', ENGLISH);
    expect(refused.status).toBe(400);
    expect(refused.lang).toBe('fr');
    expect(refused.body).toContain(
      '<h1>Roomlink n’a pas été approuvé</h1><p>Microsoft a répondu\u00a0: access_denied. Demandez à un administrateur général de réessayer.</p>',
    );

    const english = await consent('/auth/admin-consent?lang=en', 'megan@contoso.example', FRENCH);
    expect(english.lang).toBe('en');
    expect(english.body).toContain('<h1>Roomlink is approved for your organisation</h1>');
  });

  it('follow the browser’s language without ?lang, also for an answer nobody here asked for', async () => {
    const approved = await consent('/auth/admin-consent', 'megan@contoso.example', FRENCH);
    expect(approved.lang).toBe('fr');
    expect(approved.body).toContain('Roomlink est approuvé pour votre organisation');

    const unexpected = (headers: Headers) =>
      fetch(`${t.url}/auth/admin-consent/done?admin_consent=True&tenant=anything&state=forged`, { headers });
    const french = await read(await unexpected(FRENCH));
    expect(french.status).toBe(400);
    expect(french.lang).toBe('fr');
    expect(french.body).toContain('<h1>Cette réponse n’était pas attendue</h1>');
    const english = await read(await unexpected(NONE));
    expect(english.lang).toBe('en');
    expect(english.body).toContain('<h1>This answer was not expected</h1>');
  });
});

describe('a language nobody asked for', () => {
  it('an unknown, empty or repeated ?lang= is no choice: the browser’s language, and /admin', async () => {
    for (const query of ['lang=de', 'lang=', 'lang=%3Cscript%3E', 'lang=en&lang=en']) {
      const page = await consoleSignIn(`/auth/signin?${query}`, FRENCH);
      expect(page.lang, query).toBe('fr');
      expect(page.next, query).toBe('/admin');
      expect(page.body, query).not.toContain('<script');
    }
    const dialog = await callback(
      await toCallback(addinStart('&lang=de'), 'alex@contoso.example', FRENCH),
      FRENCH,
    );
    expect(dialog.lang).toBe('fr');
  });

  it('a language cookie Roomlink did not write, or a lang written into Microsoft’s answer, changes nothing', async () => {
    const forged = await toCallback('/auth/signin', 'megan@contoso.example', FRENCH);
    forged.jar.set('roomlink_login_lang', 'en%22%3E%3Cscript%3E');
    const page = await callback(forged, FRENCH);
    expect(page.status).toBe(200);
    expect(page.lang).toBe('fr');
    expect(page.next).toBe('/admin');
    expect(page.body).not.toContain('<script');

    const injected = await toCallback('/auth/signin', 'megan@contoso.example', FRENCH);
    injected.callback.searchParams.set('lang', 'en');
    const answer = await callback(injected, FRENCH);
    expect(answer.status).toBe(200);
    expect(answer.lang).toBe('fr');
    expect(answer.next).toBe('/admin');
  });

  it('a flow started without a choice does not end in the language of an earlier one', async () => {
    const jar = new Map<string, string>();
    // Started in English, then abandoned at Microsoft's page.
    await browse(`${t.url}/auth/signin?lang=en`, jar, (url) => url.pathname.endsWith('/authorize'), FRENCH);
    expect(jar.get('roomlink_login_lang')).toBe('en');
    const page = await callback(
      await toCallback('/auth/signin', 'megan@contoso.example', FRENCH, jar),
      FRENCH,
    );
    expect(page.lang).toBe('fr');
    expect(page.next).toBe('/admin');
  });
});

describe('the pages’ words', () => {
  const sample = (value: string | ((x: string) => string)) =>
    typeof value === 'string' ? value : value('x');

  it('French says everything English says, and sets a no-break space before : ; ? !', () => {
    expect(Object.keys(AUTH_PAGE_STRINGS.fr).sort()).toEqual(Object.keys(AUTH_PAGE_STRINGS.en).sort());
    for (const [language, table] of Object.entries(AUTH_PAGE_STRINGS)) {
      for (const [key, value] of Object.entries(table)) {
        expect(sample(value).trim(), `${language}.${key}`).not.toBe('');
      }
    }
    for (const [key, value] of Object.entries(AUTH_PAGE_STRINGS.fr)) {
      expect(sample(value), key).not.toMatch(/ [:;?!]/);
    }
  });
});
