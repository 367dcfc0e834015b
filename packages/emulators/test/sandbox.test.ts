/**
 * The Outlook sandbox hosting the real built add-in in headless Chromium, against a stub of Roomlink's
 * add-in API on the same origin. What a user does in Outlook, click by click.
 */
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import {
  type Browser,
  clickExpectingDialog,
  ensureAddinBuilt,
  item,
  launchBrowser,
  openSandbox,
  type SandboxGlobal,
  type SandboxLogEntry,
  type SandboxServer,
  startSandboxServer,
  waitForLog,
} from './sandbox-support.js';

const ADELE = 'adele@contoso.test';
const ADD = 'addin-button-roomlinkAddMeeting';
const OPTIONS = 'addin-button-roomlinkTaskpane';

let server: SandboxServer;
let browser: Browser;
let page: Page;

beforeAll(() => {
  ensureAddinBuilt();
}, 120_000);

beforeEach(async () => {
  server = await startSandboxServer();
  browser = await launchBrowser();
  page = await browser.context.newPage();
});

afterEach(async () => {
  await browser?.close();
  await server?.close();
});

async function typeAppointment(subject: string, text: string): Promise<void> {
  await page.getByTestId('subject').fill(subject);
  await page.getByTestId('body').click();
  await page.keyboard.type(text);
}

async function addMeetingSigningIn(): Promise<void> {
  await clickExpectingDialog(page, () => page.getByTestId(ADD).click());
  await waitForLog(page, 'command.completed');
}

const taskpane = () => page.frameLocator('[data-testid="taskpane-frame"]');
const meetingPosts = () => server.stub.requests.filter((r) => r === 'POST /api/v1/meetings').length;

