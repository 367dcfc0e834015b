/**
 * The admin console's HTML: the page shell the console script fills in, and the pages shown to a
 * visitor who is not signed in or not a tenant admin. Nothing here holds data: the script loads it
 * from the JSON API, so the shell is the same for every admin who reads the same language. The
 * language is said in <html lang>, which is how the script (no inline script under the CSP) learns it.
 */
import type { Language } from '@roomlink/rooms';
import { type StringKey, text } from './strings.js';

export const ASSET_PATH = '/admin/assets';

/** Our own words, escaped all the same: a translation may hold "&" or "<" one day. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function words(language: Language) {
  return (key: StringKey, vars?: Record<string, string>) => escapeHtml(text(language, key, vars));
}

/**
 * Where to sign in: the sign-in flow's pages speak this page's language, and the console it ends on
 * opens in it (the flow keeps ?lang= across the round trip to Microsoft).
 */
function signInHref(language: Language): string {
  return `/auth/signin?lang=${language}`;
}

/** A link to this page in the other language, written in that language (as the join page does). */
function languageSwitch(language: Language): string {
  const other: Language = language === 'en' ? 'fr' : 'en';
  const w = words(language);
  return `<a class="language-switch" href="/admin?lang=${other}" hreflang="${other}" lang="${other}"
    aria-label="${w('otherLanguageLabel')}">${w('otherLanguage')}</a>`;
}

function page(language: Language, title: string, body: string, options: { script?: boolean } = {}): string {
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSET_PATH}/console.css">
${options.script ? `<script type="module" src="${ASSET_PATH}/console.js"></script>` : ''}
</head>
<body>
${body}
</body>
</html>
`;
}

export function consolePage(language: Language = 'en'): string {
  const w = words(language);
  // Examples of template variables: code, the same in every language.
  const variables = [
    '{{joinUrl}}',
    '{{formatConferenceId conferenceId}}',
    '{{guestPin}}',
    '{{sipUri}}',
    '{{dialIn.number}}',
  ]
    .map((v) => `<code>${escapeHtml(v)}</code>`)
    .join(', ');
  const languageOption = (value: Language, key: StringKey) => `<option value="${value}">${w(key)}</option>`;
  return page(
    language,
    w('consoleTitle'),
    `<a class="skip" href="#main">${w('skipToContent')}</a>
<header class="top">
  ${languageSwitch(language)}
  <h1>${w('consoleTitle')}</h1>
  <p id="tenant-line" class="muted">${w('loading')}</p>
  <nav aria-label="${w('sectionsLabel')}">
    <ul>
      <li><a href="#settings">${w('settings')}</a></li>
      <li><a href="#instructions">${w('instructions')}</a></li>
      <li><a href="#users">${w('users')}</a></li>
      <li><a href="#audit">${w('audit')}</a></li>
      <li><a href="#privacy">${w('retention')}</a></li>
    </ul>
  </nav>
  <p class="session">
    <button type="button" id="sign-out" class="secondary" aria-describedby="sign-out-hint">${w('signOut')}</button>
    <span class="hint" id="sign-out-hint">${w('signOutHint')}</span>
  </p>
</header>
<main id="main">
  <div id="status" role="status" aria-live="polite" class="status"></div>

  <section id="settings" aria-labelledby="settings-title">
    <h2 id="settings-title">${w('settings')}</h2>
    <form id="settings-form" novalidate>
      <div class="field">
        <label for="defaultLanguage">${w('defaultLanguageLabel')}</label>
        <select id="defaultLanguage" name="defaultLanguage" aria-describedby="err-defaultLanguage">
          ${languageOption('en', 'languageTitleEn')}
          ${languageOption('fr', 'languageTitleFr')}
        </select>
        <p class="error" id="err-defaultLanguage" data-error-for="/defaultLanguage"></p>
      </div>
      <div class="field">
        <label for="pinLength">${w('pinLengthLabel')}</label>
        <input id="pinLength" name="pinLength" type="number" min="4" max="10" step="1" required
          aria-describedby="err-pinLength">
        <p class="error" id="err-pinLength" data-error-for="/pinLength"></p>
      </div>
      <div class="field check">
        <input id="guestPinDefault" name="guestPinDefault" type="checkbox">
        <label for="guestPinDefault">${w('guestPinDefaultLabel')}</label>
      </div>
      <div class="field check">
        <input id="lobbyDefault" name="lobbyDefault" type="checkbox">
        <label for="lobbyDefault">${w('lobbyDefaultLabel')}</label>
      </div>
      <div class="field check">
        <input id="addToEveryMeetingDefault" name="addToEveryMeetingDefault" type="checkbox">
        <label for="addToEveryMeetingDefault">${w('addToEveryMeetingDefaultLabel')}</label>
      </div>
      <div class="field">
        <label for="retentionDays">${w('retentionDaysLabel')}</label>
        <input id="retentionDays" name="retentionDays" type="number" min="1" max="89" step="1"
          aria-describedby="retention-hint err-retentionDays">
        <p class="hint" id="retention-hint">${w('retentionHint')}</p>
        <p class="error" id="err-retentionDays" data-error-for="/retentionDays"></p>
      </div>
      <button type="submit">${w('saveSettings')}</button>
    </form>
  </section>

  <section id="instructions" aria-labelledby="instructions-title">
    <h2 id="instructions-title">${w('instructions')}</h2>
    <p class="hint">${escapeHtml(text(language, 'instructionsHint')).replace('{variables}', variables)}</p>
    <form id="templates-form" novalidate>
      <div id="template-editors"></div>
      <button type="submit">${w('saveInstructions')}</button>
    </form>
  </section>

  <section id="users" aria-labelledby="users-title">
    <h2 id="users-title">${w('users')}</h2>
    <p class="hint">${w('usersHint')}</p>
    <div id="users-table"></div>
    <button type="button" id="users-more" class="secondary" hidden>${w('showMoreUsers')}</button>
    <p>
      <a class="button secondary" id="export-tenant" href="/api/v1/admin/export"
        download>${w('exportTenant')}</a>
      ${w('exportTenantNote')}
    </p>
  </section>

  <section id="audit" aria-labelledby="audit-title">
    <h2 id="audit-title">${w('audit')}</h2>
    <p class="hint">${w('auditHint')}</p>
    <div id="audit-table"></div>
    <button type="button" id="audit-more" hidden>${w('showOlderEntries')}</button>
  </section>

  <section id="privacy" aria-labelledby="privacy-title">
    <h2 id="privacy-title">${w('retention')}</h2>
    <div id="retention-facts"></div>
  </section>
</main>`,
    { script: true },
  );
}

export function signInPage(language: Language = 'en'): string {
  const w = words(language);
  return page(
    language,
    w('signInPageTitle'),
    `<main id="main" class="narrow">
  ${languageSwitch(language)}
  <h1>${w('consoleTitle')}</h1>
  <p>${w('signInIntro')}</p>
  <p><a class="button" href="${signInHref(language)}">${w('signIn')}</a></p>
</main>`,
  );
}

export function forbiddenPage(language: Language = 'en'): string {
  const w = words(language);
  return page(
    language,
    w('forbiddenPageTitle'),
    `<main id="main" class="narrow">
  ${languageSwitch(language)}
  <h1>${w('forbiddenHeading')}</h1>
  <p>${w('forbiddenText')}</p>
  <p><a href="${signInHref(language)}">${w('signInOther')}</a></p>
</main>`,
  );
}
