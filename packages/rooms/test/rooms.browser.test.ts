/**
 * The join page in headless Chromium with fake camera and microphone: 2 and 3 participants really
 * exchange audio and video (inbound RTP bytes grow), chat, lobby, host powers, PIN lockout, host
 * links, and rooms that cannot be joined.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoomInfo } from '../src/server/directory.js';
import { CLOSE, LIMITS, REJOIN_GRACE_MS } from '../src/shared/protocol.js';
import { PAGE_CHAT_HEADROOM } from '../src/web/chat-pace.js';
import { buildWebClient, inboundStats, launchChromium, newParticipantPage } from './browser.js';
import { MapDirectory, startServer, type TestServer, TestSocket } from './helpers.js';

const HOST_PIN = '482913';
const GUEST_PIN = '771204';
/** What the page says once wrong PINs locked this address out, pointing the organizer to the host link. */
const LOCKED =
  'Too many wrong PINs. Try again in 15 min. Organizer? Use “Join as host” in Roomlink options in Outlook.';
const MEDIA_TIMEOUT = 20_000;

const directory = new MapDirectory();
let server: TestServer;
let chromium: { browser: Browser; close(): Promise<void> };
let web: { root: string; remove(): Promise<void> };
/**
 * The browser contexts the running test opened. Each is closed when its test ends: a page left in a
 * call goes on encoding and decoding video, and with every earlier test's pages still in their calls
 * the later tests of this file ran several times slower on a loaded machine.
 */
const contexts: BrowserContext[] = [];
/** Servers of the running test's own (see ownServer), closed when it ends, after its pages. */
const ownServers: TestServer[] = [];

beforeAll(async () => {
  [web, chromium] = await Promise.all([buildWebClient(), launchChromium()]);
  server = await startServer({
    directory,
    webRoot: web.root,
    maxParticipants: 3,
    pinAttempts: 3,
    lockoutMinutes: 15,
  });
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
  await Promise.all(ownServers.splice(0).map((s) => s.close()));
});

/**
 * A server as the shared one, for a test that counts what the server holds: the shared one may still
 * hold earlier tests' visitors for a while (a waiting guest whose tab closed keeps their place for
 * REJOIN_GRACE_MS; a connection cut dead stays until the heartbeat gives up).
 */
async function ownServer(): Promise<TestServer> {
  const own = await startServer({
    directory,
    webRoot: web.root,
    maxParticipants: 3,
    pinAttempts: 3,
    lockoutMinutes: 15,
  });
  ownServers.push(own);
  return own;
}

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await web?.remove();
});

async function openPage(
  slug: string,
  query = '',
  on: TestServer = server,
  beforeLoad?: (page: Page) => Promise<unknown>,
): Promise<Page> {
  const { context, page } = await newParticipantPage(chromium.browser);
  contexts.push(context);
  await beforeLoad?.(page);
  await page.goto(`${on.baseUrl}/m/${slug}${query}`);
  return page;
}

/** Fills the pre-join form like a person would and presses Join. */
async function joinAs(page: Page, name: string, pin = ''): Promise<void> {
  await page.getByLabel('Your name').fill(name);
  if (pin) await page.getByLabel(/PIN/).fill(pin);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
}

async function inCall(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Leave' }).waitFor({ state: 'visible' });
}

/**
 * Each page has `peers` live connections whose inbound audio and video byte counts are positive,
 * and then all grow: media really flows both ways between every pair.
 */
async function expectMediaFlowing(pages: Page[], peers: number): Promise<void> {
  const ready = (stats: Awaited<ReturnType<typeof inboundStats>>) =>
    stats.length === peers && stats.every((s) => s.state === 'connected' && s.audio > 0 && s.video > 0);
  for (const page of pages) {
    await expect.poll(async () => ready(await inboundStats(page)), { timeout: MEDIA_TIMEOUT }).toBe(true);
  }
  const before = await Promise.all(pages.map(inboundStats));
  for (const [i, page] of pages.entries()) {
    await expect
      .poll(
        async () => {
          const now = await inboundStats(page);
          return now.every(
            (s, j) =>
              s.audio > (before[i]?.[j]?.audio ?? Infinity) && s.video > (before[i]?.[j]?.video ?? Infinity),
          );
        },
        { timeout: MEDIA_TIMEOUT },
      )
      .toBe(true);
  }
}

async function chatLines(page: Page): Promise<string[]> {
  return page.locator('#chat-log .chat-text').allTextContents();
}

/**
 * An init script (test-only) that remembers the page's WebSockets in `window.__roomsSockets` and every
 * frame they receive in `window.__roomsFrames`.
 */
const REMEMBER_SOCKETS = `(() => {
  const Native = window.WebSocket;
  const sockets = [];
  const frames = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
      this.addEventListener('message', (event) => frames.push(String(event.data)));
    }
  };
  window.__roomsSockets = sockets;
  window.__roomsFrames = frames;
})();`;
describe('two participants', () => {
  it('see and hear each other, chat, and are told when the meeting is cancelled', async () => {
    const slug = directory.add();
    const ada = await openPage(slug);
    const bob = await openPage(slug);

    // Keyboard only: the name field has focus, Enter submits the form.
    await expect
      .poll(() => ada.evaluate('document.activeElement && document.activeElement.id'))
      .toBe('name-input');
    await ada.keyboard.type('Ada');
    await ada.keyboard.press('Enter');
    await inCall(ada);
    await joinAs(bob, 'Bob');
    await inCall(bob);

    await expectMediaFlowing([ada, bob], 1);
    await expect.poll(() => ada.locator('#participants-heading').textContent()).toBe('Participants (2)');

    await ada.getByLabel('Message').fill('Hello from Ada');
    await ada.keyboard.press('Enter');
    await expect.poll(() => chatLines(bob)).toEqual(['Hello from Ada']);
    await expect.poll(() => chatLines(ada)).toEqual(['Hello from Ada']);

    // Mute is a labelled toggle; the other side sees the state.
    await bob.getByRole('button', { name: 'Mute microphone' }).click();
    await bob.getByRole('button', { name: 'Unmute microphone' }).waitFor();
    await expect.poll(() => ada.locator('#participant-list').textContent()).toContain('microphone off');

    // Screen sharing replaces the camera in the same sender: Bob keeps receiving video.
    const bobSees = () => bob.locator('#participant-list').textContent();
    await ada.getByRole('button', { name: 'Share screen' }).click();
    await ada.getByRole('button', { name: 'Stop sharing' }).waitFor();
    await expect.poll(bobSees).toContain('sharing screen');
    await expectMediaFlowing([bob], 1);
    await ada.getByRole('button', { name: 'Stop sharing' }).click();
    await expect.poll(bobSees).not.toContain('sharing screen');

    await ada.getByRole('button', { name: 'Turn camera off' }).click();
    await expect.poll(bobSees).toContain('camera off');
    await ada.getByRole('button', { name: 'Turn camera on' }).click();
    await expect.poll(bobSees).not.toContain('camera off');

    // Another microphone mid-call: the track is swapped and audio keeps flowing to Bob.
    await ada.locator('#settings summary').click();
    const microphones = await ada.getByLabel('Microphone').locator('option').all();
    expect(microphones.length).toBeGreaterThan(1);
    await ada.getByLabel('Microphone').selectOption({ index: 1 });
    await expectMediaFlowing([bob], 1);

    expect(server.rooms.closeRoom(slug)).toBe(2);
    for (const page of [ada, bob]) await page.getByText('The meeting was cancelled.').waitFor();
  }, 60_000);
});

