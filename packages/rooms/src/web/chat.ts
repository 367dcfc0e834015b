/** The chat log: text only (never HTML), kept in this page's memory until the page closes. */
import type { Role } from '../shared/protocol.js';
import { h } from './dom.js';
import { language, t } from './i18n.js';

export class ChatView {
  /** `log`: the list the lines go in; `scroller`: the element that scrolls it (the live region). */
  constructor(
    private readonly log: HTMLElement,
    private readonly scroller: HTMLElement = log,
  ) {}

  /**
   * `role` comes from the server, from the PIN the sender joined with: a guest can take a host's
   * name, never the host badge.
   */
  append(name: string, text: string, at: string, mine: boolean, role: Role): void {
    const time = new Date(at);
    const stamp = Number.isNaN(time.getTime())
      ? ''
      : new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit' }).format(time);
    const { scroller } = this;
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    this.log.append(
      h(
        'li',
        { class: mine ? 'chat-line mine' : 'chat-line' },
        h(
          'span',
          { class: 'chat-meta' },
          h('strong', { text: name }),
          role === 'host' ? ' ' : '',
          role === 'host' ? h('span', { class: 'chat-badge', text: t('host') }) : null,
          stamp ? ` ${stamp}` : '',
        ),
        h('span', { class: 'chat-text', text }),
      ),
    );
    if (nearBottom || mine) scroller.scrollTop = scroller.scrollHeight;
  }

  clear(): void {
    this.log.replaceChildren();
  }
}
