/**
 * The task pane: account, this appointment's meeting (add, options, remove, join link) and the user's
 * settings. Rendering builds DOM nodes with textContent only: nothing from the server becomes markup.
 */
import { addMeeting } from './core/add-meeting.js';
import type { HostLink, Me, Meeting, MeetingOptions, UserSettings } from './core/api.js';
import { type AddinContext, authorized, describeError } from './core/context.js';
import { joinAsHost } from './core/host-link.js';
import { type Lang, type MessageKey, pickLanguage, t } from './core/i18n.js';
import { rewriteJoinBlockLanguage } from './core/meeting-language.js';
import {
  appliedOptionsMessage,
  applyMeetingOptions,
  type ItemMeetingState,
  readMeetingState,
} from './core/meeting-options.js';
import {
  accountNotices,
  hostLinkFallbackView,
  hostPinView,
  joinAsHostView,
  joinLinkView,
  mailboxAddress,
  optionsView,
} from './core/pane-view.js';
import { removeMeeting } from './core/remove-meeting.js';
import { createContext } from './platform.js';

interface View {
  ctx: AddinContext;
  me: Me | null;
  state: ItemMeetingState;
  options: MeetingOptions;
  /** This item's meeting as GET /api/v1/meetings/{id} gives it (for its host PIN); null if unknown. */
  meeting: Meeting | null;
  status: { text: string; error: boolean };
  /** Rewriting the join block in a newly chosen language failed: offer to try again. */
  languageRetry: boolean;
  /** A host link no window could be opened for, for the user to click; memory only, never stored. */
  hostLink: HostLink | null;
  busy: boolean;
}