describe('three participants with a lobby', () => {
  it('the host admits guests; everyone gets everyone’s audio and video; chat reaches all; the fourth is turned away; host mutes and removes', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const host = await openPage(slug);
    const gus = await openPage(slug);
    const ida = await openPage(slug);

    await joinAs(host, 'Hana', HOST_PIN);
    await inCall(host);
    await joinAs(gus, 'Gus', GUEST_PIN);
    await joinAs(ida, 'Ida', GUEST_PIN);
    for (const page of [gus, ida]) await page.getByText('Waiting to be let in').waitFor();

    // By keyboard: once a guest is let in, focus moves to the next guest's Admit, and once the lobby
    // is empty, to the participant list's heading (never to the page's body).
    // (A string, evaluated in the page: this file is type-checked without the DOM's types.)
    const focused = () =>
      host.evaluate<string | undefined>(
        "document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id",
      );
    await host.getByRole('button', { name: 'Admit Gus', exact: true }).focus();
    await host.keyboard.press('Enter');
    await expect.poll(focused).toBe('Admit Ida');
    await host.keyboard.press('Enter');
    await expect.poll(focused).toBe('participants-heading');
    await inCall(gus);
    await inCall(ida);
    // Once both are in, the host's notice no longer says that Ida is waiting.
    await expect.poll(() => host.locator('#call-notice').textContent()).toBe('');

    await expectMediaFlowing([host, gus, ida], 2);

    await ida.getByLabel('Message').fill('Bonjour à tous');
    await ida.getByRole('button', { name: 'Send' }).click();
    for (const page of [host, gus, ida]) await expect.poll(() => chatLines(page)).toEqual(['Bonjour à tous']);

    const fourth = await openPage(slug);
    await joinAs(fourth, 'Dora', GUEST_PIN);
    await fourth.getByText('The room is full: at most 3 people can take part.').waitFor();

    await host.getByRole('button', { name: 'Ask to mute Gus' }).click();
    await gus.getByRole('button', { name: 'Unmute microphone' }).waitFor();
    await gus.getByText('A host asked you to mute').waitFor();

    await host.getByRole('button', { name: 'Remove Ida from the meeting' }).click();
    await ida.getByText('A host removed you from the meeting.').waitFor();
    await expect.poll(() => host.locator('#participants-heading').textContent()).toBe('Participants (2)');
    await expect.poll(focused).toBe('Ask to mute Gus');
    await expect.poll(async () => (await inboundStats(gus)).length).toBe(1);
  }, 60_000);
});

describe('a guest turned away from the lobby', () => {
  it('is told so, and asking again at once is refused as such (not as removed from the call)', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const host = await openPage(slug);
    const dora = await openPage(slug);
    await joinAs(host, 'Hana', HOST_PIN);
    await inCall(host);
    await joinAs(dora, 'Dora', GUEST_PIN);
    await dora.getByText('Waiting to be let in').waitFor();

    await host.getByRole('button', { name: 'Deny Dora', exact: true }).click();
    await dora.getByText('A host did not let you in.').waitFor();
    await dora.getByRole('button', { name: 'Join again' }).click();
    await joinAs(dora, 'Dora', GUEST_PIN);
    await expect
      .poll(() => dora.getByRole('alert').textContent())
      .toBe('A host did not let you in. You can ask again in 10 min.');
  }, 60_000);
});

describe('PIN', () => {
  it('a wrong PIN is refused and the client is locked out after the configured tries', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const page = await openPage(slug);
    await page.getByLabel('Your name').fill('Mallory');
    const pin = page.getByLabel('Meeting PIN');
    const join = page.getByRole('button', { name: 'Join', exact: true });
    const error = page.getByRole('alert');

    await pin.fill('000000');
    await join.click();
    await expect.poll(() => error.textContent()).toBe('Wrong PIN. 2 attempts left.');
    await pin.fill('111111');
    await join.click();
    await expect.poll(() => error.textContent()).toBe('Wrong PIN. 1 attempt left.');
    await pin.fill('222222');
    await join.click();
    await expect.poll(() => error.textContent()).toBe(LOCKED);

    // Locked: even the right PIN is refused now.
    await error.evaluate((el) => {
      el.textContent = '';
    });
    await pin.fill(GUEST_PIN);
    await join.click();
    await expect.poll(() => error.textContent()).toBe(LOCKED);
    expect(await page.getByRole('button', { name: 'Leave' }).isVisible()).toBe(false);
  }, 60_000);
});

describe('a visitor back at the form', () => {
  it('after a wrong PIN, the server closing the unjoined socket is no error: the next Join connects again', async () => {
    // The server closes a socket left unjoined (here after 3 s, by default 10 minutes). The page's join
    // must reach it before that: 3 s leave a loaded machine's renderer room to send it.
    const impatient = await startServer({ directory, webRoot: web.root, joinTimeoutSeconds: 3 });
    try {
      const slug = directory.add({ guestPin: GUEST_PIN });
      const page = await openPage(slug, '', impatient);
      const socketClosed = new Promise<void>((resolve) =>
        page.on('websocket', (socket) => socket.on('close', () => resolve())),
      );
      await page.getByLabel('Your name').fill('Rosa');
      const pin = page.getByLabel('Meeting PIN');
      await pin.fill('000000');
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      const error = page.getByRole('alert');
      await expect.poll(() => error.textContent()).toMatch(/^Wrong PIN\./);

      await socketClosed;
      await expect.poll(() => impatient.rooms.counts().sockets).toBe(0);
      // The page has handled the close too once its event loop has turned.
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
      // Still the form and its error, not "the meeting service cannot be reached".
      expect(await page.locator('#view-message').isVisible()).toBe(false);
      expect(await error.textContent()).toMatch(/^Wrong PIN\./);
      await pin.fill(GUEST_PIN);
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      await inCall(page);
    } finally {
      await impatient.close();
    }
  }, 60_000);
});

