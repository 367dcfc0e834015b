/**
 * The join page: room status, the pre-join form (name, PIN, camera/microphone preview and choice),
 * then the call. Plain DOM; all controls are native buttons, inputs and selects with labels.
 */
import { cleanChat } from '../shared/chat-text.js';
import { cleanName } from '../shared/names.js';
import { LIMITS } from '../shared/protocol.js';
import { BUSY_MESSAGES, retryDelayMs } from './admission.js';
import { ChatView } from './chat.js';
import { chatPace } from './chat-pace.js';
import { announce, byId, h, setToggle, showView } from './dom.js';
import { END_MESSAGES } from './endings.js';
import {
  type HostKey,
  hostLinkFrom,
  type JoinKey,
  type KeyStorage,
  keepsRejoinAfter,
  keyAfterJoined,
  languageSwitchTarget,
  RejoinKeyStore,
} from './host-link.js';
import { detectLanguage, language, setLanguage, t, translate } from './i18n.js';
import { LocalMedia } from './local-media.js';
import { PeopleView } from './people.js';
import { Playback } from './playback.js';
import { recheckDelay } from './recheck.js';
import { afterPinRequired, judgeRules, type RoomRules } from './room-rules.js';
import { Session } from './session.js';
import { fetchAdmission, fetchStatus, type StatusResult } from './signalling.js';
import { Stage } from './stage.js';

const slug = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const media = new LocalMedia();
let session: Session | null = null;
/** One for the page: a new session starts a full budget on the server, so this only errs on the safe side. */
const pace = chatPace();
let mediaStarted = false;
let openTimer: number | undefined;
let noticeTimer: number | undefined;
/** The join tried again by itself after the server refused this network's connection (see joinFailed). */
let retryTimer: number | undefined;
/** Tries in a row the server refused for this network's sake (see retryDelayMs). */
let busyRetries = 0;
/**
 * The host link's ticket (see host-link.ts), in memory only, until it gets the visitor in (it is
 * spent then) or the server refuses it; then the rejoin token the server gave the host, if any, until
 * it is refused, or the call ends in a way that revoked it. While held, it replaces the PIN. Never
 * put in the address. A guest's rejoin ticket is held here the same way. Either is also kept in the
 * tab's sessionStorage (rejoinKeys), so that a reload of this tab comes back with it.
 */
let hostKey: HostKey | null = null;
const rejoinKeys = new RejoinKeyStore(tabStorage(), slug);
/** The page was opened with a host link that cannot be a ticket: the pre-join form says so once. */
let brokenHostLink = false;
/**
 * What the room asks of the PIN field, from its status (see showPrejoin), read again before each
 * join and when the tab is shown again (see followRoom): the organizer may change it meanwhile.
 */
let pinRules: RoomRules = { guestPinRequired: false, lobby: false };
/** Reads of the room's status: only the latest one started is applied (see followRoom). */
let statusReads = 0;
/** The opening time the "not open yet" page shows ('' for none), or null when that page is not shown. */
let opening: string | null = null;

const el = {
  languageSwitch: byId<HTMLAnchorElement>('language-switch'),
  messageText: byId('message-text'),
  messageAction: byId<HTMLButtonElement>('message-action'),
  previewPanel: byId('preview'),
  preview: byId<HTMLVideoElement>('preview-video'),
  previewMic: byId<HTMLButtonElement>('preview-mic'),
  previewCam: byId<HTMLButtonElement>('preview-cam'),
  mediaNotice: byId('media-notice'),
  form: byId<HTMLFormElement>('join-form'),
  name: byId<HTMLInputElement>('name-input'),
  pin: byId<HTMLInputElement>('pin-input'),
  pinField: byId('pin-field'),
  hostLinkNote: byId('host-link-note'),
  pinLabel: byId('pin-label'),
  pinHint: byId('pin-hint'),
  devices: byId('devices'),
  camera: byId<HTMLSelectElement>('camera-select'),
  microphone: byId<HTMLSelectElement>('microphone-select'),
  joinError: byId('join-error'),
  joinButton: byId<HTMLButtonElement>('join-button'),
  waitingText: byId('waiting-text'),
  waitingLeave: byId<HTMLButtonElement>('waiting-leave'),
  callMic: byId<HTMLButtonElement>('call-mic'),
  callCam: byId<HTMLButtonElement>('call-cam'),
  callScreen: byId<HTMLButtonElement>('call-screen'),
  callLeave: byId<HTMLButtonElement>('call-leave'),
  callNotice: byId('call-notice'),
  soundBlocked: byId('sound-blocked'),
  soundOn: byId<HTMLButtonElement>('sound-on'),
  settings: byId<HTMLDetailsElement>('settings'),
  prejoinGrid: byId('view-prejoin').querySelector<HTMLElement>('.join-form') as HTMLElement,
  chatForm: byId<HTMLFormElement>('chat-form'),
  chatInput: byId<HTMLInputElement>('chat-input'),
};

