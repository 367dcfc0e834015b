/**
 * A description too long for the joining details, in the Outlook sandbox on the real Roomlink server
 * (demo mode), in headless Chromium: the sandbox refuses a body.setAsync over 1,000,000 characters with
 * DataExceedsMaximumSize, as Office.js documents. The add-in says why and what to do, leaves the
 * appointment as it was, and once the user has shortened the description the retry gets the meeting
 * the first try made (one meeting on the server), from the task pane as from the ribbon, whose every
 * click is a new runtime (classic Outlook on Windows, the sandbox's default).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { item, openSandbox, SANDBOX_MAX_BODY, waitForLog } from '../../emulators/test/sandbox-support.js';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import { countLog, type DemoServer, sandboxPerTest } from '../../server/test/browser/demo-sandbox.js';
import { ADD, ADELE, signInInTaskpane, taskpane as taskpaneOf } from './classic-send-check.js';

const TOO_LONG_EN =
  'The description is too long for the Roomlink joining details to be added. Shorten it, then try again. Nothing was changed.';
const TOO_LONG_FR =
  'La description est trop longue pour y ajouter les informations de la réunion Roomlink. Raccourcissez-la, puis réessayez. Rien n’a été modifié.';

let server: DemoServer;
let page: Page;
let requests: string[];

sandboxPerTest((session) => {
  ({ server, page, requests } = session);
});

const taskpane = () => taskpaneOf(page);
/** How many meetings the add-in asked Roomlink to make (POST /api/v1/meetings). */
const creates = () => requests.filter((r) => /^POST \S+\/api\/v1\/meetings(\?|$)/.test(r)).length;
/** The meetings Roomlink holds (every test has a database of its own). */
const meetingIds = async () =>
  (await server.runtime.store.db.selectFrom('meetings').select('id').execute()).map((m) => m.id);
const blockMeetingId = async () => findJoinBlock((await item(page)).body, 'html')?.meetingId ?? null;
const notification = async () => (await item(page)).notifications.find((n) => n.key === 'roomlink');

/**
 * Types a description this much under the limit, as the add-in reads it (`<html><body>…</body></html>`):
 * the joining details take it over.
 */
async function longDescription(spare = 20): Promise<void> {
  const length = SANDBOX_MAX_BODY - '<html><body><p></p></body></html>'.length - spare;
  await page.getByTestId('body').evaluate((body, n) => {
    const words = 'Minutes of the last meeting, read aloud. '.repeat(Math.ceil(n / 40)).slice(0, n);
    (body as { innerHTML: string }).innerHTML = `<p>${words}</p>`;
  }, length);
}

async function shortenDescription(): Promise<void> {
  await page.getByTestId('body').evaluate((body) => {
    (body as { innerHTML: string }).innerHTML = '<p>Agenda: the numbers.</p>';
  });
}

/** The appointment as the user sees it, and the add-in's record of a meeting (none expected). */
async function visible() {
  const { body, location, locations, customProperties } = await item(page);
  const { roomlinkMeetingId, roomlinkJoinUrl, roomlinkLocation } = customProperties ?? {};
  return { body, location, locations, recorded: { roomlinkMeetingId, roomlinkJoinUrl, roomlinkLocation } };
}

async function clickAddOnRibbon(): Promise<void> {
  const completed = await countLog(page, 'command.completed');
  await page.getByTestId(ADD).click();
  await waitForLog(page, 'command.completed', completed + 1);
}

