/** Sign-in asks Microsoft for the mailbox's own account (login_hint), so meetings follow its calendar. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeeting } from '../web/core/add-meeting.js';
import { fakeOutlook } from './support/fake-outlook.js';
import { completeSignInDialogs, contextFor, type Harness, startStub } from './support/harness.js';

let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

describe('sign-in for this mailbox', () => {
  it('passes the mailbox’s address to /auth/addin/start as login_hint', async () => {
    const outlook = fakeOutlook({ emailAddress: 'Megan.Bowen+x@contoso.test' });
    completeSignInDialogs(harness, outlook);
    const ctx = await contextFor(harness, outlook);

    expect((await addMeeting(ctx)).status).toBe('added');

    const url = new URL(outlook.dialogs[0]?.url ?? '');
    expect(url.pathname).toBe('/auth/addin/start');
    expect(url.searchParams.get('login_hint')).toBe('Megan.Bowen+x@contoso.test');
  });

  it('sends no login_hint when Outlook does not give the mailbox’s address', async () => {
    const outlook = fakeOutlook({ emailAddress: '' });
    completeSignInDialogs(harness, outlook);
    const ctx = await contextFor(harness, outlook);

    expect((await addMeeting(ctx)).status).toBe('added');

    expect(new URL(outlook.dialogs[0]?.url ?? '').searchParams.has('login_hint')).toBe(false);
  });
});
