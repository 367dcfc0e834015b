/**
 * The admin console's browser script, served at /admin/assets/console.js. It is plain JavaScript
 * kept in a TypeScript module so that `tsc -b` output serves it (tsc copies no .js assets) and the
 * server needs no file from src/ at run time.
 *
 * Rules it keeps: data reaches the page through textContent and form values only, never innerHTML;
 * template previews render in a sandboxed iframe (no scripts, opaque origin); every control has a
 * label; problems are shown next to their field (matched by JSON pointer) and announced.
 */

/**
 * "1 user", "2 users", "0 users": the console is English only. The function is written once here,
 * tested in Node and embedded below through its source text, so it must stay self-contained (no
 * reference to anything outside its body, no TypeScript-only syntax beyond type annotations).
 */
export function countOf(count: number, singular: string, plural: string): string {
  return `${count} ${new Intl.PluralRules('en').select(count) === 'one' ? singular : plural}`;
}

export const CONSOLE_SCRIPT = String.raw`
const API = '/api/v1/admin';
${countOf.toString()}
const LANGS = [['en', 'English'], ['fr', 'Français']];
const STATUS_LABEL = { signed_in: 'Signed in', needs_sign_in: 'Needs sign-in', signed_out: 'Signed out' };
const SYNC_LABEL = { syncing: 'Syncing', needs_sign_in: 'Needs sign-in', stopped: 'Stopped', off: 'Off' };
const state = { settings: null, defaults: null, auditNext: null, previewSeq: {} };

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
  status.textContent = message;
  status.className = 'status ' + (kind || '');
}

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(API + path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error((data && data.detail) || 'HTTP ' + response.status);
    error.problem = data || {};
    error.status = response.status;
    throw error;
  }
  return data;
}

function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—';
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

async function saveSettings(body, scope, done) {
  clearErrors(scope);
  try {
    const result = await call('PUT', '/settings', body);
    state.settings = result.settings;
    fillSettings(result.settings);
    const warnings = result.warnings.map((w) => w.message).join(' ');
    say(done + (warnings ? ' Note: ' + warnings : ''), 'ok');
    loadAudit(true);
    loadOverview();
  } catch (error) {
    const shown = showErrors(scope, error.problem);
    say(shown ? 'Not saved: please correct the fields marked below.' : 'Not saved: ' + error.message, 'fail');
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
    if (!showErrors(fieldset, outcome.error.problem, '/templates/' + lang)) say('Preview failed: ' + outcome.error.message, 'fail');
    warning.textContent = '';
    fieldset.dataset.preview = 'error';
  }
}

// ---- users --------------------------------------------------------------------------------------

function userLabel(user) {
  return user.name || user.upn || 'signed-out user ' + user.id.slice(0, 8);
}

async function loadUsers() {
  const { users } = await call('GET', '/users');
  const rows = users.map((user) => {
    const label = userLabel(user);
    const exportLink = el('a', {
      class: 'button secondary',
      href: API + '/users/' + encodeURIComponent(user.id) + '/export',
      download: 'roomlink-user-' + user.id + '.json',
      'aria-label': 'Export the data of ' + label,
      text: 'Export',
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
      el('td', { text: user.name || '(not kept after sign-out)' }),
      el('td', { text: user.upn || '—' }),
      el('td', {}, el('span', { class: 'badge ' + user.status, text: STATUS_LABEL[user.status] || user.status }),
        user.isTenantAdmin ? el('span', { class: 'badge', text: 'Admin' }) : null),
      el('td', { text: formatTime(user.lastSignInAt) }),
      el('td', { class: 'sync', 'data-sync': user.sync.status },
        el('span', { class: 'badge ' + user.sync.status, text: SYNC_LABEL[user.sync.status] || user.sync.status }),
        el('span', { text: ' last change seen ' + (user.sync.lastChangeAt ? formatTime(user.sync.lastChangeAt) : 'never') })),
      el('td', { text: String(user.meetings) }),
      el('td', { class: 'actions' }, exportLink, eraseButton),
    );
  });
  const table = el(
    'table',
    {},
    el('caption', { text: countOf(users.length, 'user', 'users') }),
    el('thead', {}, el('tr', {}, ...['Name', 'Sign-in name', 'Status', 'Last sign-in', 'Calendar sync', 'Meetings', 'Data']
      .map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...rows),
  );
  document.getElementById('users-table').replaceChildren(table);
}

async function erase(user) {
  const label = userLabel(user);
  const question = 'Erase ' + label + '? Their rooms are cancelled, and their meetings, tokens, sessions and ' +
    'user record are deleted. This cannot be undone.';
  if (!window.confirm(question)) return;
  try {
    const result = await call('DELETE', '/users/' + encodeURIComponent(user.id));
    say('Erased ' + label + ': ' + countOf(result.meetings, 'meeting', 'meetings') + ' deleted.', 'ok');
    await Promise.all([loadUsers(), loadAudit(true), loadOverview()]);
  } catch (error) {
    say('Could not erase ' + label + ': ' + error.message, 'fail');
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
  if (o.contractEnd) facts.push('Contract end recorded: ' + o.contractEnd + '; data deletion on ' + o.accountPurgeOn + '.');
  document.getElementById('retention-facts').replaceChildren(el('ul', {}, ...facts.map((f) => el('li', { text: f }))));
}

// ---- start --------------------------------------------------------------------------------------

async function start() {
  const settingsForm = document.getElementById('settings-form');
  settingsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    saveSettings({ ...readSettings(), templates: state.settings.templates }, settingsForm, 'Settings saved.');
  });
  const templatesForm = document.getElementById('templates-form');
  templatesForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const current = { ...state.settings };
    delete current.templates;
    saveSettings({ ...current, templates: readTemplates() }, templatesForm, 'Join instructions saved.');
  });
  document.getElementById('audit-more').addEventListener('click', () => loadAudit(false));
  try {
    const loaded = await call('GET', '/settings');
    state.settings = loaded.settings;
    state.defaults = loaded.defaultTemplates;
    fillSettings(loaded.settings);
    renderEditors();
    await Promise.all([loadOverview(), loadUsers(), loadAudit(true)]);
    document.body.dataset.ready = 'true';
  } catch (error) {
    say('The console could not load: ' + error.message, 'fail');
  }
}

start();
`;