/**
 * An init script (test-only): the camera is held by another application for its first `times`
 * requests. The browser grants access, then the camera fails to start, as Chrome does
 * (NotReadableError), so the permission is there and the device list shows it.
 */
const cameraBusyFor = (times: number) => `(() => {
  let busy = ${times};
  const devices = navigator.mediaDevices;
  const native = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    if (!constraints || !constraints.video || busy === 0) return native(constraints);
    busy -= 1;
    return native(constraints).then((stream) => {
      for (const track of stream.getTracks()) track.stop();
      throw new DOMException('Could not start video source', 'NotReadableError');
    });
  };
})();`;

describe('a camera held by another application when the page opened', () => {
  it('can be turned on once the application lets go, without a reload; until then the page says why', async () => {
    const slug = directory.add();
    // Busy at the page's first request, and again at the visitor's first try.
    const page = await openPage(slug, '', server, (p) => p.addInitScript(cameraBusyFor(2)));
    await page.getByLabel('Your name').waitFor();
    const camera = page.locator('#preview-cam');
    await expect.poll(() => camera.textContent()).toBe('Turn camera on');
    await expect.poll(() => camera.isEnabled()).toBe(true);
    const previewLive = () =>
      page.evaluate(`(() => {
        const stream = document.getElementById('preview-video').srcObject;
        const track = stream && stream.getVideoTracks()[0];
        return !!track && track.readyState === 'live';
      })()`);

    await camera.click();
    await page.getByText('Your camera did not start. Another application may be using it.').waitFor();
    expect(await camera.textContent()).toBe('Turn camera on');
    expect(await camera.isEnabled()).toBe(true);
    expect(await previewLive()).toBe(false);

    await camera.click();
    await expect.poll(() => camera.textContent()).toBe('Turn camera off');
    expect(await previewLive()).toBe(true);
    await joinAs(page, 'Ada');
    await inCall(page);
    expect(await page.locator('#call-cam').textContent()).toBe('Turn camera off');
  }, 60_000);
});

/**
 * An init script (test-only): a microphone asked for exactly, other than the default one, is held by
 * another application (NotReadableError, after the browser granted it, as Chrome does).
 */
const otherMicrophonesBusy = `(() => {
  const devices = navigator.mediaDevices;
  const native = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    const exact = constraints && constraints.audio && constraints.audio.deviceId && constraints.audio.deviceId.exact;
    if (!exact || exact === 'default') return native(constraints);
    return native(constraints).then((stream) => {
      for (const track of stream.getTracks()) track.stop();
      throw new DOMException('Could not start audio source', 'NotReadableError');
    });
  };
})();`;

/**
 * An init script (test-only): every track the page gets is kept in `window.__roomsTracks`, so that
 * the test can make one end as an unplugged device does; `window.__roomsNoMicrophone = true` makes
 * microphone requests find none (NotFoundError).
 */
const UNPLUGGABLE = `(() => {
  const devices = navigator.mediaDevices;
  const native = devices.getUserMedia.bind(devices);
  window.__roomsTracks = [];
  window.__roomsNoMicrophone = false;
  devices.getUserMedia = async (constraints) => {
    if (window.__roomsNoMicrophone && constraints && constraints.audio) {
      throw new DOMException('Requested device not found', 'NotFoundError');
    }
    const stream = await native(constraints);
    window.__roomsTracks.push(...stream.getTracks());
    return stream;
  };
})();`;

/** The live microphone track the page got last ends as an unplugged device's does: stopped, then `ended`. */
const unplugMicrophone = (page: Page) =>
  page.evaluate(`(() => {
    const track = window.__roomsTracks.filter((t) => t.kind === 'audio' && t.readyState === 'live').at(-1);
    track.stop();
    track.dispatchEvent(new Event('ended'));
  })()`);

describe('camera and microphone trouble', () => {
  it('a microphone chosen in the list that another application holds: the page says so and the list shows the one in use again', async () => {
    const slug = directory.add();
    const page = await openPage(slug, '', server, (p) => p.addInitScript(otherMicrophonesBusy));
    const list = page.getByLabel('Microphone');
    await expect.poll(() => list.locator('option').count()).toBeGreaterThan(1);
    const inUse = await list.inputValue();
    const values = await Promise.all(
      (await list.locator('option').all()).map((o) => o.getAttribute('value')),
    );
    const other = values.find((v) => v && v !== inUse && v !== 'default');
    expect(other).toBeTruthy();

    await list.selectOption(other ?? '');
    await expect.poll(() => list.inputValue(), { timeout: 10_000 }).toBe(inUse);
    await page.getByText('Your microphone did not start. Another application may be using it.').waitFor();
    expect(await page.locator('#preview-mic').textContent()).toBe('Mute microphone');
    expect(await page.locator('#preview-mic').isEnabled()).toBe(true);
  }, 60_000);

  it('a microphone unplugged in the call: the default one takes over and the page says so; with none left, the others see it off', async () => {
    const slug = directory.add();
    const ada = await openPage(slug, '', server, (p) => p.addInitScript(UNPLUGGABLE));
    const bob = await openPage(slug);
    await joinAs(ada, 'Ada');
    await inCall(ada);
    await joinAs(bob, 'Bob');
    await inCall(bob);
    await expectMediaFlowing([bob], 1);

    await unplugMicrophone(ada);
    await ada
      .getByText('Your microphone was disconnected. Your default microphone is used instead.')
      .waitFor();
    expect(await ada.locator('#call-mic').textContent()).toBe('Mute microphone');
    // Bob hears Ada's replacement microphone.
    await expectMediaFlowing([bob], 1);

    await ada.evaluate('window.__roomsNoMicrophone = true');
    await unplugMicrophone(ada);
    await ada
      .getByText(
        'Your microphone was lost and no other microphone could be started. Check that one is connected.',
      )
      .waitFor();
    await expect.poll(() => ada.locator('#call-mic').isEnabled()).toBe(false);
    expect(await ada.locator('#call-mic').textContent()).toBe('Unmute microphone');
    await expect.poll(() => bob.locator('#participant-list').textContent()).toContain('microphone off');
    // Nothing is chosen in the list rather than a microphone that is not in use.
    await ada.locator('#settings summary').click();
    await expect
      .poll(() => ada.getByLabel('Microphone').locator('option:checked').textContent())
      .toBe('None');
  }, 60_000);
});