/** The others' audio and video; what the browser refused to play waits for the visitor's gesture. */
const playback = new Playback(renderSoundBlocked);

const views = {
  stage: new Stage(byId('stage'), playback),
  people: new PeopleView(
    byId('participant-list'),
    byId('participants-heading'),
    byId('lobby'),
    byId('lobby-list'),
    {
      admit: (id) => session?.hostAction('admit', id),
      deny: (id) => session?.hostAction('deny', id),
      mute: (id) => session?.hostAction('mute', id),
      remove: (id) => session?.hostAction('remove', id),
    },
  ),
  chat: new ChatView(byId('chat-log'), byId('chat-scroll')),
};

function init(): void {
  takeHostLink();
  // A rejoin token or guest's ticket this tab kept (a reload, the language switch), unless its page went
  // away too long ago (a closed tab reopened); a host link comes first.
  if (hostKey === null && !brokenHostLink) hostKey = rejoinKeys.load(Date.now());
  setLanguage(detectLanguage());
  translate(document);
  document.title = t('appTitle');
  const other = language() === 'en' ? 'fr' : 'en';
  const url = new URL(location.href);
  url.searchParams.set('lang', other);
  const switchPath = url.pathname + url.search;
  el.languageSwitch.href = switchPath;
  // The ticket goes in at the click only (before the link follows its href): hovering, copying or
  // middle-clicking the link shows none.
  el.languageSwitch.addEventListener('click', () => {
    el.languageSwitch.href = languageSwitchTarget(switchPath, hostKey);
  });
  el.languageSwitch.hreflang = other;
  el.languageSwitch.lang = other;
  el.languageSwitch.textContent = t('otherLanguage');
  el.languageSwitch.setAttribute('aria-label', t('otherLanguageLabel'));

  media.onChange(renderToggles);
  media.onLost(({ kind, replaced }) => {
    if (kind === 'audio') mediaProblem(t(replaced ? 'microphoneReplaced' : 'microphoneLost'));
    else mediaProblem(t(replaced ? 'cameraReplaced' : 'cameraLost'));
    // The lists show the default device now in use, or a placeholder for none.
    void fillDevices();
  });
  renderToggles();
  wireControls();
  window.addEventListener('pagehide', () => {
    // A page restored from the back/forward cache must not promise a retry that no longer comes.
    if (cancelRetry()) el.joinError.textContent = '';
    // Stamped, so that a tab reopened long after does not come back with it; no `leave`, so that a
    // reload finds a waiting guest's place in line still theirs (see Session.unload).
    rejoinKeys.markLeft(Date.now());
    session?.unload();
  });
  // The organizer may have changed the meeting while the tab was in the background.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void rereadRoom();
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) void rereadRoom();
  });
  void loadStatus();
}

/** Takes a host link's ticket out of the address bar before anything else happens (see host-link.ts). */
function takeHostLink(): void {
  const link = hostLinkFrom(location.hash);
  if (link.kind === 'none') return;
  history.replaceState(history.state, '', location.pathname + location.search);
  if (link.kind === 'ticket') hostKey = { ticket: link.ticket, kind: 'link' };
  else brokenHostLink = true;
}

