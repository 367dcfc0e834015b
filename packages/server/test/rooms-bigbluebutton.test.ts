/**
 * Rooms on BigBlueButton (ROOMLINK_ROOM_ENGINE=bigbluebutton), against the BigBlueButton API
 * emulator over real HTTP, on every dialect: new meetings' rooms go to the engine, the join page's
 * rules still decide who gets in and as what, the engine learns no title and records nothing, and a
 * cancellation ends its meeting. One test drives the real join page in Chromium to the engine (its
 * form asks for no camera or microphone there: the engine's page will).
 */
import { type RunningBigBlueButtonEmulator, startBigBlueButtonEmulator } from '@roomlink/emulators';
import { createRooms } from '@roomlink/rooms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppPlugin } from '../src/app.js';
import { BigBlueButtonApi } from '../src/providers/bigbluebutton/api-client.js';
import { utcDay } from '../src/retention/index.js';
import { meetingRoomDirectory } from '../src/rooms/directory.js';
import type { Runtime } from '../src/runtime.js';
import { launchChromium } from './support/chromium.js';
import { createTestDatabase, DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { participant } from './support/room-client.js';

const MINUTE = 60_000;
const TENANT = 'tenant-bbb';
const organizer = sessionHeader(TENANT, 'organizer');
const SECRET = 'emulated-bbb-shared-secret';
const SUBJECT = 'Merger talks with Fabrikam';

interface Created {
  id: string;
  joinUrl: string;
  hostPin: string;
  guestPin: string | null;
  sipUri: string | null;
  dialIn: string | null;
}

/** The configuration that runs new meetings' rooms on the emulated BigBlueButton server. */
const onEngine = (bbb: RunningBigBlueButtonEmulator) => ({
  ROOMLINK_ROOM_ENGINE: 'bigbluebutton',
  ROOMLINK_BBB_URL: bbb.baseUrl,
  ROOMLINK_BBB_SECRET: SECRET,
});

/**
 * The room service on the meetings store. `followChanges`: as the server wires it (features.ts), a
 * meeting's change reaches its live room and the engine call it sent people to at once.
 */
const roomService =
  (options: { followChanges?: boolean; recheckSeconds?: number } = {}) =>
  async (runtime: Runtime): Promise<{ plugins: AppPlugin[] }> => {
    const rooms = createRooms({
      directory: meetingRoomDirectory(runtime.meetings, runtime.store.tenants),
      ...(options.recheckSeconds ? { recheckSeconds: options.recheckSeconds } : {}),
    });
    if (options.followChanges) runtime.roomEvents.on('changed', (slug) => void rooms.recheckRoom(slug));
    return { plugins: [(app) => rooms.register(app)] };
  };

/** Schedules a meeting under way (started 5 minutes ago, ends in 55). */
async function createUnderWay(
  baseUrl: string,
  headers: Record<string, string>,
  options: { guestPin: boolean; lobby: boolean },
): Promise<Created> {
  const res = await fetch(`${baseUrl}/api/v1/meetings`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      subject: SUBJECT,
      start: new Date(Date.now() - 5 * MINUTE).toISOString(),
      end: new Date(Date.now() + 55 * MINUTE).toISOString(),
      options,
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}

/** A room's signalling socket, joined with a name and PIN; see `received`, `next` and `closed`. */
async function joinRoom(
  baseUrl: string,
  joinUrl: string,
  name: string,
  pin?: string,
  language?: 'en' | 'fr',
) {
  const client = await participant(
    `${baseUrl.replace('http', 'ws')}/api/v1/rooms/${joinUrl.split('/m/')[1]}/signal`,
  );
  client.send({ type: 'join', name, ...(pin ? { pin } : {}), ...(language ? { language } : {}) });
  return client;
}

/** Moves the meeting at `url` (its API address) to tomorrow, for an hour; `also`: more changes. */
function moveToTomorrow(url: string, headers: Record<string, string>, also: Record<string, unknown> = {}) {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      ...also,
      start: new Date(Date.now() + 24 * 60 * MINUTE).toISOString(),
      end: new Date(Date.now() + 25 * 60 * MINUTE).toISOString(),
    }),
  });
}