describe('rooms that cannot be joined', () => {
  it('cancelled, closed, not yet open and unknown rooms say so, in French too', async () => {
    const now = Date.now();
    const cancelled = directory.add({ status: 'cancelled' });
    const closed = directory.add({ startsAt: new Date(now - 7200_000), endsAt: new Date(now - 3600_000) });
    const later = directory.add({ startsAt: new Date(now + 86_400_000), endsAt: new Date(now + 90_000_000) });

    const page = await openPage(cancelled);
    await page.getByText('This meeting was cancelled. It cannot be joined.').waitFor();
    await page.goto(`${server.baseUrl}/m/${cancelled}?lang=fr`);
    await page.getByText('Cette réunion a été annulée. Il est impossible de la rejoindre.').waitFor();
    await page.goto(`${server.baseUrl}/m/${closed}`);
    await page.getByText('This meeting has ended; its room is closed.').waitFor();
    await page.goto(`${server.baseUrl}/m/${later}`);
    await page.getByText(/^The room opens .+\. This page lets you in then\.$/).waitFor();
    const response = await page.goto(`${server.baseUrl}/m/UnknownRoomSlug0000000`);
    expect(response?.status()).toBe(404);
    await page.getByText('This meeting link does not exist.').waitFor();
    expect(await page.getByRole('button', { name: 'Join', exact: true }).count()).toBe(0);
  }, 60_000);

  it('a name of invisible characters only is refused on the form, which stays usable', async () => {
    const slug = directory.add();
    const page = await openPage(slug);
    await joinAs(page, '\u200B\u200D');
    await expect.poll(() => page.locator('#join-error').textContent()).toBe('Enter your name.');
    const button = page.locator('#join-button');
    expect(await button.isDisabled()).toBe(false);
    expect(await button.textContent()).toBe('Join');
    await joinAs(page, 'Ada');
    await inCall(page);
  }, 60_000);

  it('a room cancelled between loading the page and pressing Join refuses entry', async () => {
    const slug = directory.add();
    const page = await openPage(slug);
    await page.getByLabel('Your name').waitFor();
    const room = directory.rooms.get(slug);
    if (!room) throw new Error('room missing');
    directory.rooms.set(slug, { ...room, status: 'cancelled' });
    await joinAs(page, 'Ada');
    await page.getByText('This meeting was cancelled. It cannot be joined.').waitFor();
  }, 60_000);
});

