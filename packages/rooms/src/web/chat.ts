/** The chat log: text only (never HTML), kept in this page's memory until the page closes. */
import { h } from './dom.js';
import { language } from './i18n.js';

export class ChatView {
  constructor(private readonly log: HTMLElement) {}

  append(name: string, text: string, at: string, mine: boolean): void {
    const time = new Date(at);
    const stamp = Number.isNaN(time.getTime())
      ? ''
      : new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit' }).format(time);
    const nearBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    this.log.append(
      h(
        'li',
        { class: mine ? 'chat-line mine' : 'chat-line' },
        h('span', { class: 'chat-meta' }, h('strong', { text: name }), stamp ? ` ${stamp}` : ''),
        h('span', { class: 'chat-text', text }),
      ),
    );
    if (nearBottom || mine) this.log.scrollTop = this.log.scrollHeight;
  }

  clear(): void {
    this.log.replaceChildren();
  }
}
