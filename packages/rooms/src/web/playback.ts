/**
 * Starting the other participants' audio and video. A browser may refuse play() with
 * NotAllowedError until the visitor has clicked or pressed a key (autoplay policies: Safari, Android
 * WebView, and Chromium or Firefox on a page with no gesture and no camera or microphone in use).
 * The element then stays paused and silent: this remembers it, says so (the page offers a button),
 * and plays it again at the visitor's next gesture. No play() rejection is left unhandled.
 */

/** What is needed of a media element (an interface, so that Node tests can stand in for one). */
export interface Playable {
  readonly paused: boolean;
  /** Older browsers return nothing, and a detached element may throw. */
  play(): Promise<void> | undefined;
  addEventListener(type: 'playing', listener: () => void): void;
}

export class Playback {
  /** Paused because the browser refused play() for want of a gesture. */
  readonly #refused = new Set<Playable>();
  /** Elements with a `playing` listener already (one each). */
  readonly #watched = new WeakSet<Playable>();
  /** Elements forgotten since (removed tiles): a late answer to their play() changes nothing. */
  readonly #forgotten = new WeakSet<Playable>();

  /** `onRefusedChange(true)`: some sound is off until a gesture; `false`: all of it plays again. */
  constructor(private readonly onRefusedChange: (refused: boolean) => void) {}

  /** Whether some element waits for a gesture to play. */
  get refused(): boolean {
    return this.#refused.size > 0;
  }

  /** Plays `element` (a new stream on it, or a retry); a refusal is remembered until a gesture. */
  play(element: Playable): void {
    this.#forgotten.delete(element);
    if (!this.#watched.has(element)) {
      this.#watched.add(element);
      // Playing by any route (a retry, the autoplay attribute, the browser's own controls) settles it.
      element.addEventListener('playing', () => this.#settle(element, false));
    }
    let started: Promise<void> | undefined;
    try {
      started = element.play();
    } catch (error) {
      this.#failed(element, error);
      return;
    }
    // Kept as one chain with its own rejection handler: a refusal never becomes an unhandled rejection.
    Promise.resolve(started).then(
      () => this.#settle(element, false),
      (error: unknown) => this.#failed(element, error),
    );
  }

  /**
   * Plays again every element the browser refused. Call it from a click or key press (the visitor's
   * gesture is what lets the browser play): synchronously, before any await.
   */
  resume(): void {
    for (const element of [...this.#refused]) {
      // Started meanwhile (or by an earlier call in the same gesture): nothing to do.
      if (!element.paused) this.#settle(element, false);
      else this.play(element);
    }
  }

  /** The element is gone (tile removed) or has no stream any more: it no longer waits for anything. */
  forget(element: Playable): void {
    this.#forgotten.add(element);
    this.#settle(element, false);
  }

  #failed(element: Playable, error: unknown): void {
    // AbortError: a newer stream or a removal interrupted this play(); whatever replaced it answers.
    // Other errors (an unplayable stream) are not the visitor's to fix with a click.
    if (errorName(error) === 'NotAllowedError') this.#settle(element, true);
  }

  #settle(element: Playable, refused: boolean): void {
    const before = this.refused;
    if (refused && !this.#forgotten.has(element)) this.#refused.add(element);
    else this.#refused.delete(element);
    if (this.refused !== before) this.onRefusedChange(this.refused);
  }
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error
    ? String((error as { name: unknown }).name)
    : undefined;
}
