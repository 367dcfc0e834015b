/**
 * The pages the sign-in flows end on (the add-in's dialog, the admin console's browser sign-in,
 * admin consent), in English or French: the language a flow asked for with ?lang= at its start,
 * else the browser's Accept-Language, else English, as the admin console chooses its own. Their
 * words are Roomlink's; what the identity checks or Microsoft answered is shown as it came.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Language, parseAcceptLanguage, pickLanguage } from '@roomlink/rooms';
import type { FastifyReply } from 'fastify';

const en = {
  signedInTitle: 'Signed in',
  openingConsole: 'Opening the admin console…',
  continueToConsole: 'Continue to the admin console',
  dialogSignedIn: 'Signed in. You can close this window.',
  signInFailed: (reason: string) => `Sign-in failed: ${reason}`,
  consentUnexpectedTitle: 'This answer was not expected',
  consentUnexpectedText:
    'It does not belong to an approval started in this browser in the last 10 minutes. Open the admin consent link again.',
  consentGrantedTitle: 'Roomlink is approved for your organisation',
  consentGrantedText: 'People in your organisation can now sign in to Roomlink from Outlook.',
  consentRefusedTitle: 'Roomlink was not approved',
  consentRefusedText: (answer: string) =>
    `Microsoft answered: ${answer}. Ask a Global Administrator to try again.`,
  /** What consentRefusedText says when Microsoft's answer named no error. */
  noConsent: 'no consent',
  // Microsoft's identity platform cannot be reached (503): the add-in's dialog, for a user…
  identityUnavailable:
    'Roomlink cannot reach Microsoft’s sign-in service right now. Try again in a few minutes; if it keeps happening, tell your IT administrator.',
  // …the admin console's sign-in, for an admin…
  consoleUnavailableTitle: 'Microsoft’s sign-in service cannot be reached',
  consoleUnavailableText:
    'Roomlink cannot reach Microsoft’s sign-in service right now, so you cannot sign in to the admin console. Try again in a few minutes; if it keeps happening, whoever runs the Roomlink server should check that it can reach Microsoft (outbound HTTPS to the host of MS_AUTHORITY).',
  // …and admin consent, for an IT admin (docs/deploy-microsoft-365.md, "Network").
  consentUnavailableTitle: 'Roomlink cannot reach Microsoft',
  consentUnavailableText:
    'Roomlink cannot reach Microsoft’s sign-in service to build the admin consent link. Try again in a few minutes. If it keeps happening, the Roomlink server needs outbound HTTPS (port 443) to the host of MS_AUTHORITY, login.microsoftonline.com by default: see “Network” in Roomlink’s deployment guide (docs/deploy-microsoft-365.md).',
};

/** Every page's words; French must say all of them (a key missing or extra does not compile). */
export type AuthPageStrings = typeof en;