/** Refused or revoked: from now on the visitor joins with a PIN, like anyone. */
function forgetHostKey(): void {
  hostKey = null;
  rejoinKeys.save(null);
  renderPinField();
}

/** What the server gave to come back with (see keyAfterJoined), held, and kept in the tab. */
function keepKey(key: HostKey | null): void {
  hostKey = key;
  rejoinKeys.save(key);
  renderPinField();
}

/**
 * The visitor pressed Leave (in the call or the lobby), as opposed to the page going away (a reload,
 * the language switch, a closed tab: see Session.unload), after which the server keeps a waiting
 * guest's place for a short while. Leave is for good: out of the lobby's line at once, and what they
 * could come back with leaves the tab's storage, so that the next person at this browser cannot
 * reload into the meeting as them (as host, with a host's token: see RejoinKeyStore); the page still
 * holds it, so that Join again here gets them back without the PIN, as before.
 */
function leaveOnPurpose(): void {
  rejoinKeys.save(null);
  session?.leave();
}

/** The tab's sessionStorage, or null where the browser will not give it (blocked storage). */
function tabStorage(): KeyStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

async function loadStatus(): Promise<void> {
  window.clearTimeout(openTimer);
  // This read has the last word: one the tab's return started is dropped.
  statusReads += 1;
  opening = null;
  showView('view-loading');
  const status = await fetchStatus(slug);
  showStatus(status);
}

/**
 * Reads the room's status again (the same public status as at load) and makes the pre-join form
 * follow it: the PIN field and the lobby hint as the room asks now, or the room's state if it can
 * no longer be joined (cancelled, moved later, over). `atJoin`: the visitor pressed Join, which
 * waits for this; a change that concerns what was typed (a guest PIN now asked and none typed, or
 * none asked any more and one typed) stops it once with a message, keeping what was typed. True
 * when the join may go on; an unreadable status leaves the decision to the server, as before.
 */
async function followRoom(atJoin: boolean): Promise<boolean> {
  const read = ++statusReads;
  const status = await fetchStatus(slug);
  // A later read (a Join pressed, the page loading again) has the last word.
  if (read !== statusReads) {
    if (atJoin) setJoining(false);
    return false;
  }
  // Only the form the visitor is filling follows it: not a join under way, nor another view.
  if (!atJoin && !atForm()) return false;
  if (status.state === 'unavailable') return true;
  if (status.state !== 'open') {
    // A socket kept open since a wrong PIN has nothing left to join.
    session?.dispose();
    session = null;
    showStatus(status);
    return false;
  }
  const verdict = judgeRules(pinRules, status, { pin: typedPin(), byKey: hostKey !== null });
  pinRules = { guestPinRequired: status.guestPinRequired, lobby: status.lobby };
  renderPinField();
  if (verdict === 'proceed') return true;
  if (atJoin) {
    setJoining(false);
    formError(t(verdict), el.pin);
  } else {
    // No focus taken from where the visitor was: the alert region reads it out.
    el.joinError.textContent = t(verdict);
  }
  return false;
}

/** The tab is shown again: the form, or the "not open yet" page, follows what changed meanwhile. */
async function rereadRoom(): Promise<void> {
  if (atForm()) {
    await followRoom(false);
    return;
  }
  const shown = opening;
  if (shown === null) return;
  const read = ++statusReads;
  const status = await fetchStatus(slug);
  if (read !== statusReads || opening !== shown || status.state === 'unavailable') return;
  // Moved earlier (or open already), later, cancelled: the page says so now, not at the old time.
  if (status.state === 'not_yet_open' && (status.opensAt ?? '') === shown) return;
  showStatus(status);
}

/** The pre-join form is up and no join is under way. */
function atForm(): boolean {
  return !byId('view-prejoin').hidden && !el.joinButton.disabled;
}

function typedPin(): string {
  return el.pin.value.replace(/\D/g, '');
}

function showStatus(status: StatusResult): void {
  switch (status.state) {
    case 'open':
      void showPrejoin(status.guestPinRequired, status.lobby, status.external === true);
      return;
    case 'not_yet_open':
      showNotYetOpen(status.opensAt);
      return;
    case 'not_found':
      showMessage(t('notFound'));
      return;
    case 'cancelled':
      showMessage(t('cancelled'));
      return;
    case 'closed':
      showMessage(t('closed'));
      return;
    default:
      showMessage(t('unavailable'), t('checkAgain'), loadStatus);
      return;
  }
}