const app = document.getElementById('app') as HTMLElement;
let view: View;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { testid?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const { testid, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  if (testid) node.dataset.testid = testid;
  node.append(...children);
  return node;
}

function tr(key: MessageKey, params?: Record<string, string>): string {
  return t(view.ctx.lang, key, params);
}

function render(): void {
  const { ctx, me, state } = view;
  document.documentElement.lang = ctx.lang;
  const signedIn = me !== null;
  const hasMeeting = Boolean(state.meetingId) || state.hasBlock;
  const disabled = view.busy;

  // Microsoft wants the user again (token revoked, Conditional Access), or the account is not this
  // mailbox's: say why, and offer to sign in again where that is the fix (core/pane-view.ts).
  const account = signedIn
    ? [
        h('p', { testid: 'account' }, tr('signedInAs', { name: me.user.name, upn: me.user.upn })),
        ...accountNotices(ctx.lang, me, mailboxAddress(ctx.office)).flatMap((notice) => [
          h('p', { testid: notice.id, className: 'status error' }, notice.text),
          ...(notice.signIn
            ? [
                h(
                  'button',
                  {
                    testid: 'sign-in-again',
                    className: 'primary',
                    disabled,
                    onclick: () => run(() => signIn(notice.signIn?.claims ?? undefined)),
                  },
                  tr('signIn'),
                ),
              ]
            : []),
        ]),
        h('button', { testid: 'sign-out', disabled, onclick: () => run(signOut) }, tr('signOut')),
      ]
    : [
        h('p', { testid: 'account', className: 'muted' }, tr('notSignedIn')),
        h(
          'button',
          { testid: 'sign-in', className: 'primary', disabled, onclick: () => run(() => signIn()) },
          tr('signIn'),
        ),
      ];

  const options = optionsView(ctx.lang, state);
  const optionBox = (key: 'guestPin' | 'lobby') =>
    h(
      'label',
      {},
      h('input', {
        type: 'checkbox',
        checked: Boolean(view.options[key]),
        disabled: disabled || !options.editable,
        onchange: (e: Event) => run(() => changeOption(key, (e.target as HTMLInputElement).checked)),
        testid: `option-${key}`,
      }),
      tr(key),
    );

  // The meeting's block was deleted from the body: offer to write it back (the Smart Alert says so).
  const restore = state.blockMissing
    ? [
        h('p', { testid: 'block-missing', className: 'status error' }, tr('blockMissing')),
        h(
          'button',
          { testid: 'restore-meeting', className: 'primary', disabled, onclick: () => run(add) },
          tr('restoreMeeting'),
        ),
      ]
    : [];

  const joinLink = joinLinkView(state.joinUrl);
  const meeting = hasMeeting
    ? [
        ...restore,
        joinLink
          ? h(
              'p',
              {},
              h(
                'a',
                { href: joinLink, target: '_blank', rel: 'noopener', testid: 'join-link' },
                tr('joinLink'),
              ),
            )
          : h('p', {}),
        ...hostPin(),
        ...hostJoin(disabled),
        h('p', { className: 'muted' }, tr('options')),
        ...(options.note
          ? [h('p', { testid: 'options-unknown-meeting', className: 'muted' }, options.note)]
          : []),
        optionBox('guestPin'),
        optionBox('lobby'),
        h('button', { testid: 'remove-meeting', disabled, onclick: () => run(remove) }, tr('removeMeeting')),
      ]
    : [
        h('p', { className: 'muted', testid: 'no-meeting' }, tr('noMeeting')),
        optionBox('guestPin'),
        optionBox('lobby'),
        h(
          'button',
          { testid: 'add-meeting', className: 'primary', disabled, onclick: () => run(add) },
          tr('addMeeting'),
        ),
      ];

  const settings = signedIn
    ? [
        h('h2', {}, tr('settings')),
        h(
          'label',
          {},
          h('input', {
            type: 'checkbox',
            checked: me.settings.addToEveryMeeting,
            disabled,
            testid: 'setting-add-to-every',
            onchange: (e: Event) =>
              run(() =>
                saveSettings({ ...me.settings, addToEveryMeeting: (e.target as HTMLInputElement).checked }),
              ),
          }),
          tr('addToEvery'),
        ),
        h(
          'label',
          {},
          tr('language'),
          languageSelect(me.settings.language, disabled, (language) => run(() => changeLanguage(language))),
        ),
      ]
    : [];

  app.replaceChildren(
    h('h1', {}, tr('title')),
    h('h2', {}, tr('account')),
    ...account,
    h('h2', {}, tr('meeting')),
    ...meeting,
    ...settings,
    h(
      'p',
      {
        className: `status${view.status.error ? ' error' : ''}`,
        testid: 'status',
        role: 'status',
      } as Partial<HTMLParagraphElement>,
      view.status.text,
    ),
    ...(view.languageRetry && hasMeeting
      ? [
          h(
            'button',
            { testid: 'retry-language', disabled, onclick: () => run(retryLanguage) },
            tr('retryLanguage'),
          ),
        ]
      : []),
  );
  app.setAttribute('aria-busy', String(view.busy));
}

/** The organizer's host PIN, as plain selectable text next to its label and what it is for. */
function hostPin(): HTMLElement[] {
  const shown = hostPinView(view.ctx.lang, view.meeting);
  if (!shown) return [];
  return [
    h(
      'p',
      { testid: 'host-pin' },
      shown.label,
      ' ',
      h('strong', { className: 'pin', testid: 'host-pin-value' }, shown.pin),
    ),
    h('p', { className: 'muted', testid: 'host-pin-help' }, shown.help),
  ];
}

/** "Join as host", and the host link itself when the browser would not open it (core/host-link.ts). */
function hostJoin(disabled: boolean): HTMLElement[] {
  const button = joinAsHostView(view.ctx.lang, view.meeting);
  if (!button) return [];
  const fallback = view.hostLink ? hostLinkFallbackView(view.ctx.lang, view.hostLink) : null;
  return [
    h(
      'button',
      { testid: 'join-as-host', disabled, onclick: () => run(() => openHostLink(button.meetingId)) },
      button.label,
    ),
    ...(fallback
      ? [
          h(
            'p',
            { testid: 'host-link-fallback' },
            fallback.text,
            ' ',
            h(
              'a',
              { href: fallback.url, target: '_blank', rel: 'noopener', testid: 'host-link' },
              fallback.label,
            ),
          ),
          h('p', { className: 'muted', testid: 'host-link-help' }, fallback.help),
        ]
      : []),
  ];
}

function languageSelect(
  current: Lang | null,
  disabled: boolean,
  onChange: (language: Lang | null) => void,
): HTMLSelectElement {
  const select = h('select', { disabled, testid: 'setting-language' });
  const choices: [string, string][] = [
    ['', tr('languageAuto')],
    ['en', 'English'],
    ['fr', 'Français'],
  ];
  for (const [value, label] of choices)
    select.append(h('option', { value, selected: (current ?? '') === value }, label));
  select.onchange = () => onChange(select.value === 'en' || select.value === 'fr' ? select.value : null);
  return select;
}

/** What an action reports: a message, a message that is an error, or nothing. */
type Outcome = string | { readonly error: string } | null;

async function run(action: () => Promise<Outcome>): Promise<void> {
  if (view.busy) return;
  view.busy = true;
  view.status = { text: tr('working'), error: false };
  // The offer to retry, and a host link shown for want of a window, go with the message that explained them.
  view.languageRetry = false;
  view.hostLink = null;
  render();
  try {
    const outcome = await action();
    view.status =
      outcome !== null && typeof outcome === 'object'
        ? { text: outcome.error, error: true }
        : { text: outcome ?? '', error: false };
  } catch (error) {
    view.status = { text: describeError(view.ctx.lang, error), error: true };
  }
  view.busy = false;
  await refresh();
}

async function signIn(claims?: string): Promise<Outcome> {
  const signInFn = view.ctx.signIn;
  if (!signInFn) return null;
  await view.ctx.sessions.set(await signInFn(claims));
  return null;
}

async function signOut(): Promise<Outcome> {
  await view.ctx.api.signOut().catch(() => undefined);
  await view.ctx.sessions.signOut();
  view.me = null;
  return null;
}

async function add(): Promise<Outcome> {
  const result = await addMeeting(view.ctx, view.options);
  if (result.status === 'failed') return { error: result.message };
  return tr(result.status);
}

async function remove(): Promise<Outcome> {
  const result = await removeMeeting(view.ctx);
  if (result.status === 'failed') return { error: result.message };
  return result.status === 'removed' ? tr('removed') : tr('nothingToRemove');
}

async function openHostLink(meetingId: string): Promise<Outcome> {
  const item = { meetingId, itemKey: view.state.itemKey };
  const result = await joinAsHost(view.ctx, item, (url) => window.open(url, '_blank'));
  if (result.status === 'opened') return tr('hostLinkOpened');
  view.hostLink = result.link;
  return null;
}

async function changeOption(key: 'guestPin' | 'lobby', value: boolean): Promise<Outcome> {
  // The meeting's options as last read from Roomlink: put back if the new block does not fit.
  const previous = view.options;
  view.options = { ...view.options, [key]: value };
  if (!view.state.meetingId) return null;
  const meeting = await applyMeetingOptions(view.ctx, view.state.meetingId, view.options, previous);
  view.options = meeting.options;
  const said = appliedOptionsMessage(view.ctx.lang, meeting);
  return said.error ? { error: said.text } : said.text;
}

async function saveSettings(settings: UserSettings): Promise<Outcome> {
  const saved = await authorized(view.ctx, () => view.ctx.api.putSettings(settings));
  await view.ctx.sessions.setSettings(saved);
  if (view.me) view.me = { ...view.me, settings: saved };
  const lang = pickLanguage(Office.context.displayLanguage, saved.language);
  if (lang !== view.ctx.lang) view.ctx = await createContext(lang);
  return tr('settingsSaved');
}

/**
 * A new language: saved as a setting (the pane, and the next meeting added, speak it), then the join
 * block already in this appointment is rewritten in it. If that fails the appointment is left as it
 * was, the pane says so in the new language and offers to try again.
 */
async function changeLanguage(language: Lang | null): Promise<Outcome> {
  if (!view.me) return null;
  const saved = await saveSettings({ ...view.me.settings, language });
  const rewritten = await rewriteJoinBlockLanguage(view.ctx);
  if (rewritten.status === 'none') return saved;
  view.languageRetry = rewritten.status === 'failed';
  const text = `${tr('settingsSaved')} ${rewritten.message}`;
  return rewritten.status === 'failed' ? { error: text } : text;
}

async function retryLanguage(): Promise<Outcome> {
  const rewritten = await rewriteJoinBlockLanguage(view.ctx);
  if (rewritten.status === 'none') return null;
  view.languageRetry = rewritten.status === 'failed';
  return rewritten.status === 'failed' ? { error: rewritten.message } : rewritten.message;
}

/** Reloads what the pane shows: the session's user and settings, and this item's meeting. */
async function refresh(): Promise<void> {
  const session = await view.ctx.sessions.get();
  if (session) {
    try {
      view.me = await view.ctx.api.me();
      await view.ctx.sessions.setSettings(view.me.settings);
      const lang = pickLanguage(Office.context.displayLanguage, view.me.settings.language);
      if (lang !== view.ctx.lang) view.ctx = await createContext(lang);
    } catch (error) {
      view.me = null;
      if (!view.status.error) view.status = { text: describeError(view.ctx.lang, error), error: true };
    }
  } else {
    view.me = null;
  }
  try {
    view.state = await readMeetingState(view.ctx);
    view.meeting = null;
    if (view.state.meetingId && view.me) {
      const meeting = await view.ctx.api
        .getMeeting(view.state.meetingId, view.ctx.lang, view.state.itemKey)
        .catch(() => null);
      if (meeting) view.options = meeting.options;
      view.meeting = meeting;
    }
  } catch (error) {
    view.status = { text: describeError(view.ctx.lang, error), error: true };
  }
  render();
}

Office.onReady(async () => {
  view = {
    ctx: await createContext(),
    me: null,
    state: { meetingId: null, joinUrl: null, itemKey: null, hasBlock: false, blockMissing: false },
    options: {},
    meeting: null,
    status: { text: '', error: false },
    languageRetry: false,
    hostLink: null,
    busy: false,
  };
  render();
  await refresh();
});
