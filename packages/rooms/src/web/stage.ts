/** The video tiles: this participant's own (muted, mirrored) and one per other participant. */
import type { MediaState } from '../shared/protocol.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import type { Playback } from './playback.js';

interface Tile {
  readonly root: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly avatar: HTMLElement;
  readonly name: HTMLElement;
  readonly badges: HTMLElement;
}

export class Stage {
  readonly #tiles = new Map<string, Tile>();

  /** `playback` starts the tiles' media and keeps track of what the browser refused to play. */
  constructor(
    private readonly root: HTMLElement,
    private readonly playback: Playback,
  ) {}

  /** Creates the tile if needed and (re)labels it. */
  upsert(id: string, name: string, local: boolean): void {
    let tile = this.#tiles.get(id);
    if (!tile) {
      const video = h('video', { autoplay: true, playsinline: true });
      video.muted = local;
      const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' });
      const nameEl = h('span', { class: 'tile-name' });
      const badges = h('span', { class: 'tile-badges' });
      const root = h(
        'figure',
        { class: local ? 'tile local' : 'tile remote', 'data-peer': id },
        video,
        avatar,
        h('figcaption', {}, nameEl, badges),
      );
      tile = { root, video, avatar, name: nameEl, badges };
      this.#tiles.set(id, tile);
      if (local) this.root.prepend(root);
      else this.root.append(root);
      this.#layout();
    }
    tile.name.textContent = local ? t('you', { name }) : name;
    tile.avatar.textContent = initials(name);
    tile.video.setAttribute('aria-label', local ? t('yourVideo') : t('videoOf', { name }));
  }

  setStream(id: string, stream: MediaStream | null): void {
    const tile = this.#tiles.get(id);
    if (!tile || tile.video.srcObject === stream) return;
    tile.video.srcObject = stream;
    // The browser may refuse to play with sound before a gesture of the visitor's (see playback.ts).
    if (stream) this.playback.play(tile.video);
    else this.playback.forget(tile.video);
  }

  setState(
    id: string,
    media: MediaState,
    connection: 'connecting' | 'connected' | 'failed' = 'connected',
  ): void {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.root.classList.toggle('no-video', !media.video && !media.screen);
    tile.root.classList.toggle('screen', media.screen);
    tile.root.classList.toggle('is-connecting', connection !== 'connected');
    const badges = [
      connection === 'connecting' ? t('connecting') : null,
      connection === 'failed' ? t('connectionFailed') : null,
      media.audio ? null : t('muted'),
      media.screen ? t('sharing') : media.video ? null : t('cameraOff'),
    ].filter((b): b is string => b !== null);
    tile.badges.textContent = badges.length ? ` · ${badges.join(' · ')}` : '';
  }

  remove(id: string): void {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.video.srcObject = null;
    this.playback.forget(tile.video);
    tile.root.remove();
    this.#tiles.delete(id);
    this.#layout();
  }

  clear(): void {
    for (const id of [...this.#tiles.keys()]) this.remove(id);
  }

  #layout(): void {
    this.root.dataset.count = String(this.#tiles.size);
  }
}

function initials(name: string): string {
  const words = name.split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters
    .map((w) => [...(w ?? '')][0] ?? '')
    .join('')
    .toUpperCase();
}
