/**
 * The admin console's browser script, served at /admin/assets/console.js. It is plain JavaScript
 * kept in a TypeScript module so that `tsc -b` output serves it (tsc copies no .js assets) and the
 * server needs no file from src/ at run time.
 *
 * Rules it keeps: data reaches the page through textContent and form values only, never innerHTML;
 * template previews render in a sandboxed iframe (no scripts, opaque origin); every control has a
 * label; problems are shown next to their field (matched by JSON pointer) and announced.
 *
 * It also keeps admins from undoing each other: settings are saved with the version they were
 * loaded at (If-Match), and a save refused as stale reloads them and says what changed elsewhere,
 * keeping what the admin typed on the page. Each form saves only what it edits and leaves the other
 * form's unsaved input alone.
 */

/**
 * "1 user", "2 users", "0 users": the console is English only. The function is written once here,
 * tested in Node and embedded below through its source text, so it must stay self-contained (no
 * reference to anything outside its body, no TypeScript-only syntax beyond type annotations).
 */
export function countOf(count: number, singular: string, plural: string): string {
  return `${count} ${new Intl.PluralRules('en').select(count) === 'one' ? singular : plural}`;
}

/**
 * A time as the admin's browser shows it, with its zone ("3 Sept 2026, 14:05 GMT+2"): the same
 * instant is not read differently by admins in different places. Embedded like countOf.
 */
export function formatTime(iso: string | null, timeZone?: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  });
}