describe('a description too long for the joining details (sandbox)', () => {
  it('task pane: says why and what to do, changes nothing; shortened, the retry adds the same meeting', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await page.getByTestId('subject').fill('Budget review');
    await signInInTaskpane(page);
    await longDescription();
    const before = await visible();
    expect(before.body.length).toBeGreaterThan(SANDBOX_MAX_BODY - 100);

    await taskpane().getByTestId('add-meeting').click();
    await expect.poll(() => taskpane().getByTestId('status').textContent()).toBe(TOO_LONG_EN);

    expect(await taskpane().getByTestId('status').getAttribute('class')).toBe('status error');
    await taskpane().getByTestId('no-meeting').waitFor();
    expect(await notification()).toMatchObject({ type: 'errorMessage', message: TOO_LONG_EN });
    expect(await visible()).toEqual(before);
    expect(before.recorded).toEqual({});
    const made = await meetingIds();
    expect(made).toHaveLength(1);

    await shortenDescription();
    await taskpane().getByTestId('add-meeting').click();
    await taskpane().getByTestId('remove-meeting').waitFor();

    expect(await taskpane().getByTestId('status').textContent()).toBe('Roomlink meeting added.');
    expect(await blockMeetingId()).toBe(made[0]);
    expect((await item(page)).location).toMatch(/\/m\/[^/]+$/);
    expect(creates()).toBe(2);
    expect(await meetingIds()).toEqual(made);
  });

  it('ribbon, in French: the bar says why, nothing changes; the next click (a new runtime) adds the same meeting', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await signInInTaskpane(page);
    // Outlook in French: a new appointment; the session is the add-in's, kept in the page's storage.
    await openSandbox(page, server.baseUrl, { user: ADELE.upn, lang: 'fr-FR' });
    await page.getByTestId('subject').fill('Revue du budget');
    await page.getByTestId('location').fill('Salle 4');
    await longDescription();
    const before = await visible();

    await clickAddOnRibbon();

    expect(await notification()).toMatchObject({ type: 'errorMessage', message: TOO_LONG_FR });
    expect(await visible()).toEqual(before);
    const made = await meetingIds();
    expect(made).toHaveLength(1);

    await shortenDescription();
    await clickAddOnRibbon();

    expect(await notification()).toMatchObject({ message: 'Réunion Roomlink ajoutée.' });
    expect(await blockMeetingId()).toBe(made[0]);
    expect((await item(page)).location).toMatch(/^Salle 4; https?:\/\/\S+\/m\/[^/]+$/);
    expect(creates()).toBe(2);
    expect(await meetingIds()).toEqual(made);
  });
});

describe('the sandbox refuses what Office.js documents as too long', () => {
  it('body setAsync, prependAsync, setSelectedDataAsync over 1,000,000 characters; subject, location over 255', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await page.getByTestId('body').evaluate((body) => {
      (body as { innerHTML: string }).innerHTML = '<p>Agenda.</p>';
    });
    await page.getByTestId('addin-button-roomlinkTaskpane').click();
    await taskpane().getByTestId('sign-in').waitFor();
    const frame = await (await page.getByTestId('taskpane-frame').elementHandle())?.contentFrame();
    if (!frame) throw new Error('no task pane frame');

    const answers = await frame.evaluate(async (max) => {
      type Callback = (result: { status: string; error?: { name?: string; code?: number } }) => void;
      type Item = {
        body: Record<string, (data: string, options: { coercionType: string }, cb: Callback) => void> & {
          getAsync(type: string, cb: (result: { value: string }) => void): void;
        };
        subject: { setAsync(value: string, cb: Callback): void };
        location: { setAsync(value: string, cb: Callback): void };
      };
      const office = (globalThis as unknown as { Office: { context: { mailbox: { item: Item } } } }).Office;
      const item = office.context.mailbox.item;
      const answer = (start: (cb: Callback) => void) =>
        new Promise<{ status: string; name?: string; code?: number }>((resolve) =>
          start((r) => resolve({ status: r.status, name: r.error?.name, code: r.error?.code })),
        );
      const body = (method: string, length: number) =>
        answer((cb) => item.body[method]?.('y'.repeat(length), { coercionType: 'text' }, cb));
      return {
        set: await body('setAsync', max + 1),
        prepend: await body('prependAsync', max + 1),
        selected: await body('setSelectedDataAsync', max + 1),
        subject: await answer((cb) => item.subject.setAsync('s'.repeat(256), cb)),
        location: await answer((cb) => item.location.setAsync('l'.repeat(256), cb)),
        bodyAfterRefusals: await new Promise<string>((resolve) =>
          item.body.getAsync('text', (r) => resolve(r.value)),
        ),
        setAtLimit: await body('setAsync', max),
      };
    }, SANDBOX_MAX_BODY);

    // Microsoft documents the name; the code is the Common API's "data object is too large".
    const refused = { status: 'failed', name: 'DataExceedsMaximumSize', code: 2009 };
    expect(answers).toEqual({
      set: refused,
      prepend: refused,
      selected: refused,
      subject: refused,
      location: refused,
      bodyAfterRefusals: 'Agenda.',
      setAtLimit: { status: 'succeeded' },
    });
    const after = await item(page);
    expect(after.body).toBe('y'.repeat(SANDBOX_MAX_BODY));
    expect(after.subject).toBe('');
    expect(after.location).toBe('');
  });
});