describe('in the call and at the door', () => {
  it('chat marks the host’s lines, and a message sent too fast stays in the field with a notice', async () => {
    // A server whose clock stands still: its chat budget never refills, so the burst below shows what
    // the page kept back itself (before the page kept to the limit, a refill in the middle of such a
    // burst let a later line out before earlier refused ones).
    const frozen = Date.now();
    const still = await startServer({
      directory,
      webRoot: web.root,
      maxParticipants: 3,
      now: () => new Date(frozen),
    });
    try {
      await chatTest(still);
    } finally {
      await still.close();
    }
  }, 60_000);

  async function chatTest(on: TestServer): Promise<void> {
    const slug = directory.add();
    const host = await openPage(slug, '', on);
    // The guest page's clock (Date, timers, performance.now) is the test's to stop: on a slow page, a
    // second could pass in the middle of the burst below and refill the page's chat limit.
    const guest = await openPage(slug, '', on, (page) => page.clock.install());
    // The guest takes the host's name: only the badge tells them apart.
    await joinAs(host, 'Adele Vance', HOST_PIN);
    await inCall(host);
    await joinAs(guest, 'Adele Vance');
    await inCall(guest);
    await host.getByLabel('Message').fill('Hello from the host');
    await host.keyboard.press('Enter');
    await expect.poll(() => chatLines(guest)).toEqual(['Hello from the host']);
    await guest.getByLabel('Message').fill('New link: https://evil.example/m/x');
    await guest.keyboard.press('Enter');
    for (const page of [host, guest]) {
      await expect.poll(() => chatLines(page)).toHaveLength(2);
      const metas = await page.locator('#chat-log .chat-meta').allTextContents();
      expect(metas[0]).toMatch(/^Adele Vance host/);
      expect(metas[1]).not.toContain('host');
      expect(await page.locator('#chat-log .chat-badge').allTextContents()).toEqual(['host']);
    }

    // The page's clock jumps two seconds and stands still: its chat limit is full (the server's less
    // two in hand) and stays so while fifteen go at once, each typed after what the field holds. The
    // server, whose clock stands still too, still has nine: any line past the page's limit would go.
    await guest.clock.pauseAt(Date.now() + 2000);
    await guest.evaluate(`(() => {
      const input = document.getElementById('chat-input');
      const form = document.getElementById('chat-form');
      for (let i = 1; i <= 15; i++) {
        input.value = (input.value ? input.value + ' ' : '') + 'burst ' + i;
        form.requestSubmit();
      }
    })()`);
    await guest.getByText('You are sending messages too fast: this one was not sent.').waitFor();
    const pageBurst = LIMITS.chatBurst - PAGE_CHAT_HEADROOM;
    const numbered = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => `burst ${from + i}`);
    const sent = numbered(1, pageBurst);
    // The first ones went one by one, in order; the others wait in the field, in the order typed.
    await expect.poll(async () => (await chatLines(host)).slice(2)).toEqual(sent);
    const rest = numbered(pageBurst + 1, 15).join(' ');
    expect(await guest.getByLabel('Message').inputValue()).toBe(rest);
    // Until the page's limit refills, Enter leaves the field as it is.
    await guest.getByLabel('Message').press('Enter');
    expect(await guest.getByLabel('Message').inputValue()).toBe(rest);
    // A second later, Enter sends what the field holds, after every line before it.
    await guest.clock.runFor(1000);
    await guest.getByLabel('Message').press('Enter');
    await expect.poll(() => chatLines(host)).toHaveLength(2 + sent.length + 1);
    expect((await chatLines(host)).slice(2)).toEqual([...sent, rest]);
    expect(await guest.getByLabel('Message').inputValue()).toBe('');
  }

  it('a message sent as the connection closes stays in the field and goes once the call is joined again', async () => {
    const slug = directory.add();
    const guest = await openPage(slug, '', server, (page) => page.addInitScript(REMEMBER_SOCKETS));
    await joinAs(guest, 'Grace');
    await inCall(guest);
    const bob = await TestSocket.open(server.wsUrl(slug));
    bob.send({ type: 'join', name: 'Bob' });
    await bob.next('joined');

    // Enter in the instant the socket is closing, before its close event has run.
    await guest.evaluate(`(() => {
      document.getElementById('chat-input').value = 'Are you still there?';
      for (const socket of window.__roomsSockets) socket.close();
      document.getElementById('chat-form').requestSubmit();
    })()`);
    await guest.getByText('The connection to the meeting was lost.').waitFor();
    expect(await guest.getByLabel('Message').inputValue()).toBe('Are you still there?');

    await guest.getByRole('button', { name: 'Join again' }).click();
    await guest.getByRole('button', { name: 'Join', exact: true }).click();
    await inCall(guest);
    await guest.getByLabel('Message').press('Enter');
    expect(await bob.next('chat')).toMatchObject({ name: 'Grace', text: 'Are you still there?' });
    expect(await guest.getByLabel('Message').inputValue()).toBe('');
    bob.close();
  }, 60_000);

  it('a guest in the lobby hears when no host is there to let them in, and when one comes (French)', async () => {
    const slug = directory.add({ lobby: true });
    const guest = await openPage(slug, '?lang=fr');
    await guest.getByLabel('Votre nom').fill('Walt');
    await guest.getByRole('button', { name: 'Rejoindre', exact: true }).click();
    const noHost = 'Aucun organisateur n’est dans la réunion pour le moment';
    await guest.getByText(noHost).waitFor();
    const host = await openPage(slug);
    await joinAs(host, 'Hana', HOST_PIN);
    await inCall(host);
    await guest.getByText('Un organisateur va vous faire entrer.').waitFor();
    await host.getByRole('button', { name: 'Leave' }).click();
    await guest.getByText(noHost).waitFor();
  }, 60_000);

  it('a full lobby says so, not that the room is full', async () => {
    const slug = directory.add({ lobby: true });
    // maxParticipants is 3 here: three guests already wait at the door.
    const waiting = await Promise.all([1, 2, 3].map(() => TestSocket.open(server.wsUrl(slug))));
    for (const [i, socket] of waiting.entries()) {
      socket.send({ type: 'join', name: `W${i}` });
      await socket.next('waiting');
    }
    const page = await openPage(slug);
    await joinAs(page, 'Ada');
    await page.getByText('Too many people are already waiting to be let in.').waitFor();
    expect(await page.getByText('The room is full').count()).toBe(0);
    for (const socket of waiting) socket.close();
  }, 60_000);

  it('a meeting moved while in the call says so, and when its room opens', async () => {
    const slug = directory.add();
    const page = await openPage(slug);
    await joinAs(page, 'Ada');
    await inCall(page);
    const info = directory.rooms.get(slug);
    if (!info) throw new Error('room missing');
    const tomorrow = Date.now() + 86_400_000;
    directory.rooms.set(slug, {
      ...info,
      startsAt: new Date(tomorrow),
      endsAt: new Date(tomorrow + 3_600_000),
    });
    expect(await server.rooms.recheckRoom(slug)).toBe(1);
    await page
      .getByText(
        /^The organizer moved or cancelled the meeting: it is not taking place now\. The room opens .+\. This page lets you in then\.$/,
      )
      .waitFor();
    await page.getByRole('button', { name: 'Check again' }).waitFor();
  }, 60_000);
});