describe('Outlook sandbox with the Roomlink add-in', () => {
  it('signs in through the dialog, adds the meeting once, saves it with the custom property, removes it', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE });
    await typeAppointment('Budget review', 'Agenda: the budget.');
    const userBody = (await item(page)).body;

    await addMeetingSigningIn();

    expect(server.stub.requests).toContain('GET /auth/addin/start');
    expect(server.stub.requests).toContain('POST /api/v1/session');
    // The dialog was a popup whose page (served outside the add-in folder) got the stand-in office.js
    // from the sandbox's service worker, and the add-in closed it once it had the code.
    const [opened] = await waitForLog(page, 'dialog.opened');
    expect(opened).toMatchObject({ iframe: false });
    expect(new URL(String(opened?.url)).pathname).toBe('/auth/addin/start');
    expect(await waitForLog(page, 'dialog.closed')).toEqual([expect.objectContaining({ byAddin: true })]);
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.some(
          (e: SandboxLogEntry) => e.type === 'serviceWorker.failed',
        ),
      ),
    ).toBe(false);
    const added = await item(page);
    const meeting = [...server.stub.meetings.values()][0];
    if (!meeting) throw new Error('no meeting created');
    expect(added.body.startsWith(userBody)).toBe(true);
    expect(findJoinBlock(added.body, 'html')?.meetingId).toBe(meeting.id);
    expect(added.location).toBe(meeting.joinUrl);
    expect(added.customProperties).toMatchObject({
      roomlinkMeetingId: meeting.id,
      roomlinkJoinUrl: meeting.joinUrl,
    });
    expect(added.notifications).toContainEqual(
      expect.objectContaining({ type: 'informationalMessage', message: 'Roomlink meeting added.' }),
    );
    expect(meeting.subject).toBe('Budget review');

    // Saving writes the event, the add-in's custom properties as the cecp-<add-in id> extended property.
    await page.getByTestId('save').click();
    const [saved] = await waitForLog(page, 'saved');
    const event = server.calendar.events.get(ADELE)?.get(String(saved?.id));
    const property = event?.singleValueExtendedProperties?.find(
      (p) => p.id === `String {00020329-0000-0000-C000-000000000046} Name cecp-${server.addinId}`,
    );
    expect(JSON.parse(property?.value ?? '{}')).toMatchObject({ roomlinkMeetingId: meeting.id });
    expect(event?.location.displayName).toBe(meeting.joinUrl);

    // A second click adds nothing.
    await page.getByTestId(ADD).click();
    await waitForLog(page, 'command.completed', 2);
    expect((await item(page)).body).toBe(added.body);
    expect(meetingPosts()).toBe(1);
    expect((await item(page)).notifications[0]?.message).toBe(
      'This appointment already has a Roomlink meeting.',
    );

    // The task pane shows the account and the join link, and removes the meeting.
    await page.getByTestId(OPTIONS).click();
    await expect
      .poll(() => taskpane().getByTestId('account').textContent())
      .toBe('Signed in as Adele Vance (adele@contoso.test)');
    expect(await taskpane().getByTestId('join-link').getAttribute('href')).toBe(meeting.joinUrl);
    await taskpane().getByTestId('remove-meeting').click();
    await expect.poll(async () => (await item(page)).customProperties).toEqual({});
    const removed = await item(page);
    expect(removed.body).toBe(userBody);
    expect(removed.location).toBe('');
    expect(server.stub.requests).toContain(`DELETE /api/v1/meetings/${meeting.id}`);
  });

  it('adds a meeting to every new appointment when the user turned that on (event runtime)', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE });
    await waitForLog(page, 'launch.completed'); // signed out: the handler did nothing
    expect((await item(page)).body).toBe('');

    await page.getByTestId(OPTIONS).click();
    await clickExpectingDialog(page, () => taskpane().getByTestId('sign-in').click());
    const everyMeeting = taskpane().getByTestId('setting-add-to-every');
    await everyMeeting.check();
    await expect.poll(() => server.stub.users.get(ADELE)?.settings.addToEveryMeeting).toBe(true);

    await page.getByTestId('new-event').click();
    await waitForLog(page, 'launch.completed', 2);
    const created = await item(page);
    const meeting = [...server.stub.meetings.values()][0];
    expect(meeting).toBeDefined();
    expect(findJoinBlock(created.body, 'html')?.meetingId).toBe(meeting?.id);
    expect(created.customProperties).toMatchObject({ roomlinkMeetingId: meeting?.id });
  });

  it('raises a Smart Alert on send when the join block was deleted, and sends when it is intact', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE });
    await typeAppointment('Weekly sync', 'Notes.');
    await addMeetingSigningIn();

    await page.getByTestId('send').click();
    await waitForLog(page, 'send.sent');
    expect((await item(page)).sent).toBe(true);

    // The user deletes the joining details, then sends again.
    await page.getByTestId('body').evaluate((body) => {
      (body as { innerHTML: string }).innerHTML = 'Notes.';
    });
    await page.getByTestId('send').click();
    await waitForLog(page, 'send.alert');
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

  it('runs the same send check in the browser event runtime (launchevent.html)', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE, runtime: 'browser' });
    await typeAppointment('Browser runtime', 'Hello.');
    await addMeetingSigningIn();
    await page.getByTestId('body').evaluate((body) => {
      (body as { innerHTML: string }).innerHTML = 'Hello.';
    });
    await page.getByTestId('send').click();
    const [alert] = await waitForLog(page, 'send.alert');
    expect(String(alert?.message)).toContain('The Roomlink joining details were deleted');
  });

  it('speaks French when Outlook does (fr-FR)', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE, lang: 'fr-FR' });
    await expect(page.getByTestId(ADD).textContent()).resolves.toBe('Ajouter une réunion Roomlink');
    await expect(page.getByTestId(OPTIONS).textContent()).resolves.toBe('Options Roomlink');

    await page.getByTestId(OPTIONS).click();
    await expect.poll(() => taskpane().getByTestId('sign-in').textContent()).toBe('Se connecter');
    await expect(taskpane().getByTestId('account').textContent()).resolves.toBe('Vous n’êtes pas connecté.');
    await clickExpectingDialog(page, () => taskpane().getByTestId('sign-in').click());
    await expect
      .poll(() => taskpane().getByTestId('account').textContent())
      .toBe('Connecté en tant que Adele Vance (adele@contoso.test)');
    await taskpane().getByTestId('add-meeting').click();
    await expect.poll(async () => (await item(page)).customProperties?.roomlinkMeetingId).toBeTruthy();
    const added = await item(page);
    expect(added.notifications[0]?.message).toBe('Réunion Roomlink ajoutée.');
    expect(added.body).toContain('Rejoindre la réunion Roomlink');
    expect(server.stub.requests).toContain('POST /api/v1/meetings');
  });
});
