/**
 * The Outlook sandbox against the real Roomlink server in demo mode, in headless Chromium: the built
 * add-in, the real API and rooms, sign-in through the identity emulator's page, and appointments saved
 * into the Graph emulator's mailboxes. What a user does in Outlook, click by click.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  item,
  openSandbox,
  type SandboxGlobal,
  type SandboxLogEntry,
  waitForLog,
} from '../../emulators/test/sandbox-support.js';
import { OidcError } from '../src/identity/oidc-client.js';
import { TokenService } from '../src/identity/tokens.js';
import { findJoinBlock } from '../src/instructions/marker.js';
import {
  customPropertiesExpand,
  type DemoServer,
  sandboxPerTest,
  sessionToken,
  signInThroughDialog,
} from './browser/demo-sandbox.js';

// Demo directory users (packages/emulators/src/identity/demo-directory.ts).
const ADELE = { upn: 'adele@contoso.example', account: /Adele Vance/ };
const ALEX = { upn: 'alex@contoso.example', account: /Alex Wilber/ };
const ADD = 'addin-button-roomlinkAddMeeting';
const OPTIONS = 'addin-button-roomlinkTaskpane';

let server: DemoServer;
let page: Page;
let requests: string[];

sandboxPerTest((session) => {
  ({ server, page, requests } = session);
});

const taskpane = () => page.frameLocator('[data-testid="taskpane-frame"]');
const apiCalls = (method: string, path: string) =>
  requests.filter((r) => {
    const [m, url] = r.split(' ');
    return m === method && new URL(url as string).pathname === path;
  }).length;
const logHas = (type: string) =>
  page.evaluate(
    (t) =>
      (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.some(
        (e: SandboxLogEntry) => e.type === t,
      ),
    type,
  );

async function typeAppointment(subject: string, text: string): Promise<void> {
  await page.getByTestId('subject').fill(subject);
  await page.getByTestId('body').click();
  await page.keyboard.type(text);
}

/** "Add Roomlink meeting" while signed out: the dialog signs the user in, then the command goes on. */
async function addMeetingSigningIn(account: RegExp): Promise<void> {
  await signInThroughDialog(page, () => page.getByTestId(ADD).click(), account);
  await waitForLog(page, 'command.completed');
}

async function me(token: string): Promise<{ user: { id: string }; status: string; claims: string | null }> {
  const response = await server.api('api/v1/me', token);
  expect(response.status).toBe(200);
  return (await response.json()) as { user: { id: string }; status: string; claims: string | null };
}