describe('a host link', () => {
  /** A room with a lobby whose directory vouches for `ticket` alone (claim `id`, 15 minutes). */
  function lobbyRoomWithHostLink(ticket: string, id: string): string {
    const expiresAt = new Date(Date.now() + 15 * 60_000);
    return directory.add({
      lobby: true,
      checkHostTicket: async (given) => (given === ticket ? { id, issuedAt: new Date(), expiresAt } : null),
    });
  }

  it('leaves no ticket in the address bar, joins as host without a PIN, and works once (then the PIN form, in French)', async () => {
    const ticket = `v1.k1.${'Tk3_-'.repeat(28)}`;
    const slug = lobbyRoomWithHostLink(ticket, 'browser-claim');
    // Someone waits in the lobby: only a host sees them and can let them in.
    const walt = await TestSocket.open(server.wsUrl(slug));
    walt.send({ type: 'join', name: 'Walt' });
    await walt.next('waiting');

    const organizer = await openPage(slug, `#host=${ticket}`);
    await organizer.getByText('You join as host with the host link from Outlook').waitFor();
    expect(await organizer.evaluate('location.href')).toBe(`${server.baseUrl}/m/${slug}`);
    expect(organizer.url()).toBe(`${server.baseUrl}/m/${slug}`);
    expect(await organizer.locator('#pin-input').isVisible()).toBe(false);
    await joinAs(organizer, 'Olivia');
    await inCall(organizer);
    await organizer.getByRole('button', { name: 'Admit Walt', exact: true }).click();
    await walt.next('joined');
    walt.close();

    // The same link again (forwarded, reopened): spent. The page says so and offers the PIN.
    const again = await openPage(slug, `?lang=fr#host=${ticket}`);
    await again.getByText('Vous rejoignez la réunion en tant qu’organisateur').waitFor();
    expect(await again.evaluate('location.href')).toBe(`${server.baseUrl}/m/${slug}?lang=fr`);
    await again.getByLabel('Votre nom').fill('Olivia');
    await again.getByRole('button', { name: 'Rejoindre', exact: true }).click();
    await again.getByText('Ce lien organisateur a expiré ou a déjà été utilisé.').waitFor();
    const pin = again.getByLabel('Code PIN organisateur (organisateurs uniquement)');
    expect(await pin.isVisible()).toBe(true);
    expect(await again.getByText('Vous rejoignez la réunion en tant qu’organisateur').isVisible()).toBe(
      false,
    );
    await pin.fill(HOST_PIN);
    await again.getByRole('button', { name: 'Rejoindre', exact: true }).click();
    await again.locator('#call-leave').waitFor({ state: 'visible' });
  }, 60_000);

  it('keeps its unspent ticket across the language switch, and the page in French still joins as host', async () => {
    const ticket = `v1.k1.${'Ls4_-'.repeat(28)}`;
    const slug = lobbyRoomWithHostLink(ticket, 'browser-language');
    const organizer = await openPage(slug, `#host=${ticket}`);
    await organizer.getByText('You join as host with the host link from Outlook').waitFor();
    // Nothing of the ticket shows in the link itself, before it is followed.
    expect(
      await organizer.getByRole('link', { name: 'Afficher cette page en français' }).getAttribute('href'),
    ).toBe(`/m/${slug}?lang=fr`);
    await organizer.getByRole('link', { name: 'Afficher cette page en français' }).click();
    await organizer.getByText('Vous rejoignez la réunion en tant qu’organisateur').waitFor();
    expect(await organizer.evaluate('document.documentElement.lang')).toBe('fr');
    expect(organizer.url()).toBe(`${server.baseUrl}/m/${slug}?lang=fr`);
    expect(await organizer.locator('#pin-input').isVisible()).toBe(false);
    await organizer.getByLabel('Votre nom').fill('Olivia');
    await organizer.getByRole('button', { name: 'Rejoindre', exact: true }).click();
    // A lobby room: only a host gets straight in.
    await organizer.locator('#call-leave').waitFor({ state: 'visible' });
  }, 60_000);

  it('gets its host back in as host after a lost connection, with no PIN while the PINs are locked', async () => {
    const ticket = `v1.k1.${'Rj7_-'.repeat(28)}`;
    const slug = lobbyRoomWithHostLink(ticket, 'browser-rejoin');
    const { context, page: organizer } = await newParticipantPage(chromium.browser);
    contexts.push(context);
    // Test-only: so that the test can drop the page's connection.
    await organizer.addInitScript(REMEMBER_SOCKETS);
    await organizer.goto(`${server.baseUrl}/m/${slug}#host=${ticket}`);
    await joinAs(organizer, 'Olivia');
    await inCall(organizer);

    // Wrong PINs from this address (every page here is 127.0.0.1) lock it out of the room's PINs.
    const mallory = await TestSocket.open(server.wsUrl(slug));
    for (let i = 0; i < 2; i++) {
      mallory.send({ type: 'join', name: 'Mallory', pin: '000000' });
      await mallory.next('error');
    }
    mallory.send({ type: 'join', name: 'Mallory', pin: '000000' });
    expect(await mallory.next('refused')).toMatchObject({ reason: 'locked' });

    // The connection drops (not a Leave): the page says so and offers to join again.
    await organizer.evaluate('for (const socket of window.__roomsSockets) socket.close()');
    await organizer.getByText('The connection to the meeting was lost.').waitFor();
    const walt = await TestSocket.open(server.wsUrl(slug));
    walt.send({ type: 'join', name: 'Walt' });
    expect(await walt.next('waiting')).toMatchObject({ type: 'waiting', hostPresent: false });

    await organizer.getByRole('button', { name: 'Join again' }).click();
    await organizer.getByText('You join again as host: no PIN needed.').waitFor();
    expect(await organizer.locator('#pin-input').isVisible()).toBe(false);
    await organizer.getByRole('button', { name: 'Join', exact: true }).click();
    await inCall(organizer);
    // As host: only a host sees the lobby and can let Walt in.
    await organizer.getByRole('button', { name: 'Admit Walt', exact: true }).click();
    await walt.next('joined');
    walt.close();
    // Nothing in the address bar or localStorage; the tab keeps it for a reload (see 'reloading the page').
    expect(await organizer.evaluate('location.href')).toBe(`${server.baseUrl}/m/${slug}`);
    expect(await organizer.evaluate('localStorage.length')).toBe(0);
    expect(await organizer.evaluate('Object.keys(sessionStorage)')).toEqual(['roomlink.hostRejoin']);
  }, 60_000);

  it('says so when its host joined again from another window, and does not come back by itself', async () => {
    const ticket = `v1.k1.${'Rp4_-'.repeat(28)}`;
    const slug = lobbyRoomWithHostLink(ticket, 'browser-replaced');
    const { context, page: organizer } = await newParticipantPage(chromium.browser);
    contexts.push(context);
    // Test-only: the test reads the rejoin token from the frames (as another window would hold it).
    await organizer.addInitScript(REMEMBER_SOCKETS);
    // The page's timers run when the test says so: a retry it armed would fire below.
    await organizer.clock.install();
    await organizer.goto(`${server.baseUrl}/m/${slug}#host=${ticket}`);
    await joinAs(organizer, 'Olivia');
    await inCall(organizer);
    const token = (await organizer.evaluate(
      "window.__roomsFrames.map((f) => JSON.parse(f)).find((m) => m.type === 'joined').rejoin",
    )) as string;

    // The same host in another window: a join with the page's rejoin token.
    const other = await TestSocket.open(server.wsUrl(slug));
    other.send({ type: 'join', name: 'Olivia', ticket: token });
    expect(await other.next('joined')).toMatchObject({ role: 'host', rejoin: token, peers: [] });
    await organizer.getByText('You joined this meeting again from another window.').waitFor();
    expect(await organizer.getByText('The connection to the meeting was lost.').count()).toBe(0);
    // Longer than any wait the page's retries take (5 minutes at most): it never tried again.
    await organizer.clock.runFor(10 * 60_000);
    expect(await organizer.evaluate('window.__roomsSockets.length')).toBe(1);
    expect(await organizer.getByText('You joined this meeting again from another window.').isVisible()).toBe(
      true,
    );
    expect(other.all('replaced')).toEqual([]);

    // Join again, pressed here, moves the host back to this window, still without a PIN.
    await organizer.getByRole('button', { name: 'Join again' }).click();
    await organizer.getByText('You join again as host: no PIN needed.').waitFor();
    await organizer.getByRole('button', { name: 'Join', exact: true }).click();
    await inCall(organizer);
    await other.next('replaced');
    expect(await other.closed).toMatchObject({ code: CLOSE.replaced });
  }, 60_000);
});