/** `lead`: what happened first (the meeting moved while the visitor was in it). */
function showNotYetOpen(opensAt: string | undefined, lead?: string): void {
  window.clearTimeout(openTimer);
  const at = opensAt ? new Date(opensAt) : null;
  const time = at
    ? new Intl.DateTimeFormat(language(), { dateStyle: 'full', timeStyle: 'short' }).format(at)
    : '';
  const text = at ? t('notYetOpen', { time }) : t('notOpenNow');
  showMessage(lead ? `${lead} ${text}` : text, t('checkAgain'), loadStatus);
  opening = opensAt ?? '';
  openTimer = window.setTimeout(() => void loadStatus(), recheckDelay(at, Date.now()));
}

function showMessage(text: string, actionLabel?: string, action?: () => void): void {
  cancelRetry();
  stopMedia();
  opening = null;
  el.messageText.textContent = text;
  el.messageAction.hidden = !actionLabel;
  el.messageAction.textContent = actionLabel ?? '';
  el.messageAction.onclick = action ? () => action() : null;
  showView('view-message');
  focusHeading('view-message');
}

async function showPrejoin(guestPinRequired: boolean, lobby: boolean, external = false): Promise<void> {
  window.clearTimeout(openTimer);
  opening = null;
  pinRules = { guestPinRequired, lobby };
  renderPinField();
  el.joinError.textContent = brokenHostLink ? t('hostLinkInvalid') : '';
  markInvalid(null);
  brokenHostLink = false;
  setJoining(false);
  el.prejoinGrid.insertBefore(el.devices, el.joinError);
  // A room on an external engine: its own page asks for camera and microphone, not this one.
  el.previewPanel.hidden = external;
  el.devices.hidden = external;
  showView('view-prejoin');
  (el.name.value ? el.joinButton : el.name).focus();
  if (!mediaStarted && !external) {
    mediaStarted = true;
    const got = await media.start();
    el.mediaNotice.hidden = got.audio || got.video;
    await fillDevices();
  }
}

/**
 * The PIN field as the room asks for it, or, while a host link's ticket or a rejoin token is held, a
 * note instead (a host who came in with the PIN comes back without it, too).
 */
function renderPinField(): void {
  const { guestPinRequired, lobby } = pinRules;
  const byHostLink = hostKey !== null;
  el.pinField.hidden = byHostLink;
  el.hostLinkNote.hidden = !byHostLink;
  el.hostLinkNote.textContent = t(
    hostKey?.kind === 'rejoin'
      ? 'rejoinNote'
      : hostKey?.kind === 'guest'
        ? 'guestRejoinNote'
        : 'hostLinkNote',
  );
  el.pinLabel.textContent = guestPinRequired ? t('pinLabel') : t('hostPinLabel');
  el.pinHint.textContent = [guestPinRequired ? t('pinHint') : t('hostPinHint'), lobby ? t('lobbyHint') : '']
    .filter(Boolean)
    .join(' ');
  el.pin.required = guestPinRequired && !byHostLink;
}

/** `retrying`: the page tries again by itself (joinFailed); a Join pressed starts the waits afresh. */
async function join(retrying = false): Promise<void> {
  cancelRetry();
  if (!retrying) busyRetries = 0;
  // Cleaned as the server cleans it: a name of invisible characters only is no name.
  const name = cleanName(el.name.value);
  if (!name) return formError(t('nameRequired'), el.name);
  el.joinError.textContent = '';
  markInvalid(null);
  setJoining(true);
  // The room's rules as they are now, not as the page loaded them (a retry follows a Join that did).
  if (!retrying && !(await followRoom(true))) return;
  const pin = typedPin();
  if (el.pin.required && !pin) {
    setJoining(false);
    return formError(t('pinRequired'), el.pin);
  }
  if (!session || session.ended) session = newSession();
  const key: JoinKey = hostKey !== null ? { ticket: hostKey.ticket } : { pin };
  try {
    await session.join(name, key);
  } catch {
    session = null;
    await joinFailed();
  }
}

