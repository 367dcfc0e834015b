/**
 * The others' media when the browser refuses play() (autoplay policy): the refusal is remembered and
 * reported, never left as an unhandled rejection, and the visitor's gesture plays every refused
 * element again. The media elements are stand-ins whose play() answers as the test says.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Playable, Playback } from '../src/web/playback.js';

type Answer = 'play' | 'refuse' | 'abort' | 'unsupported' | 'throw' | 'nothing' | 'later';

class FakeMedia implements Playable {
  paused = true;
  plays = 0;
  /** How the browser answers play() from now on. */
  answer: Answer = 'refuse';
  /** play() calls answered 'later', to settle by hand. */
  readonly pending: { resolve(): void; reject(error: unknown): void }[] = [];
  readonly #playing: (() => void)[] = [];

  play(): Promise<void> | undefined {
    this.plays += 1;
    switch (this.answer) {
      case 'play':
        this.paused = false;
        return Promise.resolve();
      case 'refuse':
        return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
      case 'abort':
        return Promise.reject(new DOMException('interrupted by a new load request', 'AbortError'));
      case 'unsupported':
        return Promise.reject(new DOMException('no supported source', 'NotSupportedError'));
      case 'throw':
        throw new DOMException('play() needs a user gesture', 'NotAllowedError');
      case 'nothing':
        // A browser whose play() returns no promise at all.
        this.paused = false;
        return undefined;
      case 'later':
        return new Promise((resolve, reject) => {
          this.pending.push({ resolve, reject });
        });
    }
  }

  addEventListener(type: 'playing', listener: () => void): void {
    if (type === 'playing') this.#playing.push(listener);
  }

  /** Starts by another route (the autoplay attribute, the browser's own controls): `playing` fires. */
  startsPlaying(): void {
    this.paused = false;
    for (const listener of this.#playing) listener();
  }
}

/** Lets the promise callbacks run, and Node report any unhandled rejection. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

let changes: boolean[];
let playback: Playback;
let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(() => {
  changes = [];
  playback = new Playback((refused) => changes.push(refused));
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('a play() the browser refuses', () => {
  it('is remembered and reported once, and no rejection goes unhandled', async () => {
    const media = new FakeMedia();
    playback.play(media);
    await settle();
    expect(playback.refused).toBe(true);
    expect(changes).toEqual([true]);

    // A new stream on the same tile, refused again: still the one notice.
    playback.play(media);
    await settle();
    expect(changes).toEqual([true]);
  });

  it('a play() that throws instead of rejecting counts the same', async () => {
    const media = new FakeMedia();
    media.answer = 'throw';
    playback.play(media);
    await settle();
    expect(playback.refused).toBe(true);
    expect(changes).toEqual([true]);
  });

  it('plays again at the visitor’s gesture, and the notice goes', async () => {
    const media = new FakeMedia();
    playback.play(media);
    await settle();
    media.answer = 'play';
    playback.resume();
    expect(media.paused).toBe(false);
    await settle();
    expect(playback.refused).toBe(false);
    expect(changes).toEqual([true, false]);
  });

  it('a gesture the browser does not count leaves it refused, without a second notice', async () => {
    const media = new FakeMedia();
    playback.play(media);
    await settle();
    playback.resume();
    await settle();
    expect(media.plays).toBe(2);
    expect(playback.refused).toBe(true);
    expect(changes).toEqual([true]);
  });

  it('every refused element plays at the gesture; the notice stays until all do', async () => {
    const first = new FakeMedia();
    const second = new FakeMedia();
    const fine = new FakeMedia();
    fine.answer = 'play';
    for (const media of [first, second, fine]) playback.play(media);
    await settle();
    expect(changes).toEqual([true]);

    first.answer = 'play';
    playback.resume();
    await settle();
    expect(playback.refused).toBe(true);
    expect(changes).toEqual([true]);
    // Only what was refused is played again.
    expect(fine.plays).toBe(1);

    second.answer = 'play';
    playback.resume();
    await settle();
    expect([first.paused, second.paused]).toEqual([false, false]);
    expect(first.plays).toBe(2);
    expect(changes).toEqual([true, false]);
  });

  it('an element that starts by itself meanwhile (playing) is no longer waiting', async () => {
    const media = new FakeMedia();
    playback.play(media);
    await settle();
    media.startsPlaying();
    expect(playback.refused).toBe(false);
    expect(changes).toEqual([true, false]);
    playback.resume();
    expect(media.plays).toBe(1);
  });

  it('a removed tile no longer waits, even if its play() is refused after', async () => {
    const media = new FakeMedia();
    playback.play(media);
    await settle();
    playback.forget(media);
    expect(playback.refused).toBe(false);
    expect(changes).toEqual([true, false]);

    const late = new FakeMedia();
    late.answer = 'later';
    playback.play(late);
    playback.forget(late);
    late.pending[0]?.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
    await settle();
    expect(playback.refused).toBe(false);
    expect(changes).toEqual([true, false]);
  });
});

describe('other answers to play()', () => {
  it('an interrupted play() (a newer stream) or an unplayable stream asks nothing of the visitor', async () => {
    for (const answer of ['abort', 'unsupported'] as const) {
      const media = new FakeMedia();
      media.answer = answer;
      playback.play(media);
    }
    await settle();
    expect(playback.refused).toBe(false);
    expect(changes).toEqual([]);
  });

  it('a browser whose play() returns nothing plays as before', async () => {
    const media = new FakeMedia();
    media.answer = 'nothing';
    playback.play(media);
    await settle();
    expect(media.paused).toBe(false);
    expect(changes).toEqual([]);
  });

  it('a play() that starts later (waiting for the first frames) is no refusal', async () => {
    const media = new FakeMedia();
    media.answer = 'later';
    playback.play(media);
    await settle();
    expect(playback.refused).toBe(false);
    media.pending[0]?.resolve();
    await settle();
    expect(changes).toEqual([]);
  });
});