/**
 * A TCP proxy to `target` whose WebSocket connections `cut()` turns into a dead network, as a laptop
 * lid or a network change does: from then on nothing passes either way and nothing is closed, so the
 * server keeps the participant (a ghost) until its heartbeat gives up. Other connections (the page's
 * HTTP) and connections made later pass as usual.
 */
async function deadNetworkProxy(target: string): Promise<{ url: string; cut(): void; close(): void }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const cutters: (() => void)[] = [];
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    let dead = false;
    let first = true;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (first && /^upgrade:\s*websocket/im.test(chunk.toString('latin1')))
        cutters.push(() => (dead = true));
      first = false;
      if (!dead) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!dead) client.write(chunk);
    });
    // A dead network carries no close either: the server must not hear of it.
    client.on('close', () => dead || upstream.destroy());
    upstream.on('close', () => dead || client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    cut: () => {
      for (const cut of cutters.splice(0)) cut();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    },
  };
}

describe('a guest whose connection died, reloading the page', () => {
  it('is back in the full lobby room at once, past the lobby and without the PIN; the others see them once', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const own = await ownServer();
    const network = await deadNetworkProxy(own.baseUrl);
    try {
      const host = await openPage(slug, '', own);
      await joinAs(host, 'Hana', HOST_PIN);
      await inCall(host);
      const gus = await openPage(slug, '', { ...own, baseUrl: network.url });
      await joinAs(gus, 'Gus', GUEST_PIN);
      await gus.getByText('Waiting to be let in').waitFor();
      await host.getByRole('button', { name: 'Admit Gus', exact: true }).click();
      await inCall(gus);
      // A third participant fills the room (maxParticipants is 3 here).
      const ada = await TestSocket.open(own.wsUrl(slug));
      ada.send({ type: 'join', name: 'Ada', pin: GUEST_PIN });
      await ada.next('waiting');
      await host.getByRole('button', { name: 'Admit Ada', exact: true }).click();
      const adaJoined = await ada.next('joined');
      const ghostId = adaJoined.peers.find((p) => p.name === 'Gus')?.id;
      expect(ghostId).toBeDefined();
      await expectMediaFlowing([host], 1);

      // The network dies, unnoticed by the server, and the guest reloads the page.
      network.cut();
      await gus.reload();
      await gus.getByText('You join again: no PIN needed.').waitFor();
      expect(await gus.locator('#pin-input').isVisible()).toBe(false);
      // The ghost still holds Gus's seat: the room is full, and nobody saw Gus leave.
      expect(own.rooms.counts()).toMatchObject({ participants: 3, waiting: 0 });
      expect(ada.all('peer-left')).toEqual([]);
      // The tab keeps the ticket, its room and when its page went away only: no name, no PIN;
      // nothing in localStorage.
      expect(await gus.evaluate('localStorage.length')).toBe(0);
      const kept = JSON.parse(String(await gus.evaluate("sessionStorage.getItem('roomlink.guestRejoin')")));
      expect(Object.keys(kept).sort()).toEqual(['leftAt', 'slug', 'ticket']);
      await gus.getByLabel('Your name').fill('Gus');
      await gus.getByRole('button', { name: 'Join', exact: true }).click();

      // Straight into the call: no room_full, no lobby, no host asked again.
      await inCall(gus);
      expect(await gus.locator('#view-waiting').isVisible()).toBe(false);
      expect(await host.getByRole('button', { name: 'Admit Gus', exact: true }).count()).toBe(0);
      // The ghost left, and Gus came back once.
      expect(await ada.next('peer-left')).toEqual({ type: 'peer-left', id: ghostId });
      const back = await ada.next('peer-joined');
      expect(back.peer).toMatchObject({ name: 'Gus', role: 'guest' });
      expect(back.peer.id).not.toBe(ghostId);
      expect(own.rooms.counts()).toMatchObject({ participants: 3, waiting: 0 });
      await expect.poll(() => host.locator('#participants-heading').textContent()).toBe('Participants (3)');
      expect(await host.locator('#participant-list .person-name').allTextContents()).toEqual([
        'Hana (you)',
        'Ada',
        'Gus',
      ]);
      // And really back: the host gets Gus's audio and video again.
      await expectMediaFlowing([host], 1);
      ada.close();
    } finally {
      network.close();
    }
  }, 60_000);
});