/**
 * The signalling connection did not open. The server may have refused it for this network's sake
 * (the browser never says), so the page asks why: then it says so and joins again once the server's
 * wait is over. Anything else is the service out of reach, as before.
 */
async function joinFailed(): Promise<void> {
  const admission = await fetchAdmission(slug);
  setJoining(false);
  if (admission.state !== 'busy') return formError(t('unavailable'), el.joinButton);
  busyRetries += 1;
  const delay = retryDelayMs(admission.retryAfterSeconds, busyRetries, Math.random());
  formError(t(BUSY_MESSAGES[admission.reason], { seconds: Math.ceil(delay / 1000) }), el.joinButton);
  retryTimer = window.setTimeout(() => {
    retryTimer = undefined;
    void join(true);
  }, delay);
}

/** Says whether a retry was pending. */
function cancelRetry(): boolean {
  const pending = retryTimer !== undefined;
  window.clearTimeout(retryTimer);
  retryTimer = undefined;
  return pending;
}

function newSession(): Session {
  return new Session(slug, media, views, {
    joinError(text, field, code) {
      setJoining(false);
      // A refused rejoin token is no host link: the visitor never opened one.
      const refusedKey = code === 'host_link_invalid' ? hostKey?.kind : undefined;
      let said =
        refusedKey === 'rejoin'
          ? t('rejoinInvalid')
          : refusedKey === 'guest'
            ? t('guestRejoinInvalid')
            : text;
      // A guest PIN asked since the form last read the room's rules: the field says so now.
      if (code === 'pin_required') {
        const after = afterPinRequired(pinRules);
        pinRules = after.rules;
        renderPinField();
        said = t(after.message);
      }
      // Before the focus moves to the PIN field, which the ticket kept hidden.
      if (code === 'host_link_invalid') forgetHostKey();
      formError(said, field === 'pin' ? el.pin : field === 'name' ? el.name : el.joinButton);
    },
    refused(reason, opensAt) {
      session = null;
      if (reason === 'not_yet_open') return showNotYetOpen(opensAt);
      if (reason === 'cancelled') return showMessage(t('cancelled'));
      if (reason === 'closed') return showMessage(t('closed'));
      if (reason === 'not_found') return showMessage(t('notFound'));
      return showMessage(t('unavailable'), t('checkAgain'), loadStatus);
    },
    waiting(hostPresent, rejoin) {
      // The lobby's own ticket: a lost connection or a reload of this tab comes back to the lobby
      // (in its place, while the server still holds the old connection) rather than to the PIN.
      if (rejoin !== undefined) keepKey(keyAfterJoined(rejoin, 'guest'));
      // A status region: a change (the last host left, a host came) is announced.
      el.waitingText.textContent = hostPresent ? t('waiting') : t('waitingNoHost');
      const arriving = byId('view-waiting').hidden;
      showView('view-waiting');
      if (arriving) focusHeading('view-waiting');
    },
    joined(rejoin, role) {
      busyRetries = 0;
      // A host link is spent now. A host gets a rejoin token instead, a guest a rejoin ticket, which
      // joining again later (after a lost connection, leaving, or a reload) uses; without one, the
      // visitor joins again with the PIN.
      keepKey(keyAfterJoined(rejoin, role));
      el.settings.append(el.devices);
      el.callNotice.textContent = '';
      showView('view-call');
      // Focus goes to the controls below, whose name says nothing of where the visitor now is.
      announce(t('joinedMeeting'));
      // The microphone button is disabled without a microphone (refused, or listening only).
      [el.callMic, el.callCam, el.callLeave].find((button) => !button.disabled)?.focus();
    },
    notice(text) {
      showNotice(text);
    },
    withdrawNotice(text) {
      // Only that notice: a newer one (a mute request, another arrival) stays for its own time.
      if (el.callNotice.textContent !== text) return;
      window.clearTimeout(noticeTimer);
      el.callNotice.textContent = '';
    },
    chatRefused(text) {
      showNotice(t('chatTooFast'));
      // Kept for another try, after anything typed since (refused messages come back in order).
      const typed = el.chatInput.value;
      el.chatInput.value = typed ? `${typed} ${text}` : text;
      el.chatInput.focus();
    },
    ended(reason, opensAt) {
      session = null;
      setJoining(false);
      // Removed, or the room ended or changed: the server revoked the rejoin token (or ticket).
      if (!keepsRejoinAfter(reason)) forgetHostKey();
      // Moved (or this occurrence cancelled): the page waits for the room's next opening.
      if (reason === 'endedMoved') return showNotYetOpen(opensAt, t('endedMoved'));
      // Only the visitor's Join again, never a retry: a window replaced by another that joined by
      // itself would take the seat back, and the two would keep replacing each other.
      showMessage(t(END_MESSAGES[reason]), t('rejoin'), () => void loadStatus());
    },
  });
}

