/**
 * The admin console's language, over HTTP (inject): ?lang= first, then Accept-Language, then
 * English, said in <html lang> for the sign-in invitation, the refusal and the console itself
 * (whose script reads it there), with the pages' words in that language.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminTestApp, insertBrowserSession, insertNamedUser, startAdminApp } from './support/admin.js';

const T = 't-language';
const FRENCH = 'fr-FR,fr;q=0.9';

describe('admin console language', () => {
  let t: AdminTestApp;
  const sessions: Record<'admin' | 'member', string> = { admin: '', member: '' };

  beforeAll(async () => {
    t = await startAdminApp('sqlite');
    await insertNamedUser(t.runtime, T, 'ada', { name: 'Ada Admin', isAdmin: true });
    await insertNamedUser(t.runtime, T, 'mo', { name: 'Mo Member' });
    sessions.admin = await insertBrowserSession(t.runtime, T, 'ada');
    sessions.member = await insertBrowserSession(t.runtime, T, 'mo');
  });
  afterAll(async () => t?.close());

  async function admin(
    as: 'admin' | 'member' | null,
    options: { query?: string; acceptLanguage?: string } = {},
  ): Promise<{ status: number; lang: string | undefined; body: string; vary: unknown }> {
    const headers: Record<string, string> = {};
    if (options.acceptLanguage) headers['accept-language'] = options.acceptLanguage;
    if (as) headers.cookie = `roomlink_session=${sessions[as]}`;
    const response = await t.app.inject({ method: 'GET', url: `/admin${options.query ?? ''}`, headers });
    return {
      status: response.statusCode,
      lang: /<html lang="([^"]*)">/.exec(response.body)?.[1],
      body: response.body,
      vary: response.headers.vary,
    };
  }

  it('invites to sign in in French for a French browser, in English when asked or by default', async () => {
    const french = await admin(null, { acceptLanguage: FRENCH });
    expect(french.status).toBe(200);
    expect(french.lang).toBe('fr');
    // The way to sign in keeps the page's language through the round trip to Microsoft.
    expect(french.body).toContain('<a class="button" href="/auth/signin?lang=fr">Se connecter</a>');
    expect(french.body).toContain('<title>Connexion — Administration de Roomlink</title>');
    expect(french.vary).toMatch(/accept-language/i);

    const asked = await admin(null, { query: '?lang=en', acceptLanguage: FRENCH });
    expect(asked.lang).toBe('en');
    expect(asked.body).toContain('<a class="button" href="/auth/signin?lang=en">Sign in</a>');

    const none = await admin(null);
    expect(none.lang).toBe('en');
    expect(none.body).toContain('>Sign in</a>');
    expect(none.body).not.toContain('Se connecter');
  });

  it('lets ?lang=fr override an English browser, and ignores a language it does not have', async () => {
    expect((await admin(null, { query: '?lang=fr', acceptLanguage: 'en-US,en;q=0.9' })).lang).toBe('fr');
    // "de" is not offered: the next preference (French) is taken, then English.
    expect((await admin(null, { acceptLanguage: 'de-DE,de;q=0.9,fr;q=0.8' })).lang).toBe('fr');
    expect((await admin(null, { query: '?lang=de' })).lang).toBe('en');
    // A repeated ?lang is no choice: Accept-Language decides.
    expect((await admin(null, { query: '?lang=en&lang=en', acceptLanguage: FRENCH })).lang).toBe('fr');
  });

  it('serves the console to an admin in the negotiated language', async () => {
    const french = await admin('admin', { acceptLanguage: FRENCH });
    expect(french.status).toBe(200);
    expect(french.lang).toBe('fr');
    expect(french.body).toContain('<h2 id="users-title">Utilisateurs</h2>');
    expect(french.body).toContain('<button type="submit">Enregistrer les paramètres</button>');
    // The switch leads back to English, and says so in English.
    expect(french.body).toMatch(/<a class="language-switch" href="\/admin\?lang=en" hreflang="en" lang="en"/);

    const asked = await admin('admin', { query: '?lang=en', acceptLanguage: FRENCH });
    expect(asked.lang).toBe('en');
    expect(asked.body).toContain('<h2 id="users-title">Users</h2>');

    const none = await admin('admin');
    expect(none.lang).toBe('en');
    expect(none.body).toContain('<button type="submit">Save settings</button>');
  });

  it('refuses a member in French for a French browser', async () => {
    const refused = await admin('member', { acceptLanguage: FRENCH });
    expect(refused.status).toBe(403);
    expect(refused.lang).toBe('fr');
    expect(refused.body).toContain('<h1>Vous n’êtes pas administrateur du locataire</h1>');
    expect(refused.body).toContain('<a href="/auth/signin?lang=fr">Se connecter avec un autre compte</a>');
    expect((await admin('member')).lang).toBe('en');
  });

  it('serves one script that carries both languages', async () => {
    const script = await t.app.inject({ method: 'GET', url: '/admin/assets/console.js' });
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('document.documentElement.lang');
    expect(script.body).toContain('"statusNeedsSignIn":"Connexion requise"');
    expect(script.body).toContain('"statusNeedsSignIn":"Needs sign-in"');
  });
});
