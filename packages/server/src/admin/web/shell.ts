/**
 * The admin console's HTML: the page shell the console script fills in, and the pages shown to a
 * visitor who is not signed in or not a tenant admin. Nothing here holds data: the script loads it
 * from the JSON API, so the shell can be the same for every admin.
 */

export const ASSET_PATH = '/admin/assets';

function page(title: string, body: string, options: { script?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en">
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

export function consolePage(): string {
  return page(
    'Roomlink administration',
    `<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <h1>Roomlink administration</h1>
  <p id="tenant-line" class="muted">Loading…</p>
  <nav aria-label="Sections">
    <ul>
      <li><a href="#settings">Settings</a></li>
      <li><a href="#instructions">Join instructions</a></li>
      <li><a href="#users">Users</a></li>
      <li><a href="#audit">Audit log</a></li>
      <li><a href="#privacy">Retention</a></li>
    </ul>
  </nav>
  <p class="session">
    <button type="button" id="sign-out" class="secondary" aria-describedby="sign-out-hint">Sign out of the console</button>
    <span class="hint" id="sign-out-hint">Ends this browser’s console session only: your Outlook add-in and
      calendar sync stay signed in.</span>
  </p>
</header>
<main id="main">
  <div id="status" role="status" aria-live="polite" class="status"></div>

  <section id="settings" aria-labelledby="settings-title">
    <h2 id="settings-title">Settings</h2>
    <form id="settings-form" novalidate>
      <div class="field">
        <label for="defaultLanguage">Default language of join instructions</label>
        <select id="defaultLanguage" name="defaultLanguage" aria-describedby="err-defaultLanguage">
          <option value="en">English</option>
          <option value="fr">Français</option>
        </select>
        <p class="error" id="err-defaultLanguage" data-error-for="/defaultLanguage"></p>
      </div>
      <div class="field">
        <label for="pinLength">Digits in host and guest PINs (4 to 10)</label>
        <input id="pinLength" name="pinLength" type="number" min="4" max="10" step="1" required
          aria-describedby="err-pinLength">
        <p class="error" id="err-pinLength" data-error-for="/pinLength"></p>
      </div>
      <div class="field check">
        <input id="guestPinDefault" name="guestPinDefault" type="checkbox">
        <label for="guestPinDefault">Guest PIN on new meetings by default</label>
      </div>
      <div class="field check">
        <input id="lobbyDefault" name="lobbyDefault" type="checkbox">
        <label for="lobbyDefault">Lobby on new meetings by default</label>
      </div>
      <div class="field check">
        <input id="addToEveryMeetingDefault" name="addToEveryMeetingDefault" type="checkbox">
        <label for="addToEveryMeetingDefault">Add Roomlink to every meeting by default</label>
      </div>
      <div class="field">
        <label for="retentionDays">Keep meeting details for this many days after a meeting ends</label>
        <input id="retentionDays" name="retentionDays" type="number" min="1" max="89" step="1"
          aria-describedby="retention-hint err-retentionDays">
        <p class="hint" id="retention-hint">Leave empty for the default and longest period, 3 months.
          You can shorten it (1 to 89 days), never lengthen it.</p>
        <p class="error" id="err-retentionDays" data-error-for="/retentionDays"></p>
      </div>
      <button type="submit">Save settings</button>
    </form>
  </section>

  <section id="instructions" aria-labelledby="instructions-title">
    <h2 id="instructions-title">Join instructions</h2>
    <p class="hint">The block Roomlink writes into invitations. Templates use Handlebars variables such as
      <code>{{joinUrl}}</code>, <code>{{formatConferenceId conferenceId}}</code>, <code>{{guestPin}}</code>,
      <code>{{sipUri}}</code>, <code>{{dialIn.number}}</code>. The preview shows a sample meeting.</p>
    <form id="templates-form" novalidate>
      <div id="template-editors"></div>
      <button type="submit">Save join instructions</button>
    </form>
  </section>

  <section id="users" aria-labelledby="users-title">
    <h2 id="users-title">Users</h2>
    <p class="hint">Users are listed in the order they first signed in. Names and sign-in names are held
      encrypted, so they cannot be searched here.</p>
    <div id="users-table"></div>
    <button type="button" id="users-more" class="secondary" hidden>Show more users</button>
    <p>
      <a class="button secondary" id="export-tenant" href="/api/v1/admin/export"
        download>Export all of the organisation’s data</a>
      (every user’s export, meetings of users no longer known, settings and the audit log, as one
      JSON file; one such export runs at a time)
    </p>
  </section>

  <section id="audit" aria-labelledby="audit-title">
    <h2 id="audit-title">Audit log</h2>
    <p class="hint">Who did what, by ids and counts only: no titles, times or addresses.</p>
    <div id="audit-table"></div>
    <button type="button" id="audit-more" hidden>Show older entries</button>
  </section>

  <section id="privacy" aria-labelledby="privacy-title">
    <h2 id="privacy-title">Retention</h2>
    <div id="retention-facts"></div>
  </section>
</main>`,
    { script: true },
  );
}

export function signInPage(): string {
  return page(
    'Sign in — Roomlink administration',
    `<main id="main" class="narrow">
  <h1>Roomlink administration</h1>
  <p>Sign in with your Microsoft 365 work account to manage Roomlink for your organisation.</p>
  <p><a class="button" href="/auth/signin">Sign in</a></p>
</main>`,
  );
}

export function forbiddenPage(): string {
  return page(
    'Not allowed — Roomlink administration',
    `<main id="main" class="narrow">
  <h1>You are not a tenant admin</h1>
  <p>The Roomlink administration is for your organisation's Microsoft 365 administrators. Ask one of
    them if you need a setting changed.</p>
  <p><a href="/auth/signin">Sign in with another account</a></p>
</main>`,
  );
}
