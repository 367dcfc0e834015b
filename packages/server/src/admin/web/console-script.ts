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

import { fill, STRINGS } from './strings.js';

/**
 * "1 user", "2 users", "0 users"; "0 utilisateur", "2 utilisateurs": the locale's plural rules pick
 * the word, from the string tables (strings.ts). The function is written once here, tested in Node
 * and embedded below through its source text, so it must stay self-contained (no reference to
 * anything outside its body, no TypeScript-only syntax beyond type annotations).
 */
export function countOf(count: number, singular: string, plural: string, locale = 'en'): string {
  const word = new Intl.PluralRules(locale).select(count) === 'one' ? singular : plural;
  return `${new Intl.NumberFormat(locale).format(count)} ${word}`;
}

/**
 * A time as the admin's browser shows it, with its zone ("3 Sept 2026, 14:05 GMT+2", "3 sept. 2026,
 * 14:05 UTC+2"): the same instant is not read differently by admins in different places. Embedded
 * like countOf.
 */
export function formatTime(iso: string | null, timeZone?: string, locale = 'en-GB'): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(locale, {
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
${countOf.toString()}
${formatTime.toString()}
${fill.toString()}
const STRINGS = ${JSON.stringify(STRINGS)};
// The server chose the language (?lang=, then Accept-Language) and said it in <html lang>: the page
// and this script speak the same one.
const LANG_ASKED = String(document.documentElement.lang || '').toLowerCase().split('-')[0];
const LANG = Object.hasOwn(STRINGS, LANG_ASKED) ? LANG_ASKED : 'en';
// Signing in again keeps the console's language through the round trip to Microsoft.
const SIGN_IN = '/auth/signin?lang=' + LANG;
const WORDS = STRINGS[LANG];
const LOCALE = WORDS.intlLocale;

function t(key, vars) {
  return fill(WORDS[key], vars);
}

// "3 meetings" from the table's meetingOne / meetingOther.
function count(n, word) {
  return countOf(n, WORDS[word + 'One'], WORDS[word + 'Other'], LOCALE);
}

function when(iso) {
  return formatTime(iso, undefined, LOCALE);
}

function megabytes(bytes) {
  const size = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 })
    .format(bytes / 1048576);
  return t('megabytes', { size });
}

// Languages of join instructions: code, name as a title, name within a sentence.
const LANGS = [['en', t('languageTitleEn'), t('languageInTextEn')], ['fr', t('languageTitleFr'), t('languageInTextFr')]];
const STATUS_LABEL = { signed_in: t('statusSignedIn'), needs_sign_in: t('statusNeedsSignIn'), signed_out: t('statusSignedOut') };
const SYNC_LABEL = { syncing: t('syncSyncing'), needs_sign_in: t('syncNeedsSignIn'), stopped: t('syncStopped'), off: t('syncOff') };
const SETTING_LABEL = {
  defaultLanguage: t('settingDefaultLanguage'),
  pinLength: t('settingPinLength'),
  guestPinDefault: t('settingGuestPinDefault'),
  lobbyDefault: t('settingLobbyDefault'),
  addToEveryMeetingDefault: t('settingAddToEveryMeetingDefault'),
  retentionDays: t('settingRetentionDays'),
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
      prefix + t('sessionEnded'),
      el('a', { href: SIGN_IN, target: '_blank', rel: 'noopener', id: 'sign-in-again', text: t('signInAgain') }),
      t('sessionEndedThen'),
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
    const error = new Error(t('unreachable', { reason: cause.message }));
    error.problem = {};
    throw error;
  }
  const type = (response.headers.get('content-type') || '').toLowerCase();
  const isJson = /^application\/(problem\+)?json\b/.test(type);
  const text = await response.text();
  if (text && !isJson) {
    const error = new Error(t('proxyAnswered', { status: response.status }));
    error.problem = {};
    error.status = response.status;
    throw error;
  }
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.detail) || t('httpStatus', { status: response.status }));
    error.problem = data || {};
    error.status = response.status;
    throw error;
  }
  return { data, response };
}

async function call(method, path, body, headers) {
  return (await request(method, path, body, headers)).data;
}

// Days (contract end, deletion day) are UTC calendar days, written as the API and exports write them
// (YYYY-MM-DD), which reads the same in every language.
function formatDay(day) {
  return t('dayUtc', { day });
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
  for (const [lang, , language] of LANGS) {
    const a = before.templates[lang];
    const b = after.templates[lang];
    if ((a && a.html) !== (b && b.html) || (a && a.text) !== (b && b.text)) names.push(t('settingTemplates', { language }));
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
    say(warnings ? t('withNote', { message: done, note: warnings }) : done, 'ok');
    loadAudit(true).catch((error) => fail(t('couldNotLoadAudit'), error));
    loadOverview().catch((error) => fail(t('couldNotLoadOverview'), error));
  } catch (error) {
    if (error.status === 412) return staleSave(scope);
    const shown = showErrors(scope, error.problem);
    if (shown) say(t('notSavedFields'), 'fail');
    else fail(t('notSaved'), error);
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
    say(t('staleSave', { changed: changed.length ? t('staleChanged', { names: changed.join(', ') }) : '' }), 'fail');
    scope.dataset.stale = 'true';
    loadOverview().catch(() => undefined);
  } catch (error) {
    fail(t('staleReloadFailed'), error);
  }
}

