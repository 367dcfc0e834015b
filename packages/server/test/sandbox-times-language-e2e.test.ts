/**
 * The Outlook sandbox on the real Roomlink server in demo mode (set up as sandbox-e2e.test.ts), in
 * headless Chromium:
 *  - the appointment form keeps the duration when the start moves, as Outlook does, reports both new
 *    times to the add-in (item.start/end getAsync, Office.EventType.AppointmentTimeChanged) and saves
 *    both into the Graph emulator;
 *  - choosing another language in the task pane rewrites the join block already in the appointment,
 *    and leaves the appointment as it was (saying so) when that cannot be done.
 */
import type { Frame, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { item, openSandbox, waitForLog } from '../../emulators/test/sandbox-support.js';
import { findJoinBlock } from '../src/instructions/marker.js';
import {
  type DemoServer,
  sandboxPerTest,
  sessionToken,
  signInThroughDialog,
} from './browser/demo-sandbox.js';
import type { launchChromium } from './support/chromium.js';

// Demo directory users (packages/emulators/src/identity/demo-directory.ts).
const ADELE = { upn: 'adele@contoso.example', account: /Adele Vance/ };
const ADD = 'addin-button-roomlinkAddMeeting';
const OPTIONS = 'addin-button-roomlinkTaskpane';

/** A local calendar day `days` from today (YYYY-MM-DD): the meetings stay in the future, never past their purge day. */
const localDay = (days: number) => {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
};
const DAY1 = localDay(1);
const DAY2 = localDay(2);
const DAY3 = localDay(3);

let server: DemoServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let requests: string[];

sandboxPerTest((session) => {
  ({ server, browser, page, requests } = session);
});

const taskpane = () => page.frameLocator('[data-testid="taskpane-frame"]');

/** The task pane's frame, to call Office.js in it as the add-in does. */
async function taskpaneFrame(): Promise<Frame> {
  await waitForLog(page, 'frame.ready');
  const frame = page.frames().find((f) => f.name().split('|')[1]?.startsWith('taskpane-'));
  if (!frame) throw new Error('no task pane frame');
  return frame;
}

/** Opens the task pane and signs in from it. */
async function openTaskpaneSignedIn(): Promise<void> {
  await page.getByTestId(OPTIONS).click();
  await signInThroughDialog(page, () => taskpane().getByTestId('sign-in').click(), ADELE.account);
  await expect
    .poll(() => taskpane().getByTestId('account').textContent())
    .toBe(`Signed in as Adele Vance (${ADELE.upn})`);
}

/** The ISO time of a datetime-local value in the browser's time zone. */
const iso = (local: string) => page.evaluate((value) => new Date(value).toISOString(), local);

const form = async () => ({
  start: await page.getByTestId('start').inputValue(),
  end: await page.getByTestId('end').inputValue(),
});

interface OfficeInFrame {
  Office: {
    EventType: { AppointmentTimeChanged: string };
    context: {
      mailbox: {
        item: {
          start: {
            getAsync(cb: (r: { value: Date }) => void): void;
            setAsync(value: Date, cb: (r: { status: string }) => void): void;
          };
          end: { getAsync(cb: (r: { value: Date }) => void): void };
          addHandlerAsync(
            type: string,
            handler: (args: { type: string; start: unknown; end: unknown }) => void,
            cb: (r: { status: string }) => void,
          ): void;
        };
      };
    };
  };
  timeChanges: { type: string; start: string; end: string; dates: boolean }[];
}

/** What item.start.getAsync and item.end.getAsync give the add-in. */
const officeTimes = (frame: Frame) =>
  frame.evaluate(async () => {
    const item = (globalThis as unknown as OfficeInFrame).Office.context.mailbox.item;
    const get = (field: typeof item.start | typeof item.end) =>
      new Promise<string>((resolve) =>
        field.getAsync((r) => resolve(r.value instanceof Date ? r.value.toISOString() : `not a Date`)),
      );
    return { start: await get(item.start), end: await get(item.end) };
  });

const timeChanges = (frame: Frame) =>
  frame.evaluate(() => (globalThis as unknown as OfficeInFrame).timeChanges);

interface GraphEvent {
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  body: { content: string };
}

/** The saved appointment as Graph gives it to Roomlink's calendar sync. */
async function graphEvent(eventId: string): Promise<GraphEvent> {
  const token = await sessionToken(page);
  const me = (await (await server.api('api/v1/me', token)).json()) as { user: { id: string } };
  const response = await server.graph(me.user.id, `me/events/${encodeURIComponent(eventId)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as GraphEvent;
}

/** Graph's dateTime (UTC here) to the page's ISO form. */
const utc = (time: { dateTime: string; timeZone: string }) => {
  expect(time.timeZone).toBe('UTC');
  return `${time.dateTime.slice(0, 19)}.000Z`;
};

describe('Outlook sandbox: start and end', () => {
  it('moving the start keeps the duration; the add-in is told both times; saving writes both to Graph', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await page.getByTestId('subject').fill('Planning');
    await openTaskpaneSignedIn();
    const frame = await taskpaneFrame();
    // A 90-minute meeting: start, then end.
    await page.getByTestId('start').fill(`${DAY1}T09:00`);
    await page.getByTestId('end').fill(`${DAY1}T10:30`);
    expect(await form()).toEqual({ start: `${DAY1}T09:00`, end: `${DAY1}T10:30` });
    await page.getByTestId('save').click();
    const [saved] = await waitForLog(page, 'saved');
    const eventId = String(saved?.id);

    // The user moves the start: the end follows, the meeting still lasts 90 minutes.
    await page.getByTestId('start').fill(`${DAY1}T14:00`);
    expect(await form()).toEqual({ start: `${DAY1}T14:00`, end: `${DAY1}T15:30` });
    const moved = { start: await iso(`${DAY1}T14:00`), end: await iso(`${DAY1}T15:30`) };
    expect(await officeTimes(frame)).toEqual(moved);

    // Saving writes both times into the mailbox (the update of the saved event).
    await page.getByTestId('save').click();
    await waitForLog(page, 'saved', 2);
    const event = await graphEvent(eventId);
    expect({ start: utc(event.start), end: utc(event.end) }).toEqual(moved);

    // From now on the add-in listens for time changes, as Office.js lets it (Mailbox 1.7).
    const registered = await frame.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const g = globalThis as unknown as OfficeInFrame;
          g.timeChanges = [];
          g.Office.context.mailbox.item.addHandlerAsync(
            g.Office.EventType.AppointmentTimeChanged,
            (args) =>
              g.timeChanges.push({
                type: args.type,
                start: String((args.start as Date).toISOString?.()),
                end: String((args.end as Date).toISOString?.()),
                dates: args.start instanceof Date && args.end instanceof Date,
              }),
            (r) => resolve(r.status),
          );
        }),
    );
    expect(registered).toBe('succeeded');

    // A start moved past the end: the end moves too, never a negative meeting.
    await page.getByTestId('start').fill(`${DAY2}T08:00`);
    expect(await form()).toEqual({ start: `${DAY2}T08:00`, end: `${DAY2}T09:30` });
    const later = { start: await iso(`${DAY2}T08:00`), end: await iso(`${DAY2}T09:30`) };
    await expect
      .poll(async () => (await timeChanges(frame)).at(-1))
      .toEqual({ type: 'olkAppointmentTimeChanged', ...later, dates: true });

    // Changing the end alone changes the duration; the next start move keeps the new one.
    await page.getByTestId('end').fill(`${DAY2}T08:45`);
    await page.getByTestId('start').fill(`${DAY2}T11:00`);
    expect(await form()).toEqual({ start: `${DAY2}T11:00`, end: `${DAY2}T11:45` });

    // An end before the start is not taken: it goes back when the field is left.
    await page.getByTestId('end').fill(`${DAY2}T10:00`);
    await page.getByTestId('subject').click();
    expect(await form()).toEqual({ start: `${DAY2}T11:00`, end: `${DAY2}T11:45` });

    // The add-in moving the start through Office.js: the end follows and the handler hears of it.
    const status = await frame.evaluate(
      (value) =>
        new Promise<string>((resolve) =>
          (globalThis as unknown as OfficeInFrame).Office.context.mailbox.item.start.setAsync(
            new Date(value),
            (r) => resolve(r.status),
          ),
        ),
      await iso(`${DAY3}T16:00`),
    );
    expect(status).toBe('succeeded');
    expect(await form()).toEqual({ start: `${DAY3}T16:00`, end: `${DAY3}T16:45` });
    const byAddin = { start: await iso(`${DAY3}T16:00`), end: await iso(`${DAY3}T16:45`) };
    expect(await officeTimes(frame)).toEqual(byAddin);
    await expect
      .poll(async () => (await timeChanges(frame)).at(-1))
      .toEqual({ type: 'olkAppointmentTimeChanged', ...byAddin, dates: true });
    // Every change the user or the add-in made was reported, each time with both times.
    expect((await timeChanges(frame)).every((c) => c.dates && c.start < c.end)).toBe(true);

    await page.getByTestId('save').click();
    await waitForLog(page, 'saved', 3);
    const again = await graphEvent(eventId);
    expect({ start: utc(again.start), end: utc(again.end) }).toEqual(byAddin);
  });
});

describe('Roomlink task pane: changing the language', () => {
  /** An English meeting in an appointment with the user's text before and after its block. */
  async function appointmentWithMeeting(): Promise<{ before: string; after: string; meetingId: string }> {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await page.getByTestId('subject').fill('Budget review');
    await page.getByTestId('body').click();
    await page.keyboard.type('Agenda: the budget.');
    const before = (await item(page)).body;
    await openTaskpaneSignedIn();
    await taskpane().getByTestId('add-meeting').click();
    await expect.poll(async () => (await item(page)).customProperties?.roomlinkMeetingId).toBeTruthy();
    // The user types on after the joining details.
    const after = '<div>P.S. bring the slides.</div>';
    await page
      .getByTestId('body')
      .evaluate((body, html) => body.insertAdjacentHTML('beforeend', html), after);
    const added = await item(page);
    expect(added.body).toContain('Join the meeting');
    expect(added.body.startsWith(before)).toBe(true);
    expect(added.body.endsWith(after)).toBe(true);
    return { before, after, meetingId: String(added.customProperties?.roomlinkMeetingId) };
  }

  const status = () => taskpane().getByTestId('status').textContent();

  it('rewrites the block already in the appointment in French, only it; the next meeting is French too', async () => {
    const { before, after, meetingId } = await appointmentWithMeeting();
    const english = await item(page);

    await taskpane().getByTestId('setting-language').selectOption('fr');
    await expect
      .poll(status)
      .toBe(
        'Paramètres enregistrés. Les informations pour rejoindre la réunion sont maintenant en français dans ce rendez-vous.',
      );
    const french = await item(page);
    expect(french.body.startsWith(before)).toBe(true);
    expect(french.body.endsWith(after)).toBe(true);
    expect(french.body).toContain('Rejoindre la réunion');
    expect(french.body).not.toContain('Join the meeting');
    expect(findJoinBlock(french.body, 'html')?.meetingId).toBe(meetingId);
    // The join link stays: location and custom properties as they were.
    expect(french.location).toBe(english.location);
    expect(french.customProperties).toEqual(english.customProperties);
    expect(requests.some((r) => r.endsWith(`/api/v1/meetings/${meetingId}?lang=fr`))).toBe(true);
    // The pane speaks French too.
    await expect(taskpane().getByTestId('remove-meeting').textContent()).resolves.toBe(
      'Retirer la réunion de ce rendez-vous',
    );

    // Saved, the invitation carries the French block.
    await page.getByTestId('save').click();
    const [saved] = await waitForLog(page, 'saved');
    const event = await graphEvent(String(saved?.id));
    expect(findJoinBlock(event.body.content, 'html')?.meetingId).toBe(meetingId);
    expect(event.body.content).toContain('Rejoindre la réunion');
    expect(event.body.content).not.toContain('Join the meeting');

    // The next meeting, added from the ribbon, is written in French.
    await taskpane().getByTestId('remove-meeting').click();
    await expect.poll(async () => (await item(page)).customProperties).toEqual({});
    await page.getByTestId(ADD).click();
    await waitForLog(page, 'command.completed');
    const next = await item(page);
    expect(next.customProperties?.roomlinkMeetingId).toBeTruthy();
    expect(next.body).toContain('Rejoindre la réunion');
    expect(next.body).not.toContain('Join the meeting');
    expect(requests.some((r) => /^POST \S+\/api\/v1\/meetings\?lang=fr$/.test(r))).toBe(true);
  });

  it('offline or meeting gone: the appointment is left unchanged and the pane says so in the new language', async () => {
    const { meetingId } = await appointmentWithMeeting();
    const english = await item(page);

    // Roomlink cannot be reached for the meeting: nothing changes, the pane says why, in French.
    await browser.context.route(`**/api/v1/meetings/${meetingId}*`, (route) => route.abort());
    await taskpane().getByTestId('setting-language').selectOption('fr');
    await expect
      .poll(status)
      .toBe(
        'Paramètres enregistrés. Les informations pour rejoindre la réunion n’ont pas pu être réécrites en français dans ce rendez-vous (Roomlink est injoignable). Le rendez-vous n’a pas été modifié.',
      );
    expect(await taskpane().getByTestId('status').getAttribute('class')).toContain('error');
    expect(await item(page)).toMatchObject({
      body: english.body,
      location: english.location,
      customProperties: english.customProperties,
    });

    // Back online, the pane offers to try again, which rewrites the block.
    await browser.context.unroute(`**/api/v1/meetings/${meetingId}*`);
    await taskpane().getByTestId('retry-language').click();
    await expect
      .poll(status)
      .toBe('Les informations pour rejoindre la réunion sont maintenant en français dans ce rendez-vous.');
    expect((await item(page)).body).toContain('Rejoindre la réunion');
    await expect(taskpane().getByTestId('retry-language').count()).resolves.toBe(0);
    const french = await item(page);

    // The meeting is deleted elsewhere (404): back to English, nothing changes, the pane says so.
    const deleted = await server.api(`api/v1/meetings/${meetingId}`, await sessionToken(page), {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(204);
    await taskpane().getByTestId('setting-language').selectOption('en');
    await expect
      .poll(status)
      .toBe(
        'Settings saved. The joining details in this appointment couldn’t be rewritten in English (Roomlink couldn’t find this meeting for your account). The appointment was left unchanged.',
      );
    expect(await item(page)).toMatchObject({
      body: french.body,
      location: french.location,
      customProperties: french.customProperties,
    });
  });
});