// French puts a no-break space (\u00a0) before ":", ";", "?" and "!", so that no line starts with one.
const fr: AuthPageStrings = {
  signedInTitle: 'Connexion réussie',
  openingConsole: 'Ouverture de la console d’administration…',
  continueToConsole: 'Continuer vers la console d’administration',
  dialogSignedIn: 'Connexion réussie. Vous pouvez fermer cette fenêtre.',
  signInFailed: (reason) => `Échec de la connexion\u00a0: ${reason}`,
  consentUnexpectedTitle: 'Cette réponse n’était pas attendue',
  consentUnexpectedText:
    'Elle ne correspond à aucune approbation demandée depuis ce navigateur au cours des 10 dernières minutes. Ouvrez de nouveau le lien de consentement administrateur.',
  consentGrantedTitle: 'Roomlink est approuvé pour votre organisation',
  consentGrantedText:
    'Les personnes de votre organisation peuvent désormais se connecter à Roomlink depuis Outlook.',
  consentRefusedTitle: 'Roomlink n’a pas été approuvé',
  consentRefusedText: (answer) =>
    `Microsoft a répondu\u00a0: ${answer}. Demandez à un administrateur général de réessayer.`,
  noConsent: 'aucun consentement',
  identityUnavailable:
    'Roomlink ne parvient pas à joindre le service de connexion de Microsoft pour le moment. Réessayez dans quelques minutes\u00a0; si le problème persiste, prévenez votre administrateur informatique.',
  consoleUnavailableTitle: 'Le service de connexion de Microsoft est injoignable',
  consoleUnavailableText:
    'Roomlink ne parvient pas à joindre le service de connexion de Microsoft pour le moment\u00a0: vous ne pouvez pas vous connecter à la console d’administration. Réessayez dans quelques minutes\u00a0; si le problème persiste, la personne qui gère le serveur Roomlink doit vérifier qu’il peut joindre Microsoft (HTTPS sortant vers l’hôte de MS_AUTHORITY).',
  consentUnavailableTitle: 'Roomlink ne parvient pas à joindre Microsoft',
  consentUnavailableText:
    'Roomlink ne parvient pas à joindre le service de connexion de Microsoft pour préparer le lien de consentement administrateur. Réessayez dans quelques minutes. Si le problème persiste, le serveur Roomlink doit pouvoir établir des connexions HTTPS sortantes (port 443) vers l’hôte de MS_AUTHORITY, login.microsoftonline.com par défaut\u00a0: voir la section «\u00a0Network\u00a0» du guide de déploiement de Roomlink (docs/deploy-microsoft-365.md).',
};

export const AUTH_PAGE_STRINGS: Readonly<Record<Language, AuthPageStrings>> = { en, fr };

/**
 * The language a flow's start asked for with ?lang=, read as the console reads its own ?lang=
 * ("fr-CA" asks for French); undefined when it asks for none Roomlink speaks. A repeated ?lang is an
 * array: no choice.
 */
export function askedLanguage(lang: unknown): Language | undefined {
  if (typeof lang !== 'string') return undefined;
  // pickLanguage answers its fallback for a tag it does not know: two different fallbacks agree
  // only on a tag it does.
  const picked = pickLanguage([lang], 'en');
  return pickLanguage([lang], 'fr') === picked ? picked : undefined;
}

/** Whether a value is exactly one of the pages' languages (what a flow's language cookie may hold). */
export function isPageLanguage(value: unknown): value is Language {
  return typeof value === 'string' && Object.hasOwn(AUTH_PAGE_STRINGS, value);
}

/** A flow's language: the one asked for at its start, else the browser's, else English. */
export function flowLanguage(asked: Language | undefined, acceptLanguage: string | undefined): Language {
  return pickLanguage([asked, ...parseAcceptLanguage(acceptLanguage)], 'en');
}

/** Where the dialog page loads Office.js from, as every add-in page must (Microsoft's CDN). */
export const OFFICE_JS_URL = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';

/**
 * The page the sign-in dialog ends on: it hands its result to the task pane with messageParent.
 *
 * The message goes to Roomlink's own origin only (`targetOrigin`, DialogOrigin 1.1): the task pane
 * that opened the dialog is served by this same server (/addin/, the manifest's SourceLocation), and
 * Office then delivers the message to a parent runtime on that origin and no other, should the task
 * pane have been navigated elsewhere. Office clients without DialogOrigin 1.1 ignore the option and
 * deliver to the dialog's own domain, which is the same one.
 */
export function dialogPage(
  reply: FastifyReply,
  baseUrl: URL,
  language: Language,
  status: number,
  message: Record<string, string>,
  text: string,
) {
  const payload = scriptString(JSON.stringify(message));
  const options = `{ targetOrigin: ${scriptString(baseUrl.origin)} }`;
  const nonce = randomBytes(16).toString('base64');
  return sendPage(
    reply,
    status,
    page(
      language,
      'Roomlink',
      text,
      `<script nonce="${nonce}" src="${OFFICE_JS_URL}"></script>
<script nonce="${nonce}">
  Office.onReady(function () { Office.context.ui.messageParent(${payload}, ${options}); });
</script>`,
    ),
    { nonce },
  );
}