// ---- join instructions ------------------------------------------------------------------------

function renderEditors() {
  const box = document.getElementById('template-editors');
  box.replaceChildren();
  for (const [lang, title, language] of LANGS) {
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
      text: t('restoreTemplates', { language }),
      onclick: () => {
        document.getElementById('tpl-' + lang + '-html').value = state.defaults[lang].html;
        document.getElementById('tpl-' + lang + '-text').value = state.defaults[lang].text;
        schedulePreview(lang, 0);
      },
    });
    const preview = el(
      'div',
      { class: 'preview' },
      el('h3', { text: t('previewHeading', { language }) }),
      el('iframe', { id: 'preview-' + lang + '-html', title: t('previewHtmlTitle', { language }), sandbox: '' }),
      el('pre', { id: 'preview-' + lang + '-text', 'aria-label': t('previewTextLabel', { language }) }),
      el('p', { class: 'warning', id: 'warn-' + lang }),
    );
    box.append(
      el(
        'fieldset',
        { class: 'language', id: 'lang-' + lang, lang },
        el('legend', { text: title }),
        el(
          'div',
          { class: 'editor-grid' },
          el('div', {}, area('html', t('htmlTemplate', { language })), area('text', t('textTemplate', { language })), reset),
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
    if (!showErrors(fieldset, outcome.error.problem, '/templates/' + lang)) fail(t('previewFailed'), outcome.error);
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
  say(t('exporting', { what }), '');
  try {
    let response;
    try {
      response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    } catch (cause) {
      throw Object.assign(new Error(t('unreachableShort', { reason: cause.message })), { problem: {} });
    }
    if (!response.ok) {
      const type = (response.headers.get('content-type') || '').toLowerCase();
      const text = await response.text();
      const data = /^application\/(problem\+)?json\b/.test(type) && text ? JSON.parse(text) : null;
      const error = new Error(data && data.detail ? data.detail
        : t(data ? 'httpStatus' : 'proxyStatus', { status: response.status }));
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
      say(t('exportingProgress', { what, size: megabytes(bytes) }), '');
    }
    const blob = new Blob(parts, { type: 'application/json' });
    const href = URL.createObjectURL(blob);
    const save = el('a', { href, download: name, hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
    say(t('exported', { what, file: name, size: megabytes(bytes) }), 'ok');
    loadAudit(true).catch(() => undefined);
  } catch (error) {
    fail(t('couldNotExport', { what }), error);
  } finally {
    delete link.dataset.busy;
    link.removeAttribute('aria-disabled');
  }
}

// ---- users --------------------------------------------------------------------------------------

// null: not held (a signed-out user's name is forgotten); { unreadable: true }: held, no longer decrypts.
function shown(value, absent) {
  if (typeof value === 'string') return value;
  if (value && value.unreadable) return t('unreadable');
  return absent;
}

function userLabel(user) {
  if (typeof user.name === 'string') return user.name;
  if (typeof user.upn === 'string') return user.upn;
  return t('userFallback', { id: user.id.slice(0, 8) });
}

function userRow(user) {
  const label = userLabel(user);
  const exportLink = el('a', {
    class: 'button secondary',
    href: API + '/users/' + encodeURIComponent(user.id) + '/export',
    'aria-label': t('exportDataOf', { name: label }),
    text: t('exportButton'),
    onclick: (event) => {
      event.preventDefault();
      download(event.currentTarget, t('dataOf', { name: label }));
    },
  });
  const eraseButton = el('button', {
    type: 'button',
    class: 'danger',
    'aria-label': t('eraseLabel', { name: label }),
    text: t('eraseButton'),
    onclick: () => erase(user),
  });
  return el(
    'tr',
    { 'data-user-id': user.id },
    el('td', { text: shown(user.name, t('notKept')) }),
    el('td', { text: shown(user.upn, '—') }),
    el('td', {}, el('span', { class: 'badge ' + user.status, text: STATUS_LABEL[user.status] || user.status }),
      user.isTenantAdmin ? el('span', { class: 'badge', text: t('adminBadge') }) : null),
    el('td', { text: when(user.lastSignInAt) }),
    el('td', { class: 'sync', 'data-sync': user.sync.status },
      el('span', { class: 'badge ' + user.sync.status, text: SYNC_LABEL[user.sync.status] || user.sync.status }),
      el('span', { text: user.sync.lastChangeAt ? t('lastChangeSeen', { when: when(user.sync.lastChangeAt) }) : t('noChangeSeen') })),
    el('td', { text: new Intl.NumberFormat(LOCALE).format(user.meetings) }),
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
        el('thead', {}, el('tr', {}, ...['colName', 'colUpn', 'colStatus', 'colLastSignIn', 'colSync', 'colMeetings', 'colData']
          .map((h) => el('th', { scope: 'col', text: t(h) })))),
        body),
    );
  }
  for (const user of users) body.append(userRow(user));
  state.usersShown += users.length;
  state.usersNext = next;
  box.querySelector('caption').textContent = next
    ? t('showingOf', { shown: new Intl.NumberFormat(LOCALE).format(state.usersShown), total: count(total, 'user') })
    : count(state.usersShown, 'user');
  document.getElementById('users-more').hidden = !next;
}

async function erase(user) {
  const label = userLabel(user);
  if (!window.confirm(t('eraseConfirm', { name: label }))) return;
  try {
    const result = await call('DELETE', '/users/' + encodeURIComponent(user.id));
    const notEnded = result.roomsNotEnded || 0;
    const warning = notEnded
      ? t(new Intl.PluralRules(LOCALE).select(notEnded) === 'one' ? 'roomsNotEndedOne' : 'roomsNotEndedOther',
        { rooms: count(notEnded, 'room') })
      : '';
    say(t('erased', { name: label, meetings: count(result.meetings, 'meeting') }) + warning, notEnded ? 'fail' : 'ok');
    await Promise.all([loadUsers(true), loadAudit(true), loadOverview()]);
  } catch (error) {
    fail(t('couldNotErase', { name: label }), error);
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
        el('caption', { text: t('newestFirst') }),
        el('thead', {}, el('tr', {}, ...['colTime', 'colAction', 'colBy', 'colAbout', 'colDetails']
          .map((h) => el('th', { scope: 'col', text: t(h) })))),
        body),
    );
  }
  for (const e of entries) {
    const details = Object.entries(e.details).map(([k, v]) => k + ': ' + v).join(', ');
    body.append(el('tr', {},
      el('td', { text: when(e.createdAt) }),
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
  document.getElementById('tenant-line').textContent = t('tenantLine', {
    tenant: o.tenantId,
    users: count(o.users.total, 'user'),
    scheduled: count(o.meetings.scheduled, 'scheduled'),
    cancelled: count(o.meetings.cancelled, 'cancelled'),
  });
  const days = state.settings && state.settings.retentionDays;
  const facts = [
    t('factDetails', { period: days ? count(days, 'day') : count(o.retention.defaultMonths, 'month') }),
    t('factSignOut'),
    t('factAccount', { period: count(o.retention.accountMonthsAfterContractEnd, 'month') }),
    t('factMedia'),
  ];
  if (o.contractEnd) {
    facts.push(t('factContract', { end: formatDay(o.contractEnd), purge: formatDay(o.accountPurgeOn) }));
  }
  document.getElementById('retention-facts').replaceChildren(el('ul', {}, ...facts.map((f) => el('li', { text: f }))));
}

// ---- sign-out -----------------------------------------------------------------------------------

// Ends this browser's console session only: the admin's Outlook add-in and calendar sync go on.
async function signOut() {
  try {
    await call('DELETE', '/session');
  } catch (error) {
    if (error.status !== 401) return fail(t('couldNotSignOut'), error);
  }
  // A language picked on the page (?lang=) is kept; otherwise the browser's still decides.
  const picked = new URLSearchParams(window.location.search).has('lang');
  window.location.assign(picked ? '/admin?lang=' + LANG : '/admin');
}

// ---- start --------------------------------------------------------------------------------------

async function start() {
  const settingsForm = document.getElementById('settings-form');
  settingsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    // The join instructions as saved, not as being edited: that form saves its own.
    saveSettings({ ...readSettings(), templates: state.settings.templates }, settingsForm, t('settingsSaved'), fillSettings);
  });
  const templatesForm = document.getElementById('templates-form');
  templatesForm.addEventListener('submit', (event) => {
    event.preventDefault();
    // The other settings as saved, not as being edited in the Settings form (left as it is).
    const current = { ...state.settings };
    delete current.templates;
    saveSettings({ ...current, templates: readTemplates() }, templatesForm, t('instructionsSaved'), null);
  });
  document.getElementById('audit-more').addEventListener('click', () =>
    loadAudit(false).catch((error) => fail(t('couldNotLoadMoreAudit'), error)));
  document.getElementById('users-more').addEventListener('click', () =>
    loadUsers(false).catch((error) => fail(t('couldNotLoadMoreUsers'), error)));
  const tenantExport = document.getElementById('export-tenant');
  tenantExport.addEventListener('click', (event) => {
    event.preventDefault();
    download(tenantExport, t('tenantData'));
  });
  document.getElementById('sign-out').addEventListener('click', signOut);
  try {
    fillSettings(await loadSettings());
    renderEditors();
  } catch (error) {
    fail(t('consoleLoadFailed'), error);
    return;
  }
  // Each part on its own: one that fails says so, and does not keep the others from showing.
  const parts = [[t('partOverview'), loadOverview()], [t('partUsers'), loadUsers(true)], [t('partAudit'), loadAudit(true)]];
  const failed = [];
  for (const [name, loading] of parts) {
    try {
      await loading;
    } catch (error) {
      failed.push([name, error]);
    }
  }
  if (failed.length) fail(t('couldNotLoadParts', { parts: failed.map(([name]) => name).join(', ') }), failed[0][1]);
  document.body.dataset.ready = 'true';
}

start();
`;
