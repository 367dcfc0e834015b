/**
 * What the classic-Outlook send-check browser tests share: the demo user, the sandbox's controls, the
 * task pane sign-in, and how a send that was stopped by the Smart Alert is told apart from one let through.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import {
  item,
  type SandboxGlobal,
  type SandboxLogEntry,
  waitForLog,
} from '../../emulators/test/sandbox-support.js';
import { countLog, signInThroughDialog } from '../../server/test/browser/demo-sandbox.js';

// Demo directory users (packages/emulators/src/identity/demo-directory.ts).
export const ADELE = { upn: 'adele@contoso.example', account: /Adele Vance/ };
export const ADD = 'addin-button-roomlinkAddMeeting';
export const OPTIONS = 'addin-button-roomlinkTaskpane';
const BLOCKED = 'The Roomlink joining details were deleted from this invitation.';

export const taskpane = (page: Page) => page.frameLocator('[data-testid="taskpane-frame"]');

/** Opens the task pane and signs Adele in from it. */
export async function signInInTaskpane(page: Page): Promise<void> {
  await page.getByTestId(OPTIONS).click();
  await signInThroughDialog(page, () => taskpane(page).getByTestId('sign-in').click(), ADELE.account);
  await expect
    .poll(() => taskpane(page).getByTestId('account').textContent())
    .toBe(`Signed in as Adele Vance (${ADELE.upn})`);
}

/** Waits for whichever comes first: the Smart Alert, or the item sent (a send let through fails fast). */
export async function sendOutcome(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.some(
      (e: SandboxLogEntry) => e.type === 'send.alert' || e.type === 'send.sent',
    ),
  );
}

/** The send was stopped by the Smart Alert, and nothing was sent. */
export async function expectBlocked(page: Page): Promise<void> {
  await sendOutcome(page);
  expect(await countLog(page, 'send.sent')).toBe(0);
  const [alert] = await waitForLog(page, 'send.alert');
  expect(String(alert?.message)).toContain(BLOCKED);
  await page.getByTestId('smart-alert-dont-send').click();
  await waitForLog(page, 'send.blocked');
  expect(await countLog(page, 'send.sent')).toBe(0);
  expect((await item(page)).sent).toBe(false);
}