/** Call notices are transient: the live region has announced them, and stale ones would mislead. */
function showNotice(text: string): void {
  window.clearTimeout(noticeTimer);
  el.callNotice.textContent = text;
  noticeTimer = window.setTimeout(() => {
    el.callNotice.textContent = '';
  }, 10_000);
}

/**
 * The browser refused to play the others' sound (no click or key press on the page yet, or a browser
 * that wants one for each new participant): a notice with a button, until a gesture starts it all.
 */
function renderSoundBlocked(refused: boolean): void {
  const wasShown = !el.soundBlocked.hidden;
  el.soundBlocked.hidden = !refused;
  if (refused && !wasShown) announce(t('soundBlocked'));
  // The button pressed is gone: the focus goes on to the call's controls, not to the page's start.
  if (!refused && wasShown && document.activeElement === el.soundOn)
    [el.callMic, el.callCam, el.callLeave].find((button) => !button.disabled)?.focus();
}

/** A camera or microphone problem: a call notice, or before joining (notices out of sight) the form's line. */
function mediaProblem(text: string): void {
  if (session) showNotice(text);
  else el.joinError.textContent = text;
}

function formError(text: string, field: HTMLElement): void {
  el.joinError.textContent = text;
  markInvalid(field);
  field.focus();
  if (field instanceof HTMLInputElement) field.select();
}

/**
 * Marks the field an error is about as invalid and has it described by the error too, so that a
 * screen reader says what is wrong with it whenever the visitor comes back to it; the other fields
 * lose both. `null`: no field is in error.
 */
