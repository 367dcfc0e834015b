/**
 * The others' sound when the browser refuses to play it (autoplay policy): play() rejects with
 * NotAllowedError, the tile stays paused and silent. The page must say so, with a button, and play
 * everything at the visitor's next click or key press. Chromium with an autoplay policy flag:
 *
 * - document-user-activation-required (desktop Chromium's own): refuses only a page that has had no
 *   gesture at all and captures no camera or microphone. The page joins on a Join click only, so a
 *   visitor never meets it; the test joins from script without a gesture, as a page that rejoined by
 *   itself would, with camera and microphone unavailable (a listen-only visitor).
 * - user-gesture-required (Android WebView's, and the rule Safari follows): each new media element
 *   needs a gesture of its own, so whoever is in the call already, with no click in the last seconds,
 *   gets each newcomer's tile refused. That is the visitor's everyday path there.
 *
 * Playwright grants the page a user activation with every evaluate and every locator it runs, so the
 * page under test is read only through a CDP evaluate that does not (userGesture false).
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWebClient, launchChromium, newParticipantPage } from './browser.js';
import { MapDirectory, startServer, type TestServer } from './helpers.js';

const MEDIA_TIMEOUT = 20_000;

const directory = new MapDirectory();
let server: TestServer;
let web: { root: string; remove(): Promise<void> };
const browsers: { close(): Promise<void> }[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  web = await buildWebClient();
  server = await startServer({ directory, webRoot: web.root });
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
});

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await server?.close();
  await web?.remove();
});

async function chromiumWith(policy: string): Promise<Browser> {
  const chromium = await launchChromium([`--autoplay-policy=${policy}`]);
  browsers.push(chromium);
  return chromium.browser;
}

/** Test-only: every unhandled promise rejection the page has, by the error's name. */
const REMEMBER_REJECTIONS = `(() => {
  window.__rejections = [];
  window.addEventListener('unhandledrejection', (event) => {
    window.__rejections.push(String(event.reason && event.reason.name));
  });
})();`;

/** Test-only: no camera or microphone (blocked or missing), so the page captures nothing. */
const NO_DEVICES = `(() => {
  const refuse = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  navigator.mediaDevices.getUserMedia = refuse;
  navigator.mediaDevices.enumerateDevices = () => Promise.resolve([]);
})();`;

interface Participant {
  readonly page: Page;
  /** Evaluates in the page without granting it a user activation (see the file's comment). */
  quiet<T>(expression: string): Promise<T>;
}

async function participant(browser: Browser, initScripts: string[] = []): Promise<Participant> {
  const { context, page } = await newParticipantPage(browser);
  contexts.push(context);
  await context.addInitScript(REMEMBER_REJECTIONS);
  for (const script of initScripts) await context.addInitScript(script);
  const cdp: CDPSession = await context.newCDPSession(page);
  return {
    page,
    async quiet<T>(expression: string): Promise<T> {
      const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', {
        expression,
        returnByValue: true,
        awaitPromise: true,
      });
      if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
      return result.value as T;
    },
  };
}

/** Joins like a person: typing and a click on Join. */
async function joinByClick(browser: Browser, slug: string, name: string): Promise<Participant> {
  const p = await participant(browser);
  await p.page.goto(`${server.baseUrl}/m/${slug}`);
  await p.page.getByLabel('Your name').fill(name);
  await p.page.getByRole('button', { name: 'Join', exact: true }).click();
  await p.page.getByRole('button', { name: 'Leave' }).waitFor({ state: 'visible' });
  return p;
}

interface Sound {
  /** The sound notice is on screen. */
  readonly notice: boolean;
  /** The others' tiles that have a stream with audio: whether each plays (unmuted). */
  readonly remote: { readonly paused: boolean; readonly muted: boolean }[];
  readonly activated: boolean;
  readonly rejections: string[];
}

const SOUND = `({
  notice: !document.getElementById('view-call').hidden && !document.getElementById('sound-blocked').hidden,
  remote: [...document.querySelectorAll('figure.remote video')]
    .filter((v) => v.srcObject && v.srcObject.getAudioTracks().length > 0)
    .map((v) => ({ paused: v.paused, muted: v.muted })),
  activated: navigator.userActivation.hasBeenActive,
  rejections: window.__rejections,
})`;

