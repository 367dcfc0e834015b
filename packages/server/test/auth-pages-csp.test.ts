/**
 * The pages the sign-in flows end on (the add-in dialog's, the console's "Opening…", admin consent's
 * answers) carry a strict Content-Security-Policy: nothing loads or runs but their hashed style sheet
 * and, on the dialog's page, Office.js from Microsoft's CDN and the inline script with this
 * response's nonce; no framing, no <base>, no form. With nosniff and no Referer. The dialog hands its
 * code to Roomlink's own origin only (messageParent's targetOrigin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken, s256 } from '../src/identity/secrets.js';
import { directives, expectCommon, expectScriptlessPolicy } from './support/auth-page-csp.js';
import {
  browse,
  consentAs,
  dialogMessage,
  type IdentityTestApp,
  signInAs,
  startIdentityApp,
} from './support/identity.js';

let t: IdentityTestApp;
beforeAll(async () => {
  t = await startIdentityApp('sqlite');
});
afterAll(async () => t?.close());

/** The callback's answer to a dialog sign-in (or its refusal, with a forged state). */
async function dialogAnswer(options: { forgeState?: boolean } = {}): Promise<Response> {
  const jar = new Map<string, string>();
  const start = `${t.url}/auth/addin/start?challenge=${s256(randomToken(32))}`;
  const { url } = await signInAs(start, 'adele@contoso.example', { jar, toCallback: true });
  const callback = new URL(url);
  if (options.forgeState) callback.searchParams.set('state', 'forged');
  return (await browse(callback.toString(), jar)).response;
}

describe('the sign-in pages’ Content-Security-Policy', () => {
  it('lets the dialog page run Office.js and its own inline script only, by a nonce fresh per answer', async () => {
    const nonces = new Set<string>();
    for (const forgeState of [false, true, false]) {
      const response = await dialogAnswer({ forgeState });
      expect(response.status).toBe(forgeState ? 400 : 200);
      const html = await response.text();
      const csp = directives(response.headers.get('content-security-policy'));
      expectCommon(response, html, csp);
      const script = csp.get('script-src') ?? '';
      // Scripts alone are restricted: Office.js's other needs are not published (see authPageCsp).
      expect(csp.has('default-src')).toBe(false);
      const nonce =
        /^'nonce-([A-Za-z0-9+/]{22}==)' 'strict-dynamic' https:\/\/appsforoffice\.microsoft\.com$/.exec(
          script,
        )?.[1];
      expect(nonce, script).toBeDefined();
      nonces.add(nonce as string);
      // Both scripts carry it, and no other script is on the page.
      const tags = html.match(/<script\b[^>]*>/g) ?? [];
      expect(tags).toEqual([
        `<script nonce="${nonce}" src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js">`,
        `<script nonce="${nonce}">`,
      ]);
      expect(dialogMessage(html).type).toBe(forgeState ? 'roomlink-signin-error' : 'roomlink-signin');
    }
    expect(nonces.size).toBe(3);
  });

  it('hands the code to Roomlink’s own origin only (messageParent’s targetOrigin)', async () => {
    const html = await (await dialogAnswer()).text();
    const origin = new URL(t.url).origin;
    expect(html).toMatch(
      new RegExp(
        `messageParent\\("(?:[^"\\\\]|\\\\.)*", \\{ targetOrigin: "${origin.replaceAll('.', '\\.')}" \\}\\)`,
      ),
    );
  });

  it('runs no script at all on the console’s and admin consent’s pages', async () => {
    const consolePage = (await signInAs(`${t.url}/auth/signin`, 'megan@contoso.example')).response;
    const consent = (await consentAs(`${t.url}/auth/admin-consent`, 'megan@contoso.example')).response;
    const unexpected = await fetch(`${t.url}/auth/admin-consent/done?admin_consent=True&state=forged`);
    for (const [response, status] of [
      [consolePage, 200],
      [consent, 200],
      [unexpected, 400],
    ] as const) {
      expect(response.status).toBe(status);
      expectScriptlessPolicy(response, await response.text());
    }
  });
});