export const CONSOLE_SCRIPT = String.raw`
const API = '/api/v1/admin';
const SIGN_IN = '/auth/signin';
${countOf.toString()}
${formatTime.toString()}
const LANGS = [['en', 'English'], ['fr', 'Français']];
const STATUS_LABEL = { signed_in: 'Signed in', needs_sign_in: 'Needs sign-in', signed_out: 'Signed out' };
const SYNC_LABEL = { syncing: 'Syncing', needs_sign_in: 'Needs sign-in', stopped: 'Stopped', off: 'Off' };
const SETTING_LABEL = {
  defaultLanguage: 'default language',
  pinLength: 'PIN digits',
  guestPinDefault: 'guest PIN default',
  lobbyDefault: 'lobby default',
  addToEveryMeetingDefault: 'add to every meeting',
  retentionDays: 'days meeting details are kept',
};
const state = {
  settings: null, etag: null, defaults: null, auditNext: null, usersNext: null, usersShown: 0, previewSeq: {},
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function say(message, kind) {
  const status = document.getElementById('status');
  status.replaceChildren(message);
  status.className = 'status ' + (kind || '');
}

// A failure, said in words. A session that has ended gets a link to sign in again, in a new tab, so
// that what the admin typed here stays on this page to be saved afterwards.
function fail(prefix, error) {
  if (error && error.status === 401) {
    const status = document.getElementById('status');
    status.className = 'status fail';
    status.replaceChildren(
      prefix + 'your console session has ended. ',
      el('a', { href: SIGN_IN, target: '_blank', rel: 'noopener', id: 'sign-in-again', text: 'Sign in again' }),
      ' (opens a new tab), then try again here: what you entered is still on this page.',
    );
    return;
  }
  say(prefix + (error && error.message ? error.message : String(error)), 'fail');
}

// The answer's JSON, or an error saying what came back. An answer that is not JSON did not come
// from Roomlink (every answer of its API is JSON or problem+json): a proxy or gateway in front
// answered instead, e.g. a 504 when Roomlink took too long, and the action may have completed.
async function request(method, path, body, headers) {
  const sent = Object.assign({ accept: 'application/json' }, headers || {});
  if (body !== undefined) sent['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(API + path, {
      method,
      credentials: 'same-origin',
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    const error = new Error('Roomlink could not be reached (' + cause.message + '): the action may or may not ' +
      'have completed; reload the page to see.');
    error.problem = {};
    throw error;
  }
  const type = (response.headers.get('content-type') || '').toLowerCase();
  const isJson = /^application\/(problem\+)?json\b/.test(type);
  const text = await response.text();
  if (text && !isJson) {
    const error = new Error('HTTP ' + response.status + ' from a proxy or gateway, not from Roomlink: the ' +
      'action may have completed anyway; reload the page to see.');
    error.problem = {};
    error.status = response.status;
    throw error;
  }
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.detail) || 'HTTP ' + response.status);
    error.problem = data || {};
    error.status = response.status;
    throw error;
  }
  return { data, response };
}

async function call(method, path, body, headers) {
  return (await request(method, path, body, headers)).data;
}

// Days (contract end, deletion day) are UTC calendar days.
function formatDay(day) {
  return day + ' (UTC)';
}

// Problems point at fields: Fastify's schema errors as "body/pinLength", ours as "/templates/en/html".
function pointer(path) {
  return '/' + String(path || '').replace(/^body/, '').replace(/^\/+/, '');
}

function clearErrors(scope) {
  for (const p of scope.querySelectorAll('[data-error-for]')) p.textContent = '';
  for (const input of scope.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

function showErrors(scope, problem, prefix) {
  let shown = 0;
  for (const e of (problem && problem.errors) || []) {
    const path = (prefix || '') + pointer(e.path);
    const target = scope.querySelector('[data-error-for="' + CSS.escape(path) + '"]');
    if (!target) continue;
    // A template problem's message already says where (line and column), so they are not added again.
    target.textContent = e.message;
    const input = document.getElementById(target.id.replace(/^err-/, ''));
    if (input) input.setAttribute('aria-invalid', 'true');
    shown++;
  }
  return shown;
}

// ---- settings ---------------------------------------------------------------------------------

function fillSettings(s) {
  const form = document.getElementById('settings-form');
  form.defaultLanguage.value = s.defaultLanguage;
  form.pinLength.value = String(s.pinLength);
  form.guestPinDefault.checked = s.guestPinDefault;
  form.lobbyDefault.checked = s.lobbyDefault;
  form.addToEveryMeetingDefault.checked = s.addToEveryMeetingDefault;
  form.retentionDays.value = s.retentionDays === null ? '' : String(s.retentionDays);
}

function readSettings() {
  const form = document.getElementById('settings-form');
  const days = form.retentionDays.value.trim();
  const pin = form.pinLength.value.trim();
  return {
    defaultLanguage: form.defaultLanguage.value,
    pinLength: pin === '' ? null : Number(pin),
    guestPinDefault: form.guestPinDefault.checked,
    lobbyDefault: form.lobbyDefault.checked,
    addToEveryMeetingDefault: form.addToEveryMeetingDefault.checked,
    retentionDays: days === '' ? null : Number(days),
  };
}

function readTemplates() {
  const templates = {};
  for (const [lang] of LANGS) {
    templates[lang] = {
      html: document.getElementById('tpl-' + lang + '-html').value,
      text: document.getElementById('tpl-' + lang + '-text').value,
    };
  }
  return templates;
}

async function loadSettings() {
  const data = await call('GET', '/settings');
  state.settings = data.settings;
  state.defaults = data.defaultTemplates;
  // The version from the body, not the ETag header, which a proxy may weaken or drop.
  state.etag = '"' + data.version + '"';
  return data.settings;
}

// What another admin (or tab) changed, between the settings this page had and those stored now.
function changedElsewhere(before, after) {
  const names = Object.keys(SETTING_LABEL).filter((key) => before[key] !== after[key]).map((key) => SETTING_LABEL[key]);
  for (const [lang, name] of LANGS) {
    const a = before.templates[lang];
    const b = after.templates[lang];
    if ((a && a.html) !== (b && b.html) || (a && a.text) !== (b && b.text)) names.push(name + ' join instructions');
  }
  return names;
}

// Saves with the version this page loaded (If-Match). Only the form being saved is refilled from the
// answer: the other form keeps whatever is being typed in it.
async function saveSettings(body, scope, done, refill) {
  clearErrors(scope);
  try {
    const data = await call('PUT', '/settings', body, { 'if-match': state.etag });
    state.settings = data.settings;
    state.etag = '"' + data.version + '"';
    if (refill) refill(data.settings);
    const warnings = data.warnings.map((w) => w.message).join(' ');
    say(done + (warnings ? ' Note: ' + warnings : ''), 'ok');
    loadAudit(true).catch((error) => fail('Could not load the audit log: ', error));
    loadOverview().catch((error) => fail('Could not load the overview: ', error));
  } catch (error) {
    if (error.status === 412) return staleSave(scope);
    const shown = showErrors(scope, error.problem);
    if (shown) say('Not saved: please correct the fields marked below.', 'fail');
    else fail('Not saved: ', error);
  }
}

// Someone else saved since this page loaded the settings: nothing of this save was written. The
// current settings are loaded (the next save is based on them) but not put into the forms, so that
// what the admin typed stays; the admin is told what changed elsewhere, to check before saving again.
async function staleSave(scope) {
  const before = state.settings;
  try {
    const now = await loadSettings();
    const changed = changedElsewhere(before, now);
    say('Not saved: the settings were changed elsewhere (by another admin, or in another tab) since this page ' +
      'loaded them' + (changed.length ? ' — changed there: ' + changed.join(', ') : '') + '. What you entered is ' +
      'still on this page and was not saved: check it against the current settings (reload the page to see ' +
      'them), then save again to replace them.', 'fail');
    scope.dataset.stale = 'true';
    loadOverview().catch(() => undefined);
  } catch (error) {
    fail('Not saved: the settings were changed elsewhere since this page loaded them, and could not be ' +
      'loaded again: ', error);
  }
}

// ---- join instructions ------------------------------------------------------------------------

function renderEditors() {
  const box = document.getElementById('template-editors');
  box.replaceChildren();
  for (const [lang, name] of LANGS) {
    const own = state.settings.templates[lang] || state.defaults[lang];
    const area = (field, label) => {
      const id = 'tpl-' + lang + '-' + field;
      const textarea = el('textarea', {
        id,
        name: id,
        spellcheck: 'false',
        'aria-describedby': 'err-' + id,
        oninput: () => schedulePreview(lang),
      });
      textarea.value = own[field];
      return el(
        'div',
        { class: 'field' },
        el('label', { for: id, text: label }),
        textarea,
        el('p', { class: 'error', id: 'err-' + id, 'data-error-for': '/templates/' + lang + '/' + field }),
      );
    };
    const reset = el('button', {
      type: 'button',
      class: 'secondary',
      text: 'Restore the built-in ' + name + ' templates',
      onclick: () => {
        document.getElementById('tpl-' + lang + '-html').value = state.defaults[lang].html;
        document.getElementById('tpl-' + lang + '-text').value = state.defaults[lang].text;
        schedulePreview(lang, 0);
      },
    });
    const preview = el(
      'div',
      { class: 'preview' },
      el('h3', { text: 'Preview (' + name + ')' }),
      el('iframe', { id: 'preview-' + lang + '-html', title: 'Preview of the ' + name + ' HTML instructions', sandbox: '' }),
      el('pre', { id: 'preview-' + lang + '-text', 'aria-label': 'Preview of the ' + name + ' plain-text instructions' }),
      el('p', { class: 'warning', id: 'warn-' + lang }),
    );
    box.append(
      el(
        'fieldset',
        { class: 'language', id: 'lang-' + lang, lang },
        el('legend', { text: name }),
        el(
          'div',
          { class: 'editor-grid' },
          el('div', {}, area('html', name + ' HTML template'), area('text', name + ' plain-text template'), reset),
          preview,
        ),
      ),
    );
    schedulePreview(lang, 0);
  }
}

const previewTimers = {};
function schedulePreview(lang, delay) {
  clearTimeout(previewTimers[lang]);
  previewTimers[lang] = setTimeout(() => preview(lang), delay === undefined ? 300 : delay);
}

async function preview(lang) {
  const seq = (state.previewSeq[lang] || 0) + 1;
  state.previewSeq[lang] = seq;
  const fieldset = document.getElementById('lang-' + lang);
  const body = {
    language: lang,
    html: document.getElementById('tpl-' + lang + '-html').value,
    text: document.getElementById('tpl-' + lang + '-text').value,
  };
  let outcome;
  try {
    outcome = { ok: true, result: await call('POST', '/templates/preview', body) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  if (state.previewSeq[lang] !== seq) return; // a newer edit is being previewed
  clearErrors(fieldset);
  const warning = document.getElementById('warn-' + lang);
  if (outcome.ok) {
    document.getElementById('preview-' + lang + '-html').srcdoc = outcome.result.html;
    document.getElementById('preview-' + lang + '-text').textContent = outcome.result.text;
    warning.textContent = outcome.result.warnings.map((w) => w.message).join(' ');
    fieldset.dataset.preview = 'ok';
  } else {
    if (!showErrors(fieldset, outcome.error.problem, '/templates/' + lang)) fail('Preview failed: ', outcome.error);
    warning.textContent = '';
    fieldset.dataset.preview = 'error';
  }
}

// ---- downloads ----------------------------------------------------------------------------------

// An export is fetched rather than left to the browser's download: a link's download fails without a
// word when the session has ended or the server refuses (another export running); here every
// refusal is said. The file is then saved from memory (the browser keeps large ones on disk).
async function download(link, what) {
  const url = link.getAttribute('href');
  if (link.dataset.busy === 'true') return;
  link.dataset.busy = 'true';
  link.setAttribute('aria-disabled', 'true');
  say('Exporting ' + what + '…', '');
  try {
    let response;
    try {
      response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    } catch (cause) {
      throw Object.assign(new Error('Roomlink could not be reached (' + cause.message + ').'), { problem: {} });
    }
    if (!response.ok) {
      const type = (response.headers.get('content-type') || '').toLowerCase();
      const text = await response.text();
      const data = /^application\/(problem\+)?json\b/.test(type) && text ? JSON.parse(text) : null;
      const error = new Error(data && data.detail ? data.detail : 'HTTP ' + response.status +
        (data ? '' : ' from a proxy or gateway, not from Roomlink'));
      error.status = response.status;
      throw error;
    }
    // The server names the file (Content-Disposition).
    const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') || '');
    const name = named ? named[1] : 'roomlink-export.json';
    const reader = response.body.getReader();
    const parts = [];
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      bytes += value.byteLength;
      say('Exporting ' + what + '… ' + (bytes / 1048576).toFixed(1) + ' MB received', '');
    }
    const blob = new Blob(parts, { type: 'application/json' });
    const href = URL.createObjectURL(blob);
    const save = el('a', { href, download: name, hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
    say('Exported ' + what + ': ' + name + ' (' + (bytes / 1048576).toFixed(1) + ' MB).', 'ok');
    loadAudit(true).catch(() => undefined);
  } catch (error) {
    fail('Could not export ' + what + ': ', error);
  } finally {
    delete link.dataset.busy;
    link.removeAttribute('aria-disabled');
  }
}

// ---- users --------------------------------------------------------------------------------------

// null: not held (a signed-out user's name is forgotten); { unreadable: true }: held, no longer decrypts.
function shown(value, absent) {
  if (typeof value === 'string') return value;
  if (value && value.unreadable) return '(unreadable)';
  return absent;
}

function userLabel(user) {
  if (typeof user.name === 'string') return user.name;
  if (typeof user.upn === 'string') return user.upn;
  return 'user ' + user.id.slice(0, 8);
}

function userRow(user) {
  const label = userLabel(user);
  const exportLink = el('a', {
    class: 'button secondary',
    href: API + '/users/' + encodeURIComponent(user.id) + '/export',
    'aria-label': 'Export the data of ' + label,
    text: 'Export',
    onclick: (event) => {
      event.preventDefault();
      download(event.currentTarget, 'the data of ' + label);
    },
  });
  const eraseButton = el('button', {
    type: 'button',
    class: 'danger',
    'aria-label': 'Erase ' + label,
    text: 'Erase',
    onclick: () => erase(user),
  });
  return el(
    'tr',
    { 'data-user-id': user.id },
    el('td', { text: shown(user.name, '(not kept after sign-out)') }),
    el('td', { text: shown(user.upn, '—') }),
    el('td', {}, el('span', { class: 'badge ' + user.status, text: STATUS_LABEL[user.status] || user.status }),
      user.isTenantAdmin ? el('span', { class: 'badge', text: 'Admin' }) : null),
    el('td', { text: formatTime(user.lastSignInAt) }),
    el('td', { class: 'sync', 'data-sync': user.sync.status },
      el('span', { class: 'badge ' + user.sync.status, text: SYNC_LABEL[user.sync.status] || user.sync.status }),
      el('span', { text: ' last change seen ' + (user.sync.lastChangeAt ? formatTime(user.sync.lastChangeAt) : 'never') })),
    el('td', { text: String(user.meetings) }),
    el('td', { class: 'actions' }, exportLink, eraseButton),
  );
}

// A page at a time (the API's), oldest first: "Show more users" appends the next page.
async function loadUsers(reset) {
  if (reset) state.usersNext = null;
  const query = state.usersNext ? '?after=' + encodeURIComponent(state.usersNext) : '';
  const { users, total, next } = await call('GET', '/users' + query);
  const box = document.getElementById('users-table');
  let body = box.querySelector('tbody');
  if (reset || !body) {
    body = el('tbody');
    state.usersShown = 0;
    box.replaceChildren(
      el('table', {},
        el('caption', {}),
        el('thead', {}, el('tr', {}, ...['Name', 'Sign-in name', 'Status', 'Last sign-in', 'Calendar sync', 'Meetings', 'Data']
          .map((h) => el('th', { scope: 'col', text: h })))),
        body),
    );
  }
  for (const user of users) body.append(userRow(user));
  state.usersShown += users.length;
  state.usersNext = next;
  box.querySelector('caption').textContent = next
    ? 'Showing ' + state.usersShown + ' of ' + countOf(total, 'user', 'users') + ', oldest first'
    : countOf(state.usersShown, 'user', 'users');
  document.getElementById('users-more').hidden = !next;
}

async function erase(user) {
  const label = userLabel(user);
  const question = 'Erase ' + label + '? Their rooms are cancelled (join links already sent stop working), and ' +
    'their meetings, tokens, sessions and user record are deleted. This cannot be undone.\n\n' +
    'What stays: audit log entries about them, which hold only their user id and counts. If they sign in ' +
    'again later, Roomlink creates a new user for them.';
  if (!window.confirm(question)) return;
  try {
    const result = await call('DELETE', '/users/' + encodeURIComponent(user.id));
    const notEnded = result.roomsNotEnded || 0;
    say('Erased ' + label + ': ' + countOf(result.meetings, 'meeting', 'meetings') + ' deleted.' +
      (notEnded ? ' Warning: ' + countOf(notEnded, 'room', 'rooms') + ' of theirs could not be ended (the ' +
        'server log names the meetings): ' + (notEnded === 1 ? 'its join link' : 'their join links') +
        ' may still open a room, and people already in one may stay connected until they leave.' : ''),
      notEnded ? 'fail' : 'ok');
    await Promise.all([loadUsers(true), loadAudit(true), loadOverview()]);
  } catch (error) {
    fail('Could not erase ' + label + ': ', error);
  }
}

// ---- audit log ----------------------------------------------------------------------------------

async function loadAudit(reset) {
  if (reset) state.auditNext = null;
  const query = state.auditNext ? '?before=' + encodeURIComponent(state.auditNext) : '';
  const { entries, next } = await call('GET', '/audit' + query);
  const box = document.getElementById('audit-table');
  let body = box.querySelector('tbody');
  if (reset || !body) {
    body = el('tbody');
    box.replaceChildren(
      el('table', {},
        el('caption', { text: 'Newest first' }),
        el('thead', {}, el('tr', {}, ...['Time', 'Action', 'By', 'About', 'Details']
          .map((h) => el('th', { scope: 'col', text: h })))),
        body),
    );
  }
  for (const e of entries) {
    const details = Object.entries(e.details).map(([k, v]) => k + ': ' + v).join(', ');
    body.append(el('tr', {},
      el('td', { text: formatTime(e.createdAt) }),
      el('td', {}, el('code', { text: e.action })),
      el('td', { text: e.actorId || '—' }),
      el('td', { text: e.targetType ? e.targetType + ' ' + (e.targetId || '') : '—' }),
      el('td', { text: details })));
  }
  state.auditNext = next;
  document.getElementById('audit-more').hidden = !next;
}

// ---- overview -----------------------------------------------------------------------------------

async function loadOverview() {
  const o = await call('GET', '/overview');
  document.getElementById('tenant-line').textContent = 'Organisation ' + o.tenantId + ' · ' +
    countOf(o.users.total, 'user', 'users') + ' · ' +
    countOf(o.meetings.scheduled, 'scheduled meeting', 'scheduled meetings') + ' and ' +
    countOf(o.meetings.cancelled, 'cancelled meeting', 'cancelled meetings');
  const days = state.settings && state.settings.retentionDays;
  const facts = [
    'Meeting details (subject, times, join details) are deleted ' +
      (days ? countOf(days, 'day', 'days') : countOf(o.retention.defaultMonths, 'month', 'months')) +
      ' after each meeting ends.',
    'A user who signs out keeps no Exchange id, tokens or sessions here.',
    "Your organisation's data is deleted " + countOf(o.retention.accountMonthsAfterContractEnd, 'month', 'months') +
      ' after the contract ends, ending with its encryption key.',
    'Audio, video and chat are never stored.',
  ];
  if (o.contractEnd) {
    facts.push('Contract end recorded: ' + formatDay(o.contractEnd) + '; data deletion on ' +
      formatDay(o.accountPurgeOn) + '.');
  }
  document.getElementById('retention-facts').replaceChildren(el('ul', {}, ...facts.map((f) => el('li', { text: f }))));
}

// ---- sign-out -----------------------------------------------------------------------------------

// Ends this browser's console session only: the admin's Outlook add-in and calendar sync go on.
async function signOut() {
  try {
    await call('DELETE', '/session');
  } catch (error) {
    if (error.status !== 401) return fail('Could not sign out: ', error);
  }
  window.location.assign('/admin');
}

// ---- start --------------------------------------------------------------------------------------

async function start() {
  const settingsForm = document.getElementById('settings-form');
  settingsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    // The join instructions as saved, not as being edited: that form saves its own.
    saveSettings({ ...readSettings(), templates: state.settings.templates }, settingsForm, 'Settings saved.', fillSettings);
  });
  const templatesForm = document.getElementById('templates-form');
  templatesForm.addEventListener('submit', (event) => {
    event.preventDefault();
    // The other settings as saved, not as being edited in the Settings form (left as it is).
    const current = { ...state.settings };
    delete current.templates;
    saveSettings({ ...current, templates: readTemplates() }, templatesForm, 'Join instructions saved.', null);
  });
  document.getElementById('audit-more').addEventListener('click', () =>
    loadAudit(false).catch((error) => fail('Could not load more of the audit log: ', error)));
  document.getElementById('users-more').addEventListener('click', () =>
    loadUsers(false).catch((error) => fail('Could not load more users: ', error)));
  const tenantExport = document.getElementById('export-tenant');
  tenantExport.addEventListener('click', (event) => {
    event.preventDefault();
    download(tenantExport, "all of the organisation's data");
  });
  document.getElementById('sign-out').addEventListener('click', signOut);
  try {
    fillSettings(await loadSettings());
    renderEditors();
  } catch (error) {
    fail('The console could not load: ', error);
    return;
  }
  // Each part on its own: one that fails says so, and does not keep the others from showing.
  const parts = [['the overview', loadOverview()], ['the users', loadUsers(true)], ['the audit log', loadAudit(true)]];
  const failed = [];
  for (const [name, loading] of parts) {
    try {
      await loading;
    } catch (error) {
      failed.push([name, error]);
    }
  }
  if (failed.length) fail('Could not load ' + failed.map(([name]) => name).join(', ') + ': ', failed[0][1]);
  document.body.dataset.ready = 'true';
}

start();
`;