const sound = (p: Participant) => p.quiet<Sound>(SOUND);

describe('sound the browser refuses to play', () => {
  it('a listen-only visitor in the call without a gesture (document-user-activation-required): the page says so, in French, and its button turns the sound on', async () => {
    const browser = await chromiumWith('document-user-activation-required');
    const slug = directory.add();
    await joinByClick(browser, slug, 'Ada');

    const bea = await participant(browser, [NO_DEVICES]);
    await bea.page.goto(`${server.baseUrl}/m/${slug}?lang=fr`);
    // The pre-join form, once the page knows there is no camera or microphone.
    await expect.poll(() => bea.quiet<boolean>("!document.getElementById('media-notice').hidden")).toBe(true);
    await bea.quiet(`(() => {
      document.getElementById('name-input').value = 'Bea';
      document.getElementById('join-form').requestSubmit();
    })()`);

    await expect
      .poll(
        async () => {
          const now = await sound(bea);
          return now.notice && now.remote.length === 1;
        },
        { timeout: MEDIA_TIMEOUT },
      )
      .toBe(true);
    const refused = await sound(bea);
    // No gesture ever: that is why the browser refused, and the tile is silent.
    expect(refused).toMatchObject({ activated: false, remote: [{ paused: true, muted: false }] });
    expect(refused.rejections).toEqual([]);
    // Screen readers hear it too (the page's polite live region).
    await expect
      .poll(() => bea.quiet<string>("document.getElementById('announcer').textContent"))
      .toBe('Votre navigateur coupe le son de la réunion tant que vous n’avez pas cliqué sur cette page.');

    // A real click at the button, found without a locator: a locator's own evaluate would grant the
    // page its first user activation, and any play() the page retried before the click would then
    // start the sound and hide the button (it did, about one run in three).
    const button = await bea.quiet<{ name: string; x: number; y: number }>(`(() => {
      const b = document.getElementById('sound-on');
      const r = b.getBoundingClientRect();
      return { name: b.textContent, x: r.x + r.width / 2, y: r.y + r.height / 2 };
    })()`);
    expect(button.name).toBe('Cliquez pour activer le son');
    await bea.page.mouse.click(button.x, button.y);
    await expect
      .poll(() => sound(bea))
      .toMatchObject({ notice: false, remote: [{ paused: false, muted: false }], rejections: [] });
    // The button pressed is gone: the focus is on the call's controls (Leave: no microphone or camera).
    expect(await bea.quiet<string>('document.activeElement.id')).toBe('call-leave');
  }, 60_000);

  it('a newcomer’s sound refused to whoever is in the call (user-gesture-required): the notice shows, and a click anywhere on the page turns it on', async () => {
    const browser = await chromiumWith('user-gesture-required');
    const slug = directory.add();
    const ada = await joinByClick(browser, slug, 'Ada');
    // Ada's Join click (and the test's own steps) no longer count as a gesture: the browser's
    // transient activation lapses a few seconds after the last one.
    await expect
      .poll(() => ada.quiet<boolean>('navigator.userActivation.isActive'), { timeout: MEDIA_TIMEOUT })
      .toBe(false);

    await joinByClick(browser, slug, 'Cy');
    await expect
      .poll(
        async () => {
          const now = await sound(ada);
          return now.notice && now.remote.length === 1;
        },
        { timeout: MEDIA_TIMEOUT },
      )
      .toBe(true);
    expect(await sound(ada)).toMatchObject({ remote: [{ paused: true, muted: false }], rejections: [] });
    expect(await ada.page.getByRole('button', { name: 'Click to turn on sound' }).isVisible()).toBe(true);

    // Not the button: any click on the page is the gesture the browser waits for.
    await ada.page.getByRole('heading', { name: /Participants/ }).click();
    await expect
      .poll(() => sound(ada))
      .toMatchObject({ notice: false, remote: [{ paused: false, muted: false }], rejections: [] });
  }, 60_000);
});
