/**
 * Changing the language when the description leaves no room for the joining details in it, in the
 * Outlook sandbox on the real Roomlink server (demo mode), in headless Chromium: the French block
 * reads longer than the English one, and the sandbox refuses a body.setAsync over 1,000,000
 * characters with DataExceedsMaximumSize, as Office.js documents. The pane says, in French, that the
 * description is too long and what to do; the appointment is left as it was; the meeting on the
 * server is only read. Once the description is shorter, the pane's retry rewrites the block.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { item, openSandbox, SANDBOX_MAX_BODY } from '../../emulators/test/sandbox-support.js';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import { type DemoServer, sandboxPerTest, sessionToken } from '../../server/test/browser/demo-sandbox.js';
import { ADELE, signInInTaskpane, taskpane as taskpaneOf } from './classic-send-check.js';

const TOO_LONG_FR =
  'Paramètres enregistrés. La description est trop longue pour que les informations pour rejoindre la réunion y tiennent en français. Raccourcissez-la, puis réécrivez-les en français. Le rendez-vous n’a pas été modifié.';

let server: DemoServer;
let page: Page;
let requests: string[];

sandboxPerTest((session) => {
  ({ server, page, requests } = session);
});

const taskpane = () => taskpaneOf(page);
const status = () => taskpane().getByTestId('status').textContent();

/** The meeting's joining details as Roomlink renders them in `lang` (HTML). */
async function blockIn(meetingId: string, lang: 'en' | 'fr'): Promise<string> {
  const response = await server.api(`api/v1/meetings/${meetingId}?lang=${lang}`, await sessionToken(page));
  expect(response.status).toBe(200);
  return ((await response.json()) as { instructions: { html: string } }).instructions.html;
}

/** The user types a long text before the joining details, until the body is `spare` under the limit. */
async function longDescription(spare: number): Promise<void> {
  const length = SANDBOX_MAX_BODY - (await item(page)).body.length - '<p></p>'.length - spare;
  await page.getByTestId('body').evaluate((body, n) => {
    const words = 'Minutes of the last meeting, read aloud. '.repeat(Math.ceil(n / 40)).slice(0, n);
    body.insertAdjacentHTML('afterbegin', `<p>${words}</p>`);
  }, length);
  expect((await item(page)).body.length).toBe(SANDBOX_MAX_BODY - spare);
}

describe('changing the language with a description too long for the joining details in it (sandbox)', () => {
  it('says so in French, changes nothing; shortened, the retry rewrites the block', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await page.getByTestId('subject').fill('Budget review');
    await page.getByTestId('location').fill('Room 4');
    await signInInTaskpane(page);
    await taskpane().getByTestId('add-meeting').click();
    await taskpane().getByTestId('remove-meeting').waitFor();
    const added = await item(page);
    const meetingId = String(added.customProperties?.roomlinkMeetingId);
    const at = findJoinBlock(added.body, 'html');
    if (!at) throw new Error('no block');
    // What the French block adds to the body: the description gets half of it less room than that,
    // so the English block fits and the French one does not.
    const grows = (await blockIn(meetingId, 'fr')).length - (at.end - at.start);
    expect(grows).toBeGreaterThan(10);
    await longDescription(Math.floor(grows / 2));
    const before = await item(page);
    const meetingRequests = () => requests.filter((r) => r.includes(`/api/v1/meetings/${meetingId}`));
    const readsBefore = meetingRequests().length;

    await taskpane().getByTestId('setting-language').selectOption('fr');
    await expect.poll(status).toBe(TOO_LONG_FR);

    expect(await taskpane().getByTestId('status').getAttribute('class')).toBe('status error');
    const after = await item(page);
    expect(after.body).toBe(before.body);
    expect(after.location).toBe(before.location);
    expect(after.customProperties).toEqual(before.customProperties);
    expect(after.body).not.toContain('Rejoindre la réunion');
    // The meeting was only read (in French): nothing about it changed on the server.
    expect(meetingRequests().slice(readsBefore)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^GET \S+\?lang=fr$/)]),
    );
    expect(
      meetingRequests()
        .slice(readsBefore)
        .every((r) => r.startsWith('GET ')),
    ).toBe(true);

    // Shortened, the pane's retry rewrites the block in French.
    await page.getByTestId('body').evaluate((body) => body.querySelector('p')?.remove());
    await taskpane().getByTestId('retry-language').click();
    await expect
      .poll(status)
      .toBe('Les informations pour rejoindre la réunion sont maintenant en français dans ce rendez-vous.');
    const rewritten = await item(page);
    expect(rewritten.body).toContain('Rejoindre la réunion');
    expect(findJoinBlock(rewritten.body, 'html')?.meetingId).toBe(meetingId);
    expect(rewritten.location).toBe(before.location);
  });
});