describe('Outlook sandbox on the real Roomlink server (demo mode)', () => {
  it('signs in through the emulator, adds the meeting once, saves it to Graph, removes it', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await typeAppointment('Budget review', 'Agenda: the budget.');
    // A room booked with Room Finder: a location entry the add-in must leave as it is.
    await page.getByTestId('add-room').click();
    const { userBody, room } = await item(page).then((i) => ({ userBody: i.body, room: i.locations }));
    expect(room).toEqual([expect.objectContaining({ type: 'room', displayName: 'Conference Room 4' })]);

    await addMeetingSigningIn(ADELE.account);

    // The dialog went from Roomlink's start page to the identity emulator's sign-in page and back to
    // Roomlink's callback, whose office.js the sandbox's service worker answered; the add-in closed it.
    const [opened] = await waitForLog(page, 'dialog.opened');
    expect(opened).toMatchObject({ iframe: false });
    expect(new URL(String(opened?.url)).pathname).toBe('/auth/addin/start');
    // The add-in named the mailbox's account (login_hint), so the identity emulator signed it in
    // without its account picker (as Entra does for a single known account).
    const authorize = requests.find((r) => r.startsWith(`GET ${server.baseUrl}_emulator/login/`));
    expect(new URL(String(authorize?.slice(4))).searchParams.get('login_hint')).toBe(ADELE.upn);
    expect(requests.some((r) => r.startsWith(`GET ${server.baseUrl}auth/callback?`))).toBe(true);
    expect(await waitForLog(page, 'dialog.closed')).toEqual([expect.objectContaining({ byAddin: true })]);
    expect(await logHas('serviceWorker.failed')).toBe(false);
    expect(apiCalls('POST', '/api/v1/session')).toBe(1);

    // The block, the location and the custom property are in the appointment, the user's text intact.
    const added = await item(page);
    const meetingId = String(added.customProperties?.roomlinkMeetingId ?? '');
    expect(meetingId).not.toBe('');
    expect(added.body.startsWith(userBody)).toBe(true);
    expect(findJoinBlock(added.body, 'html')?.meetingId).toBe(meetingId);
    // The join link is a location entry of its own, after the room (Mailbox 1.8's enhancedLocation).
    const joinUrl = String(added.customProperties?.roomlinkJoinUrl ?? '');
    expect(added.locations).toEqual([...room, { type: 'custom', id: joinUrl, displayName: joinUrl }]);
    expect(added.location).toBe(`Conference Room 4; ${joinUrl}`);
    expect(added.notifications).toContainEqual(
      expect.objectContaining({ type: 'informationalMessage', message: 'Roomlink meeting added.' }),
    );

    // The room exists on the server, with this appointment's subject and join link, and its page opens.
    const token = await sessionToken(page);
    const fetched = await server.api(`api/v1/meetings/${meetingId}`, token);
    expect(fetched.status).toBe(200);
    const meeting = (await fetched.json()) as { status: string; subject: string; joinUrl: string };
    expect(meeting).toMatchObject({ status: 'scheduled', subject: 'Budget review', joinUrl });
    expect(meeting.joinUrl.startsWith(server.baseUrl)).toBe(true);
    expect(added.body).toContain(meeting.joinUrl);
    expect((await fetch(meeting.joinUrl)).status).toBe(200);

    // Saving writes the appointment into the user's mailbox: Graph shows it, with the custom properties.
    await page.getByTestId('save').click();
    const [saved] = await waitForLog(page, 'saved');
    const { user } = await me(token);
    const graph = await server.graph(
      user.id,
      `me/events/${encodeURIComponent(String(saved?.id))}?${customPropertiesExpand(server.addinId)}`,
    );
    expect(graph.status).toBe(200);
    const event = (await graph.json()) as {
      subject: string;
      location: { displayName: string };
      locations: { displayName: string; locationType: string; locationEmailAddress?: string | null }[];
      body: { contentType: string; content: string };
      singleValueExtendedProperties?: { id: string; value: string }[];
    };
    expect(event.subject).toBe('Budget review');
    expect(event.location.displayName).toBe(`Conference Room 4; ${meeting.joinUrl}`);
    expect(event.locations).toEqual([
      expect.objectContaining({
        displayName: 'Conference Room 4',
        locationType: 'conferenceRoom',
        locationEmailAddress: room[0]?.id,
      }),
      expect.objectContaining({ displayName: meeting.joinUrl, locationType: 'default' }),
    ]);
    expect(findJoinBlock(event.body.content, 'html')?.meetingId).toBe(meetingId);
    expect(event.singleValueExtendedProperties).toHaveLength(1);
    expect(JSON.parse(event.singleValueExtendedProperties?.[0]?.value ?? '{}')).toMatchObject({
      roomlinkMeetingId: meetingId,
    });

    // A second click adds nothing: no second request for a room, the body as it was.
    await page.getByTestId(ADD).click();
    await waitForLog(page, 'command.completed', 2);
    expect((await item(page)).body).toBe(added.body);
    expect(apiCalls('POST', '/api/v1/meetings')).toBe(1);
    expect((await item(page)).notifications[0]?.message).toBe(
      'This appointment already has a Roomlink meeting.',
    );

    // The task pane shows the account and the join link, and removes the meeting: its block, its join link
    // (the booked room stays) and its Roomlink room.
    await page.getByTestId(OPTIONS).click();
    await expect
      .poll(() => taskpane().getByTestId('account').textContent())
      .toBe(`Signed in as Adele Vance (${ADELE.upn})`);
    expect(await taskpane().getByTestId('join-link').getAttribute('href')).toBe(meeting.joinUrl);
    await taskpane().getByTestId('remove-meeting').click();
    await expect.poll(async () => (await item(page)).customProperties).toEqual({});
    const removed = await item(page);
    expect(removed.body).toBe(userBody);
    // The room is still a room, and the only location.
    expect(removed.locations).toEqual(room);
    expect(removed.location).toBe('Conference Room 4');
    expect(apiCalls('DELETE', `/api/v1/meetings/${meetingId}`)).toBe(1);
    expect((await server.api(`api/v1/meetings/${meetingId}`, token)).status).toBe(404);
  });

  // Each runtime finds the session the task pane stored where that Outlook keeps it: OfficeRuntime.storage
  // in classic Outlook's JavaScript-only runtime, localStorage in the browser runtime of the web and Mac.
  it.each([
    ['JavaScript-only runtime', 'javascript'],
    ['browser runtime (launchevent.html)', 'browser'],
  ])('adds a meeting to every new appointment when the user turned that on (%s)', async (_label, runtime) => {
    await openSandbox(page, server.baseUrl, { user: ALEX.upn, runtime });
    await waitForLog(page, 'launch.completed'); // signed out: the handler did nothing
    expect((await item(page)).body).toBe('');

    await page.getByTestId(OPTIONS).click();
    await signInThroughDialog(page, () => taskpane().getByTestId('sign-in').click(), ALEX.account);
    await expect
      .poll(() => taskpane().getByTestId('account').textContent())
      .toBe(`Signed in as Alex Wilber (${ALEX.upn})`);
    const token = await sessionToken(page);
    await taskpane().getByTestId('setting-add-to-every').check();
    await expect
      .poll(
        async () => ((await (await server.api('api/v1/me', token)).json()) as Me).settings.addToEveryMeeting,
      )
      .toBe(true);

    await page.getByTestId('new-event').click();
    await waitForLog(page, 'launch.completed', 2);
    const created = await item(page);
    const meetingId = String(created.customProperties?.roomlinkMeetingId ?? '');
    expect(findJoinBlock(created.body, 'html')?.meetingId).toBe(meetingId);
    expect(created.location).toBe(created.customProperties?.roomlinkJoinUrl);
    const fetched = await server.api(`api/v1/meetings/${meetingId}`, token);
    expect(fetched.status).toBe(200);
    expect(((await fetched.json()) as { joinUrl: string }).joinUrl).toBe(created.location);
    expect(apiCalls('POST', '/api/v1/meetings')).toBe(1);
  });

  it.each([
    ['JavaScript-only runtime', 'javascript'],
    ['browser runtime (launchevent.html)', 'browser'],
  ])('raises the Smart Alert on send when the join block was deleted (%s)', async (_label, runtime) => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn, runtime });
    await typeAppointment('Weekly sync', 'Notes.');
    await addMeetingSigningIn(ADELE.account);

    await page.getByTestId('send').click();
    await waitForLog(page, 'send.sent');
    expect((await item(page)).sent).toBe(true);

    // The user deletes the joining details, then sends again.
    await page.getByTestId('body').evaluate((body) => {
      (body as { innerHTML: string }).innerHTML = 'Notes.';
    });
    await page.getByTestId('send').click();
    const [alert] = await waitForLog(page, 'send.alert');
    expect(String(alert?.message)).toContain(
      'The Roomlink joining details were deleted from this invitation.',
    );
    await expect(page.getByTestId('smart-alert-message').textContent()).resolves.toContain(
      'The Roomlink joining details were deleted from this invitation.',
    );
    await page.getByTestId('smart-alert-dont-send').click();
    await waitForLog(page, 'send.blocked');
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.filter(
            (e: SandboxLogEntry) => e.type === 'send.sent',
          ).length,
      ),
    ).toBe(1);
  });

  it('speaks French when Outlook does (fr-FR), and the server writes the French join block', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn, lang: 'fr-FR' });
    await expect(page.getByTestId(ADD).textContent()).resolves.toBe('Ajouter une réunion Roomlink');
    await expect(page.getByTestId(OPTIONS).textContent()).resolves.toBe('Options Roomlink');

    await page.getByTestId(OPTIONS).click();
    await expect.poll(() => taskpane().getByTestId('sign-in').textContent()).toBe('Se connecter');
    await expect(taskpane().getByTestId('account').textContent()).resolves.toBe('Vous n’êtes pas connecté.');
    await signInThroughDialog(page, () => taskpane().getByTestId('sign-in').click(), ADELE.account);
    await expect
      .poll(() => taskpane().getByTestId('account').textContent())
      .toBe(`Connecté en tant que Adele Vance (${ADELE.upn})`);
    await taskpane().getByTestId('add-meeting').click();
    await expect.poll(async () => (await item(page)).customProperties?.roomlinkMeetingId).toBeTruthy();
    const added = await item(page);
    expect(added.notifications[0]?.message).toBe('Réunion Roomlink ajoutée.');
    expect(findJoinBlock(added.body, 'html')?.meetingId).toBe(added.customProperties?.roomlinkMeetingId);
    expect(added.body).toContain('Rejoindre la réunion');
    expect(added.body).not.toContain('Join the meeting');
    expect(requests.some((r) => /^POST \S+\/api\/v1\/meetings\?lang=fr$/.test(r))).toBe(true);
  });

  it('tells the user when their organisation requires a new sign-in, and clears it by signing in again', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await typeAppointment('Planning', 'Hello.');
    await addMeetingSigningIn(ADELE.account);
    const token = await sessionToken(page);
    const { user } = await me(token);

    // Later, Microsoft refuses a token refresh for Roomlink with a Conditional Access claims challenge
    // (as when Graph answers a sync call with one): the server's token service records it.
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    const refused = new TokenService({
      tokens: server.runtime.store.tokens,
      users: server.runtime.store.users,
      cipher: server.runtime.cipher,
      oidc: async () =>
        ({
          refresh: async () => {
            throw new OidcError('interaction_required', 'AADSTS50076: multi-factor authentication required');
          },
        }) as never,
    });
    await expect(refused.onClaimsChallenge(user.id, claims)).rejects.toMatchObject({
      code: 'claims_required',
    });
    expect(await me(token)).toMatchObject({ status: 'needs_sign_in', claims });

    // The task pane says so, in words, and offers to sign in again.
    await page.getByTestId(OPTIONS).click();
    const notice = taskpane().getByTestId('needs-sign-in');
    await notice.waitFor();
    expect(await notice.textContent()).toBe(
      'Your organisation requires you to sign in again (Conditional Access policy).',
    );
    const before = requests.length;
    await signInThroughDialog(page, () => taskpane().getByTestId('sign-in-again').click(), ADELE.account);

    // The claims went with the new sign-in to the identity platform (beside Roomlink's client
    // capability, CAE's cp1); the server cleared the challenge.
    const authorize = requests
      .slice(before)
      .map((r) => new URL(r.split(' ')[1] as string))
      .find((u) => u.pathname.endsWith('/oauth2/v2.0/authorize'));
    expect(JSON.parse(authorize?.searchParams.get('claims') ?? '{}')).toEqual({
      access_token: { acrs: { essential: true, value: 'c1' }, xms_cc: { values: ['cp1'] } },
    });
    await expect.poll(() => taskpane().getByTestId('needs-sign-in').count()).toBe(0);
    expect(await me(await sessionToken(page))).toMatchObject({ status: 'active', claims: null });
    await expect(taskpane().getByTestId('account').textContent()).resolves.toBe(
      `Signed in as Adele Vance (${ADELE.upn})`,
    );
  });
});

interface Me {
  settings: { addToEveryMeeting: boolean };
}