describe('reloading the page', () => {
  it('a guest whose connection died waits again in their place, once; the host is back as host without the PIN, until refused or leaving', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const own = await ownServer();
    const network = await deadNetworkProxy(own.baseUrl);
    try {
      const host = await openPage(slug, '', own);
      await joinAs(host, 'Hana', HOST_PIN);
      await inCall(host);
      const gus = await openPage(slug, '', { ...own, baseUrl: network.url });
      await joinAs(gus, 'Gus', GUEST_PIN);
      await gus.getByText('Waiting to be let in').waitFor();
      const wes = await TestSocket.open(own.wsUrl(slug));
      wes.send({ type: 'join', name: 'Wes', pin: GUEST_PIN });
      await wes.next('waiting');
      const lobby = () => host.locator('#lobby-list .person-name').allTextContents();
      const gusRow = () => host.locator('#lobby-list li', { hasText: 'Gus' }).getAttribute('data-peer');
      await expect.poll(lobby).toEqual(['Gus', 'Wes']);
      const ghostId = await gusRow();

      // The network dies, unnoticed by the server, and the guest reloads the page: the tab kept the
      // lobby's ticket.
      network.cut();
      await gus.reload();
      await gus.getByText('You join again: no PIN needed.').waitFor();
      expect(await gus.locator('#pin-input').isVisible()).toBe(false);
      expect(own.rooms.counts()).toMatchObject({ participants: 1, waiting: 2 });
      await gus.getByLabel('Your name').fill('Gus');
      await gus.getByRole('button', { name: 'Join', exact: true }).click();
      await gus.getByText('Waiting to be let in').waitFor();
      // The ghost made way: Gus waits where he was, shown once (the same row), and no host let him in.
      expect(await gusRow()).toBe(ghostId);
      expect(await lobby()).toEqual(['Gus', 'Wes']);
      expect(own.rooms.counts()).toMatchObject({ participants: 1, waiting: 2 });

      // The host reloads the page: back as host from the tab's token, with no PIN.
      await host.reload();
      await host.getByText('You join again as host: no PIN needed.').waitFor();
      expect(await host.locator('#pin-input').isVisible()).toBe(false);
      await joinAs(host, 'Hana');
      await inCall(host);
      await expect.poll(lobby).toEqual(['Gus', 'Wes']);
      // The tab keeps the token and its room only: no name, no PIN; nothing in localStorage.
      expect(await host.evaluate('localStorage.length')).toBe(0);
      const kept = JSON.parse(String(await host.evaluate("sessionStorage.getItem('roomlink.hostRejoin')")));
      expect(Object.keys(kept).sort()).toEqual(['slug', 'ticket']);
      await host.getByRole('button', { name: 'Admit Gus', exact: true }).click();
      await inCall(gus);

      // The host PIN changed since: the reloaded page is refused, says so, and asks for the PIN.
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, hostPin: '615243' });
      await host.reload();
      await host.getByText('You join again as host: no PIN needed.').waitFor();
      await joinAs(host, 'Hana');
      await host
        .getByText('You can no longer join again as host without a PIN. Enter your host PIN', {
          exact: false,
        })
        .waitFor();
      expect(await host.locator('#pin-input').isVisible()).toBe(true);
      expect(await host.evaluate('sessionStorage.length')).toBe(0);

      // Leaving on purpose takes the token out of the tab: a reload then asks for the PIN.
      await joinAs(host, 'Hana', '615243');
      await inCall(host);
      expect(await host.evaluate('Object.keys(sessionStorage)')).toEqual(['roomlink.hostRejoin']);
      await host.getByRole('button', { name: 'Leave' }).click();
      await host.getByText('You left the meeting.').waitFor();
      expect(await host.evaluate('sessionStorage.length')).toBe(0);
      await host.reload();
      await host.locator('#pin-input').waitFor({ state: 'visible' });
      expect(await host.getByText('You join again as host: no PIN needed.').isVisible()).toBe(false);
      // So does a guest's Leave with the guest's ticket.
      expect(await gus.evaluate('Object.keys(sessionStorage)')).toEqual(['roomlink.guestRejoin']);
      await gus.getByRole('button', { name: 'Leave' }).click();
      await gus.getByText('You left the meeting.').waitFor();
      expect(await gus.evaluate('sessionStorage.length')).toBe(0);
      wes.close();
    } finally {
      network.close();
    }
  }, 60_000);
});

/** An init script (test-only) that remembers every text the call's notice line shows, in order. */
const REMEMBER_NOTICES = `(() => {
  window.__roomsNotices = [];
  document.addEventListener('DOMContentLoaded', () => {
    const notice = document.getElementById('call-notice');
    new MutationObserver(() => {
      if (notice.textContent) window.__roomsNotices.push(notice.textContent);
    }).observe(notice, { childList: true, characterData: true, subtree: true });
  });
})();`;

describe('a page reloaded over a working network', () => {
  it('keeps a waiting guest’s place in line, and the host hears once that they wait; Leave still leaves', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const own = await ownServer();
    const host = await openPage(slug, '', own, (page) => page.addInitScript(REMEMBER_NOTICES));
    await joinAs(host, 'Hana', HOST_PIN);
    await inCall(host);
    const gus = await openPage(slug, '', own);
    await joinAs(gus, 'Gus', GUEST_PIN);
    await gus.getByText('Waiting to be let in').waitFor();
    const wes = await TestSocket.open(own.wsUrl(slug));
    wes.send({ type: 'join', name: 'Wes', pin: GUEST_PIN });
    await wes.next('waiting');
    const lobby = () => host.locator('#lobby-list .person-name').allTextContents();
    const gusRow = () => host.locator('#lobby-list li', { hasText: 'Gus' }).getAttribute('data-peer');
    await expect.poll(lobby).toEqual(['Gus', 'Wes']);
    const gusId = await gusRow();

    // The reload closes the page's socket, and the server keeps Gus's place for the page to come back.
    await gus.reload();
    await gus.getByText('You join again: no PIN needed.').waitFor();
    expect(own.rooms.counts()).toMatchObject({ participants: 1, waiting: 2 });
    await gus.getByLabel('Your name').fill('Gus');
    await gus.getByRole('button', { name: 'Join', exact: true }).click();
    await gus.getByText('Waiting to be let in').waitFor();
    // Someone who comes after: once the host shows them, what the host heard of Gus's return is shown too.
    const ida = await TestSocket.open(own.wsUrl(slug));
    ida.send({ type: 'join', name: 'Ida', pin: GUEST_PIN });
    await ida.next('waiting');
    await expect.poll(lobby).toEqual(['Gus', 'Wes', 'Ida']);
    // Gus is still first, the same row; the host was told once that he waits.
    expect(await gusRow()).toBe(gusId);
    expect(await host.evaluate('window.__roomsNotices')).toEqual([
      'Gus is waiting to join.',
      'Wes is waiting to join.',
      'Ida is waiting to join.',
    ]);

    // Leave is for good: out of the line at once.
    await gus.getByRole('button', { name: 'Leave' }).click();
    await gus.getByText('You left the meeting.').waitFor();
    await expect.poll(lobby).toEqual(['Wes', 'Ida']);
    await host.getByRole('button', { name: 'Admit Wes', exact: true }).click();
    await wes.next('joined');
    wes.close();
    ida.close();
  }, 60_000);

  it('brings a host back without the PIN, but not a tab that went away longer ago than the grace (a closed tab reopened)', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await openPage(slug);
    await joinAs(host, 'Hana', HOST_PIN);
    await inCall(host);
    await host.reload();
    await host.getByText('You join again as host: no PIN needed.').waitFor();
    expect(await host.locator('#pin-input').isVisible()).toBe(false);
    // As if this page had gone away longer ago than the grace, and the browser now reopened the tab.
    await host.evaluate(`(() => {
      const kept = JSON.parse(sessionStorage.getItem('roomlink.hostRejoin'));
      const leftAt = Date.now() - ${REJOIN_GRACE_MS} - 1000;
      sessionStorage.setItem('roomlink.hostRejoin', JSON.stringify({ ...kept, leftAt }));
    })()`);
    await host.reload();
    await host.locator('#pin-input').waitFor({ state: 'visible' });
    expect(await host.getByText('You join again as host: no PIN needed.').isVisible()).toBe(false);
    expect(await host.evaluate('sessionStorage.length')).toBe(0);
    await joinAs(host, 'Hana', HOST_PIN);
    await inCall(host);
  }, 60_000);
});
