/**
 * The participant list (with a host's mute/remove buttons) and the lobby (admit/deny). Rows are
 * updated in place so that keyboard focus stays on the button being used.
 */
import type { MediaState, PeerSummary, Role, WaitingGuest } from '../shared/protocol.js';
import { h } from './dom.js';
import { t } from './i18n.js';

export interface HostActions {
  admit(id: string): void;
  deny(id: string): void;
  mute(id: string): void;
  remove(id: string): void;
}

export interface Person extends MediaState {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly self: boolean;
}

interface Row {
  readonly li: HTMLLIElement;
  readonly label: HTMLElement;
  readonly status: HTMLElement;
  readonly actions: HTMLElement;
}

export class PeopleView {
  readonly #rows = new Map<string, Row>();
  readonly #lobbyRows = new Map<string, HTMLLIElement>();
  #hostView = false;

  constructor(
    private readonly list: HTMLElement,
    private readonly heading: HTMLElement,
    private readonly lobby: HTMLElement,
    private readonly lobbyList: HTMLElement,
    private readonly actions: HostActions,
  ) {}

  /** Hosts see mute/remove buttons and the lobby. */
  setHostView(host: boolean): void {
    this.#hostView = host;
    for (const row of this.#rows.values()) row.actions.hidden = !host;
    this.lobby.hidden = !host || this.#lobbyRows.size === 0;
  }

  upsert(person: Person): void {
    let row = this.#rows.get(person.id);
    if (!row) {
      const label = h('span', { class: 'person-name' });
      const status = h('span', { class: 'person-status' });
      const actions = h('span', { class: 'person-actions' });
      const li = h('li', { 'data-peer': person.id }, label, status, actions);
      row = { li, label, status, actions };
      this.#rows.set(person.id, row);
      if (person.self) this.list.prepend(li);
      else this.list.append(li);
      if (!person.self) {
        actions.append(
          h('button', {
            type: 'button',
            class: 'button small',
            'data-action': 'mute',
            text: t('askMute'),
            'aria-label': t('askMuteLabel', { name: person.name }),
          }),
          h('button', {
            type: 'button',
            class: 'button small danger',
            'data-action': 'remove',
            text: t('remove'),
            'aria-label': t('removeLabel', { name: person.name }),
          }),
        );
        actions.addEventListener('click', (event) => {
          const action = (event.target as HTMLElement).closest('button')?.dataset.action;
          if (action === 'mute') this.actions.mute(person.id);
          if (action === 'remove') this.actions.remove(person.id);
        });
      }
      actions.hidden = !this.#hostView || person.self;
    }
    row.label.textContent = person.self ? t('you', { name: person.name }) : person.name;
    const notes = [
      person.role === 'host' ? t('host') : null,
      person.audio ? null : t('muted'),
      person.screen ? t('sharing') : person.video ? null : t('cameraOff'),
    ].filter((n): n is string => n !== null);
    row.status.textContent = notes.length ? ` (${notes.join(', ')})` : '';
    this.#count();
  }

  remove(id: string): void {
    const row = this.#rows.get(id);
    if (row) removeKeepingFocus(row.li, this.heading);
    this.#rows.delete(id);
    this.#count();
  }

  setWaiting(waiting: readonly WaitingGuest[]): void {
    const ids = new Set(waiting.map((w) => w.id));
    for (const [id, li] of this.#lobbyRows) {
      if (ids.has(id)) continue;
      // The admitted guest joins the participant list, whose heading is where focus goes last.
      removeKeepingFocus(li, this.heading);
      this.#lobbyRows.delete(id);
    }
    // A new row goes where the server lists it (a guest back after a lost connection keeps their
    // place in line), before the row of whoever follows; rows already shown never move, so that
    // focus stays on the button being used. Walked from the end: `next` is that following row.
    let next: HTMLLIElement | null = null;
    for (const guest of [...waiting].reverse()) {
      const shown = this.#lobbyRows.get(guest.id);
      if (shown) {
        next = shown;
        continue;
      }
      const admit = h('button', {
        type: 'button',
        class: 'button small primary',
        text: t('admit'),
        'aria-label': t('admitLabel', { name: guest.name }),
      });
      const deny = h('button', {
        type: 'button',
        class: 'button small',
        text: t('deny'),
        'aria-label': t('denyLabel', { name: guest.name }),
      });
      admit.addEventListener('click', () => this.actions.admit(guest.id));
      deny.addEventListener('click', () => this.actions.deny(guest.id));
      const li = h(
        'li',
        { 'data-peer': guest.id },
        h('span', { class: 'person-name', text: guest.name }),
        h('span', { class: 'person-actions' }, admit, deny),
      );
      this.#lobbyRows.set(guest.id, li);
      this.lobbyList.insertBefore(li, next);
      next = li;
    }
    this.lobby.hidden = !this.#hostView || this.#lobbyRows.size === 0;
  }

  clear(): void {
    this.list.replaceChildren();
    this.lobbyList.replaceChildren();
    this.#rows.clear();
    this.#lobbyRows.clear();
    this.lobby.hidden = true;
    this.#count();
  }

  #count(): void {
    this.heading.textContent = t('participantsCount', { count: this.#rows.size });
  }
}

/**
 * Removes a row. When it held keyboard focus (the host pressed Admit, Deny or Remove in it), focus
 * moves to the next row's first button, else the previous row's, else `fallback`: a screen reader or
 * keyboard user keeps their place in a busy lobby instead of starting again from the top of the page.
 */
function removeKeepingFocus(li: HTMLElement, fallback: HTMLElement): void {
  const focused = document.activeElement;
  const hadFocus = focused !== null && li.contains(focused);
  const neighbours = [li.nextElementSibling, li.previousElementSibling];
  li.remove();
  if (!hadFocus) return;
  for (const neighbour of neighbours) {
    const button = neighbour?.querySelector<HTMLButtonElement>('button:not([disabled])');
    if (button && !button.closest('[hidden]')) {
      button.focus();
      return;
    }
  }
  if (!fallback.hasAttribute('tabindex')) fallback.setAttribute('tabindex', '-1');
  fallback.focus();
}

export function personFrom(peer: PeerSummary): Person {
  return { ...peer, self: false };
}