/**
 * Where a browser sign-in ends: a page of Roomlink's own that moves on to the console, not a redirect.
 * The callback is reached from the identity platform's site, and a redirect from there would still
 * be a cross-site navigation, on which browsers do not send the SameSite=Strict session cookie just
 * set: the console would answer "sign in" again. A navigation started by this page is same-site.
 *
 * A language asked for with ?lang= goes on to the console's own ?lang=, so that a choice made by a
 * link survives the round trip to Microsoft; without one, the console negotiates with the browser
 * as this page did, and its sign-out then keeps no language the visitor never picked.
 */
export function consolePage(reply: FastifyReply, language: Language, asked: Language | undefined) {
  const w = AUTH_PAGE_STRINGS[language];
  const target = escapeHtml(asked ? `/admin?lang=${asked}` : '/admin');
  return sendPage(
    reply,
    200,
    page(
      language,
      w.signedInTitle,
      w.openingConsole,
      `<p><a href="${target}">${escapeHtml(w.continueToConsole)}</a></p>`,
      `<meta http-equiv="refresh" content="0;url=${target}">`,
    ),
  );
}

/**
 * The page of a console sign-in or an admin consent that could not reach Microsoft's identity
 * platform: 503, and like every page here, no script.
 */
export function unavailablePage(reply: FastifyReply, language: Language, flow: 'console' | 'consent') {
  const w = AUTH_PAGE_STRINGS[language];
  return flow === 'console'
    ? consentPage(reply, language, 503, w.consoleUnavailableTitle, w.consoleUnavailableText)
    : consentPage(reply, language, 503, w.consentUnavailableTitle, w.consentUnavailableText);
}

/** An answer page of the admin consent flow. */
export function consentPage(
  reply: FastifyReply,
  language: Language,
  status: number,
  title: string,
  text: string,
) {
  return sendPage(reply, status, page(language, title, text));
}

/**
 * The pages' one style sheet, allowed by its hash: no other inline style (nor any style sheet from
 * elsewhere) applies.
 */
const STYLE = 'body{font:16px system-ui,sans-serif;margin:2rem;color:#1b1b1b}';
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`;

/**
 * The pages' Content-Security-Policy. No page may be framed (the Office dialog is a window of its
 * own, never a frame: Roomlink does not ask for displayInIframe), change its base URL or submit a
 * form, and no plug-in runs.
 *
 * The console's and admin consent's pages run no script: nothing may load there but their own style
 * sheet (`default-src 'none'`). The dialog's page runs Office.js, whose needs Microsoft does not
 * publish (OfficeDev/office-js#1005: it loads further scripts, from other CDNs in some hosts, sends
 * telemetry, and some hosts inject styles): there, only scripts are restricted, in the "strict CSP"
 * form — Office.js and the inline script by this response's nonce, and what they load themselves
 * (`'strict-dynamic'`; the Office.js origin is for browsers without it). An injected script has no
 * nonce and does not run; loads that cannot run code (styles, images, connections) stay as Office.js
 * needs them.
 */
export function authPageCsp(nonce?: string): string {
  const common = ["object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"];
  if (nonce)
    return [`script-src 'nonce-${nonce}' 'strict-dynamic' ${new URL(OFFICE_JS_URL).origin}`, ...common].join(
      '; ',
    );
  return ["default-src 'none'", `style-src ${STYLE_HASH}`, ...common].join('; ');
}

/**
 * Every page here answers one flow, in a language a cookie chose, and is reached with codes or
 * consent answers in its URL: nothing to keep a copy of, and nothing for a link on it to pass on.
 * Its headers are the admin console's (admin/pages.ts) with a policy of its own.
 */
function sendPage(reply: FastifyReply, status: number, html: string, script: { nonce?: string } = {}) {
  return reply
    .code(status)
    .header('content-security-policy', authPageCsp(script.nonce))
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(html);
}

/**
 * A JavaScript string literal of `value` for an inline script: JSON, with `<` escaped so that nothing
 * in it can close the script element.
 */
function scriptString(value: string): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c');
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(language: Language, title: string, text: string, extra = '', head = ''): string {
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${head}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main>${extra}</body></html>`;
}