function markInvalid(field: HTMLElement | null): void {
  for (const input of [el.name, el.pin]) {
    const hints = (input.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter((id) => id && id !== 'join-error');
    if (input === field) {
      input.setAttribute('aria-invalid', 'true');
      hints.push('join-error');
    } else input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', hints.join(' '));
  }
}

function setJoining(joining: boolean): void {
  el.joinButton.disabled = joining;
  el.joinButton.textContent = joining ? t('joining') : t('joinButton');
}

function stopMedia(): void {
  if (!mediaStarted) return;
  media.stop();
  mediaStarted = false;
}

function renderToggles(): void {
  const state = media.state;
  for (const button of [el.previewMic, el.callMic]) {
    setToggle(button, state.audio, state.audio ? t('micOn') : t('micOff'));
    button.disabled = !media.hasMic;
  }
  for (const button of [el.previewCam, el.callCam]) {
    setToggle(button, state.video, state.video ? t('camOn') : t('camOff'));
    button.disabled = !media.hasCamera;
  }
  setToggle(el.callScreen, state.screen, state.screen ? t('screenOn') : t('screenOff'));
  el.callScreen.hidden = !LocalMedia.canShareScreen();
  const video = media.videoTrack;
  const current = (el.preview.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
  if (current !== video) el.preview.srcObject = video ? new MediaStream([video]) : null;
}

async function fillDevices(): Promise<void> {
  const { cameras, microphones } = await media.devices();
  fillSelect(el.camera, cameras, media.videoDeviceId, 'cameraLabel');
  fillSelect(el.microphone, microphones, media.audioDeviceId, 'microphoneLabel');
}

function fillSelect(
  select: HTMLSelectElement,
  devices: MediaDeviceInfo[],
  inUse: string,
  kind: 'cameraLabel' | 'microphoneLabel',
): void {
  select.replaceChildren(
    ...(devices.length
      ? devices.map((d, i) => h('option', { value: d.deviceId, text: d.label || `${t(kind)} ${i + 1}` }))
      : [h('option', { value: '', text: t('noDevice') })]),
  );
  select.disabled = devices.length === 0;
  showInUse(select, inUse);
}

/**
 * Selects the device in use. One the list lacks (none in use, or a device gone) shows as a
 * placeholder, selected and not choosable: the browser would show the first device instead, and
 * choosing that one would change nothing.
 */
function showInUse(select: HTMLSelectElement, inUse: string): void {
  if (select.disabled) return;
  select.querySelector('option[data-placeholder]')?.remove();
  if ([...select.options].some((option) => option.value === inUse)) {
    select.value = inUse;
    return;
  }
  const placeholder = h('option', {
    value: '',
    text: t(inUse ? 'currentDevice' : 'noDevice'),
    disabled: true,
    'data-placeholder': true,
  });
  select.prepend(placeholder);
  placeholder.selected = true;
}

function wireControls(): void {
  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void join();
  });
  const toggleMic = () => media.setMic(!media.state.audio);
  const toggleCam = () =>
    void media.setCamera(!media.state.video).catch(() => {
      renderToggles();
      mediaProblem(t('cameraFailed'));
    });
  el.previewMic.addEventListener('click', toggleMic);
  el.callMic.addEventListener('click', toggleMic);
  el.previewCam.addEventListener('click', toggleCam);
  el.callCam.addEventListener('click', toggleCam);
  el.callScreen.addEventListener('click', () => {
    if (media.state.screen) return media.stopScreen();
    media.startScreen().catch(() => {
      showNotice(t('shareFailed'));
    });
  });
  el.callLeave.addEventListener('click', leaveOnPurpose);
  // Any click or key press is a gesture that lets the browser play what it refused; the notice's
  // button is one, and says so. Captured, so that no handler can stop it on the way.
  for (const type of ['click', 'keydown'] as const)
    window.addEventListener(type, () => playback.resume(), { capture: true });
  el.waitingLeave.addEventListener('click', leaveOnPurpose);
  // A device that does not start (busy, unplugged) leaves the one in use, and the list shows that one again.
  el.camera.addEventListener('change', () => {
    media.useCamera(el.camera.value).then(
      () => showInUse(el.camera, media.videoDeviceId),
      () => {
        mediaProblem(t('cameraFailed'));
        showInUse(el.camera, media.videoDeviceId);
      },
    );
  });
  el.microphone.addEventListener('change', () => {
    media.useMicrophone(el.microphone.value).then(
      () => showInUse(el.microphone, media.audioDeviceId),
      () => {
        mediaProblem(t('microphoneFailed'));
        showInUse(el.microphone, media.audioDeviceId);
      },
    );
  });
  navigator.mediaDevices?.addEventListener?.('devicechange', () => void fillDevices());
  el.chatForm.addEventListener('submit', (event) => {
    event.preventDefault();
    // Cleaned as the server cleans it: what the server refuses is never sent.
    const text = cleanChat(el.chatInput.value);
    if (!text) return;
    // Refused messages put back in the field can add up past the limit the field itself keeps.
    if (text.length > LIMITS.chatLength) return showNotice(t('chatTooLong', { max: LIMITS.chatLength }));
    if (!session) return;
    // Over the chat limit the line stays in the field, where nothing typed later can overtake it.
    if (!pace.take()) return showNotice(t('chatTooFast'));
    // A connection that is closing takes nothing: the line stays for the call joined again.
    if (session.chat(text)) el.chatInput.value = '';
  });
}

/** Moves focus to a view's heading so that screen readers announce where the visitor now is. */
function focusHeading(viewId: string): void {
  const heading = byId(viewId).querySelector<HTMLElement>('h1');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}

init();