/** A meeting under way, its host sent to the engine and in the call there; its engine meeting id. */
async function startCall(
  baseUrl: string,
  bbb: RunningBigBlueButtonEmulator,
  headers: Record<string, string>,
) {
  const meeting = await createUnderWay(baseUrl, headers, { guestPin: false, lobby: false });
  const client = await joinRoom(baseUrl, meeting.joinUrl, 'Hana', meeting.hostPin);
  await client.closed;
  const url = client.received.find((m) => m.type === 'handoff')?.url as string;
  expect((await fetch(url)).status).toBe(200);
  const engineId = bbb.emulator.meetings().at(-1)?.meetingID as string;
  expect(bbb.emulator.meeting(engineId)?.running).toBe(true);
  return { meeting, engineId };
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`rooms on BigBlueButton (${label})`, () => {
    let bbb: RunningBigBlueButtonEmulator;
    let t: TestApp;

    beforeAll(async () => {
      bbb = await startBigBlueButtonEmulator({ secret: SECRET });
      t = await startTestApp(dialect, { realBaseUrl: true, env: onEngine(bbb), features: roomService() });
    });
    afterAll(async () => {
      await t?.close();
      await bbb?.close();
    });

    const create = (options: { guestPin: boolean; lobby: boolean }) =>
      createUnderWay(t.url, organizer, options);
    /** Joins through Roomlink's signalling; the engine address it hands over, or what it sent instead. */
    const enter = async (joinUrl: string, name: string, pin?: string, language?: 'en' | 'fr') => {
      const client = await joinRoom(t.url, joinUrl, name, pin, language);
      await client.closed;
      return client.received;
    };

    it('hands the host PIN over as moderator and the guest PIN as viewer, to a meeting that learns no title and records nothing', async () => {
      const meeting = await create({ guestPin: true, lobby: true });
      // Roomlink's join page still takes everyone in; no SIP or dial-in reaches this engine.
      expect(meeting.joinUrl).toMatch(new RegExp(`^${t.url}/m/[A-Za-z0-9_-]{22}$`));
      expect(meeting.sipUri).toBeNull();
      expect(meeting.dialIn).toBeNull();
      // Nothing is created on the engine before someone comes in.
      const before = bbb.emulator.meetings().length;

      // The host chose French on the join page; the guest chose nothing.
      const host = await enter(meeting.joinUrl, 'Hana', meeting.hostPin, 'fr');
      const guest = await enter(meeting.joinUrl, 'Gus', meeting.guestPin ?? '');
      const hostUrl = host.find((m) => m.type === 'handoff')?.url as string;
      const guestUrl = guest.find((m) => m.type === 'handoff')?.url as string;
      expect(hostUrl.startsWith(`${bbb.baseUrl}api/join?`)).toBe(true);
      // BigBlueButton's page opens in the language chosen; otherwise it follows the browser's.
      expect(new URL(hostUrl).searchParams.get('userdata-bbb_override_default_locale')).toBe('fr');
      expect(new URL(guestUrl).searchParams.has('userdata-bbb_override_default_locale')).toBe(false);

      const engineMeetings = bbb.emulator.meetings();
      expect(engineMeetings).toHaveLength(before + 1);
      const engine = engineMeetings.at(-1);
      expect(engine?.createParams).toMatchObject({
        name: 'Roomlink meeting',
        record: 'false',
        autoStartRecording: 'false',
        allowStartStopRecording: 'false',
        guestPolicy: 'ASK_MODERATOR',
        // Leaving the call comes back to Roomlink's join page.
        logoutURL: meeting.joinUrl,
      });
      // The engine's own limit: an hour past Roomlink's closing time, which is 55 minutes left plus
      // the hour after the end (Roomlink ends the call at its closing time itself).
      expect(Number(engine?.createParams.duration)).toBeGreaterThanOrEqual(174);
      expect(Number(engine?.createParams.duration)).toBeLessThanOrEqual(176);
      const everything = JSON.stringify(bbb.emulator.requests());
      expect(everything).not.toContain('Merger');
      expect(everything).not.toContain(meeting.id);
      // Every call the engine got verified against the shared secret.
      expect(bbb.emulator.requests().every((r) => r.checksumValid !== false)).toBe(true);

      // Each address enters its holder under their role.
      for (const [url, fullName, role] of [
        [hostUrl, 'Hana', 'MODERATOR'],
        [guestUrl, 'Gus', 'VIEWER'],
      ] as const) {
        const joined = await fetch(url, { redirect: 'manual' });
        expect(joined.status).toBe(302);
        const page = await fetch(new URL(joined.headers.get('location') ?? '', url));
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain(`data-role="${role}"`);
        expect(html).toContain(`data-full-name="${fullName}"`);
      }
    });

    it('lets no one through whom the join page refuses: a wrong PIN asks nothing of the engine', async () => {
      const meeting = await create({ guestPin: true, lobby: false });
      bbb.emulator.clearRequests();
      // A wrong PIN leaves the socket open for another try: read its answer, then leave.
      const client = await joinRoom(t.url, meeting.joinUrl, 'Mallory', '0000');
      expect(await client.next('error')).toMatchObject({ code: 'wrong_pin' });
      client.ws.close();
      await client.closed;
      expect(client.received.map((m) => m.type)).not.toContain('handoff');
      expect(bbb.emulator.requests()).toEqual([]);
    });

    it('ends the engine meeting when the meeting is cancelled, and refuses entry after', async () => {
      const meeting = await create({ guestPin: false, lobby: false });
      const host = await enter(meeting.joinUrl, 'Hana', meeting.hostPin);
      const url = host.find((m) => m.type === 'handoff')?.url as string;
      const entered = await fetch(url);
      expect(entered.status).toBe(200);
      const engine = bbb.emulator.meetings().at(-1);
      expect(engine?.running).toBe(true);

      const cancelled = await fetch(`${t.url}/api/v1/meetings/${meeting.id}/cancel`, {
        method: 'POST',
        headers: organizer,
      });
      expect(cancelled.status).toBe(200);
      expect(bbb.emulator.meeting(engine?.meetingID ?? '')).toMatchObject({ running: false, ended: true });
      // With the moderator password, which servers before 3.0 still ask for; no participant saw it.
      const end = bbb.emulator.requests().find((r) => r.call === 'end');
      expect(end?.params.password).toBe(engine?.createParams.moderatorPW);
      expect(url).not.toContain(String(engine?.createParams.moderatorPW));
      const after = await enter(meeting.joinUrl, 'Hana', meeting.hostPin);
      expect(after).toContainEqual(expect.objectContaining({ type: 'refused', reason: 'cancelled' }));
    });

    it('ends the engine meeting when the meeting is deleted, with one end call', async () => {
      const meeting = await create({ guestPin: false, lobby: false });
      const host = await enter(meeting.joinUrl, 'Hana', meeting.hostPin);
      expect((await fetch(host.find((m) => m.type === 'handoff')?.url as string)).status).toBe(200);
      const engine = bbb.emulator.meetings().at(-1);
      bbb.emulator.clearRequests();

      const deleted = await fetch(`${t.url}/api/v1/meetings/${meeting.id}`, {
        method: 'DELETE',
        headers: organizer,
      });
      expect(deleted.status).toBe(204);
      expect(bbb.emulator.meeting(engine?.meetingID ?? '')).toMatchObject({ running: false, ended: true });
      expect(bbb.emulator.requests().map((r) => r.call)).toEqual(['end']);
    });

    it('refuses as unavailable, and hands nothing over, when the engine refuses the call', async () => {
      const meeting = await create({ guestPin: false, lobby: false });
      await bbb.close();
      try {
        const refused = await enter(meeting.joinUrl, 'Hana', meeting.hostPin);
        expect(refused).toContainEqual(expect.objectContaining({ type: 'refused', reason: 'unavailable' }));
        expect(refused.map((m) => m.type)).not.toContain('handoff');
      } finally {
        bbb = await startBigBlueButtonEmulator({ secret: SECRET, port: Number(new URL(bbb.baseUrl).port) });
      }
    });

    it.skipIf(dialect !== 'sqlite')(
      'takes a visitor from the join page in Chromium to the engine as moderator, in the language chosen there',
      async () => {
        const meeting = await create({ guestPin: false, lobby: false });
        const chromium = await launchChromium([
          '--use-fake-device-for-media-stream',
          '--use-fake-ui-for-media-stream',
        ]);
        try {
          const page = await chromium.context.newPage();
          // Counts the page's camera and microphone requests.
          await page.addInitScript(`(() => {
            window.__mediaRequests = 0;
            const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
            navigator.mediaDevices.getUserMedia = (c) => { window.__mediaRequests++; return original(c); };
          })()`);
          // In French, chosen with the page's language switch (?lang=fr).
          await page.goto(`${meeting.joinUrl}?lang=fr`);
          await page.getByLabel('Votre nom').waitFor({ state: 'visible' });
          // The engine's page asks for camera and microphone: this one neither asks nor shows a preview.
          expect(await page.locator('#preview').isHidden()).toBe(true);
          expect(await page.locator('#devices').isHidden()).toBe(true);
          expect(await page.evaluate('window.__mediaRequests')).toBe(0);
          await page.getByLabel('Votre nom').fill('Hana');
          await page.getByLabel(/PIN/).fill(meeting.hostPin);
          await page.getByRole('button', { name: 'Rejoindre', exact: true }).click();
          await page.waitForURL((url) => url.href.startsWith(`${bbb.baseUrl}client/`));
          const client = page.locator('#bbb-client');
          await expect.poll(() => client.getAttribute('data-role')).toBe('MODERATOR');
          expect(await client.getAttribute('data-full-name')).toBe('Hana');
          const join = bbb.emulator.requests().findLast((r) => r.call === 'join');
          expect(join?.params['userdata-bbb_override_default_locale']).toBe('fr');
        } finally {
          await chromium.close();
        }
      },
    );
  });

  describe.skipIf(skip)(`calls on BigBlueButton whose room closes early (${label})`, () => {
    let bbb: RunningBigBlueButtonEmulator;
    let t: TestApp;
    const tenant = `${TENANT}-early`;
    const owner = sessionHeader(tenant, 'organizer');
    /** How far the engine's clock is ahead of the real one (its `duration` limit runs on it). */
    let engineAhead = 0;

    beforeAll(async () => {
      bbb = await startBigBlueButtonEmulator({
        secret: SECRET,
        now: () => new Date(Date.now() + engineAhead),
      });
      t = await startTestApp(dialect, {
        realBaseUrl: true,
        env: onEngine(bbb),
        // The periodic check of live rooms and engine calls: every second here, every minute by default.
        features: roomService({ followChanges: true, recheckSeconds: 1 }),
      });
    });
    afterAll(async () => {
      await t?.close();
      await bbb?.close();
    });

    const inCall = (headers: Record<string, string>) => startCall(t.url, bbb, headers);
    const running = (engineId: string) => bbb.emulator.meeting(engineId)?.running;

    it('ends the call when its meeting moves to another day', async () => {
      const { meeting, engineId } = await inCall(owner);
      const moved = await moveToTomorrow(`${t.url}/api/v1/meetings/${meeting.id}`, owner);
      expect(moved.status).toBe(200);
      await expect.poll(() => running(engineId)).toBe(false);
      expect(bbb.emulator.meeting(engineId)).toMatchObject({ ended: true });
    });

    it('keeps the call of a meeting extended while it runs past its first closing time; the engine ends it only an hour after that', async () => {
      const { meeting, engineId } = await inCall(owner);
      const url = `${t.url}/api/v1/meetings/${meeting.id}`;
      const read = (await (await fetch(url, { headers: owner })).json()) as { end: string };
      const firstClose = Date.parse(read.end) + 60 * MINUTE;
      // The meeting runs 45 minutes longer: its room now closes 45 minutes later.
      const extended = await fetch(url, {
        method: 'PATCH',
        headers: { ...owner, 'content-type': 'application/json' },
        body: JSON.stringify({ end: new Date(Date.parse(read.end) + 45 * MINUTE).toISOString() }),
      });
      expect(extended.status).toBe(200);
      const newClose = firstClose + 45 * MINUTE;
      expect(running(engineId)).toBe(true);

      const engine = bbb.emulator.meeting(engineId);
      const engineLimit = Number(engine?.createTime) + Number(engine?.createParams.duration) * MINUTE;
      try {
        // On the engine's clock: still running a minute before the new closing time…
        engineAhead = newClose - MINUTE - Date.now();
        expect(running(engineId)).toBe(true);
        // …and ended by the engine itself at its limit, an hour past the first closing time (Roomlink
        // would have ended it at the new one; here its clock is still the real one).
        expect(engineLimit).toBeGreaterThanOrEqual(firstClose + 60 * MINUTE);
        expect(engineLimit).toBeLessThan(firstClose + 62 * MINUTE);
        engineAhead = engineLimit - Date.now();
        expect(running(engineId)).toBe(false);
        expect(bbb.emulator.meeting(engineId)).toMatchObject({ ended: true });
      } finally {
        engineAhead = 0;
      }
    });

    it('ends the call when the contract of its organisation ends, and leaves the calls of others', async () => {
      const { engineId } = await inCall(owner);
      const { engineId: othersId } = await inCall(organizer);

      await t.runtime.store.db
        .updateTable('tenants')
        .set({ contract_end: utcDay(new Date()) })
        .where('id', '=', tenant)
        .execute();
      // The next periodic check once the store's short tenant cache (5 s) has let the change through.
      await expect.poll(() => running(engineId), { timeout: 15_000, interval: 250 }).toBe(false);
      expect(running(othersId)).toBe(true);
    });
  });

  describe.skipIf(skip)(`calls on BigBlueButton found running after a restart (${label})`, () => {
    it("are followed again: ended when their meeting moves, while open rooms' and others' calls go on", async () => {
      const bbb = await startBigBlueButtonEmulator({ secret: SECRET });
      const database = await createTestDatabase(dialect);
      try {
        const before = await startTestApp(dialect, {
          database,
          realBaseUrl: true,
          env: onEngine(bbb),
          features: roomService(),
        });
        const keys = { ROOMLINK_MASTER_KEYS: before.env.ROOMLINK_MASTER_KEYS as string };
        let moving: Awaited<ReturnType<typeof startCall>>;
        let staying: Awaited<ReturnType<typeof startCall>>;
        try {
          moving = await startCall(before.url, bbb, organizer);
          staying = await startCall(before.url, bbb, organizer);
        } finally {
          // The process that sent them there is gone; their calls go on.
          await before.close();
        }
        // On the same engine: another application's call, and one named as Roomlink names its own but
        // that no meeting here has (another deployment's).
        const api = new BigBlueButtonApi({ url: new URL(bbb.baseUrl), secret: SECRET, checksum: 'sha256' });
        await api.call('create', { meetingID: 'greenlight-room', name: 'Greenlight' });
        await api.call('create', { meetingID: 'rl-another-deployment', name: 'Roomlink meeting' });

        const after = await startTestApp(dialect, {
          database,
          realBaseUrl: true,
          env: { ...onEngine(bbb), ...keys },
          features: roomService({ followChanges: true, recheckSeconds: 1 }),
        });
        try {
          const moved = await moveToTomorrow(`${after.url}/api/v1/meetings/${moving.meeting.id}`, organizer);
          expect(moved.status).toBe(200);
          const ended = (engineId: string) => bbb.emulator.meeting(engineId)?.ended;
          await expect.poll(() => ended(moving.engineId), { timeout: 10_000, interval: 100 }).toBe(true);
          // The engine was asked for its calls before that end (a sweep), and ended nothing else.
          const calls = bbb.emulator.requests().map((r) => r.call);
          expect(calls.indexOf('getMeetings')).toBeGreaterThanOrEqual(0);
          expect(calls.indexOf('getMeetings')).toBeLessThan(calls.lastIndexOf('end'));
          const ends = bbb.emulator.requests().filter((r) => r.call === 'end');
          expect(ends.map((r) => r.params.meetingID)).toEqual([moving.engineId]);
          expect(bbb.emulator.meeting(staying.engineId)?.running).toBe(true);
          expect(ended('greenlight-room')).toBe(false);
          expect(ended('rl-another-deployment')).toBe(false);
        } finally {
          await after.close();
        }
      } finally {
        await database.drop();
        await bbb.close();
      }
    });
  });

  describe.skipIf(skip)(`rooms of an engine no longer configured (${label})`, () => {
    it('keeps its meetings readable, changeable and joinable, held by the built-in room service', async () => {
      const bbb = await startBigBlueButtonEmulator({ secret: SECRET });
      const database = await createTestDatabase(dialect);
      try {
        const before = await startTestApp(dialect, { database, realBaseUrl: true, env: onEngine(bbb) });
        // The same master keys: the second server reads the first one's rows.
        const keys = { ROOMLINK_MASTER_KEYS: before.env.ROOMLINK_MASTER_KEYS as string };
        let created: Created;
        try {
          created = await createUnderWay(before.url, organizer, { guestPin: true, lobby: false });
        } finally {
          await before.close();
        }

        // Back to the built-in engine, the BigBlueButton variables gone; a SIP gateway configured now.
        const after = await startTestApp(dialect, {
          database,
          realBaseUrl: true,
          env: { ...keys, ROOMLINK_SIP_DOMAIN: 'sip.roomlink.test' },
          features: roomService({ followChanges: true }),
        });
        try {
          const url = `${after.url}/api/v1/meetings/${created.id}`;
          const read = await fetch(url, { headers: organizer });
          expect(read.status).toBe(200);
          const meeting = (await read.json()) as Created;
          // The invitation already sent stays true: same link, same PINs, still no SIP or dial-in.
          const slug = created.joinUrl.split('/m/')[1] as string;
          expect(meeting).toMatchObject({
            joinUrl: `${after.url}/m/${slug}`,
            hostPin: created.hostPin,
            guestPin: created.guestPin,
            sipUri: null,
            dialIn: null,
          });
          // The built-in room service holds the meeting now: the host joins it there.
          bbb.emulator.clearRequests();
          const join = () => joinRoom(after.url, created.joinUrl, 'Hana', created.hostPin);
          const host = await join();
          expect(await host.next('joined')).toMatchObject({ role: 'host' });
          expect(host.received.map((m) => m.type)).not.toContain('handoff');

          // A move applies to the room under way at once, as to a built-in room's.
          const moved = await moveToTomorrow(url, organizer, { subject: 'Merger talks, moved' });
          expect(moved.status).toBe(200);
          expect(await host.next('closed')).toMatchObject({ type: 'closed', reason: 'moved' });
          await host.closed;

          // Cancelled, it refuses entry; the engine was asked nothing throughout.
          const cancelled = await fetch(`${url}/cancel`, { method: 'POST', headers: organizer });
          expect(cancelled.status).toBe(200);
          const late = await join();
          await late.closed;
          expect(late.received).toContainEqual(
            expect.objectContaining({ type: 'refused', reason: 'cancelled' }),
          );
          expect(bbb.emulator.requests()).toEqual([]);
        } finally {
          await after.close();
        }
      } finally {
        await database.drop();
        await bbb.close();
      }
    });
  });
}
