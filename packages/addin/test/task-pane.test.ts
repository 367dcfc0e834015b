/** What the task pane shows about the account and the meeting (core/pane-view.ts, rendered by taskpane.ts). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeeting } from '../web/core/add-meeting.js';
import type { Me } from '../web/core/api.js';
import { ApiError } from '../web/core/api.js';
import { describeError } from '../web/core/context.js';
import {
  accountNotices,
  hostLinkFallbackView,
  hostPinView,
  joinAsHostView,
  joinLinkView,
  mailboxAddress,
  optionsView,
} from '../web/core/pane-view.js';
import { fakeOutlook } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

async function meFor(mailbox: string): Promise<{ me: Me; mailbox: string | null }> {
  const outlook = fakeOutlook({ emailAddress: mailbox });
  const ctx = await contextFor(harness, outlook, { signedInAs: USER });
  return { me: await ctx.api.me(), mailbox: mailboxAddress(ctx.office) };
}

describe('task pane: host PIN', () => {
  it('shows the organizer the meeting’s host PIN, with what it is for, in English and French', async () => {
    const ctx = await contextFor(harness, fakeOutlook(), { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    const meeting = await ctx.api.getMeeting(added.meeting.id, 'en');

    expect(hostPinView('en', meeting)).toEqual({
      label: 'Your host PIN (keep it to yourself):',
      pin: '000000',
      help: 'Enter it on the join page to join as host and let guests in from the lobby.',
    });
    const fr = hostPinView('fr', meeting);
    expect(fr?.pin).toBe('000000');
    expect(fr?.label).toContain('code PIN organisateur');
    expect(fr?.help).toContain('salle d’attente');
  });

  it('shows nothing when the meeting could not be read or has no host PIN', () => {
    expect(hostPinView('en', null)).toBeNull();
    expect(hostPinView('en', { hostPin: undefined })).toBeNull();
  });
});

describe('task pane: join link', () => {
  it('shows the item’s join link only when it is a web address', () => {
    expect(joinLinkView('https://roomlink.example.com/m/abc')).toBe('https://roomlink.example.com/m/abc');
    expect(joinLinkView('HTTP://localhost:3000/m/abc')).toBe('HTTP://localhost:3000/m/abc');
    // The item's custom properties are what the pane reads: whatever they hold never becomes a script.
    for (const url of [
      'javascript:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<b>x</b>',
      '//evil.example',
      '',
    ]) {
      expect(joinLinkView(url)).toBeNull();
    }
    expect(joinLinkView(null)).toBeNull();
  });
});

describe('task pane: join as host', () => {
  it('offers "Join as host" for a scheduled meeting Roomlink knows, in English and French', async () => {
    const ctx = await contextFor(harness, fakeOutlook(), { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    const meeting = await ctx.api.getMeeting(added.meeting.id, 'en');

    expect(joinAsHostView('en', meeting)).toEqual({ label: 'Join as host', meetingId: added.meeting.id });
    expect(joinAsHostView('fr', meeting)?.label).toBe('Rejoindre en tant qu’organisateur');
  });

  it('offers nothing for a cancelled meeting or one that could not be read', () => {
    expect(joinAsHostView('en', { id: 'm1', status: 'cancelled' })).toBeNull();
    expect(joinAsHostView('en', { status: 'scheduled' })).toBeNull();
    expect(joinAsHostView('en', null)).toBeNull();
  });

  it('shows the link to click when no window opened, saying it is single use, short-lived and not to share', () => {
    const link = { url: 'https://r.example/m/abc#host=v1.k1.t', expiresAt: '2026-12-01T09:15:00.000Z' };
    expect(hostLinkFallbackView('en', link, 'UTC')).toEqual({
      text: 'Your browser didn’t open the meeting. Use this link to join as host:',
      url: link.url,
      label: 'Join as host',
      help: 'It works once, until 09:15 AM. Don’t share it: anyone who opens it joins as host. You can get a new one here at any time.',
    });
    const fr = hostLinkFallbackView('fr', link, 'Europe/Paris');
    expect(fr.text).toBe(
      'Votre navigateur n’a pas ouvert la réunion. Rejoignez-la en tant qu’organisateur avec ce lien :',
    );
    expect(fr.help).toMatch(/^Il ne sert qu’une fois, jusqu’à 10:15\. Ne le partagez pas/);
    // An expiry it cannot read still gets a true sentence.
    expect(hostLinkFallbackView('en', { ...link, expiresAt: 'soon' }).help).toMatch(
      /^It works once, within 15 minutes\. /,
    );
  });
});

describe('task pane: account notices', () => {
  it('warns when the Roomlink account is not the mailbox’s, in English and French', async () => {
    const { me, mailbox } = await meFor('diego@fabrikam.test');
    expect(accountNotices('en', me, mailbox)).toEqual([
      {
        id: 'other-account',
        text: 'You are signed in to Roomlink as adele@contoso.test, but this mailbox is diego@fabrikam.test: meetings you add will be Adele Vance’s and won’t follow this calendar. Sign out and sign in as diego@fabrikam.test.',
        signIn: null,
      },
    ]);
    expect(accountNotices('fr', me, mailbox)[0]?.text).toContain(
      'mais cette boîte aux lettres est celle de diego@fabrikam.test',
    );
  });

  it('says nothing when the account is the mailbox’s, whatever the case, or when Outlook does not say', async () => {
    const { me, mailbox } = await meFor('Adele@Contoso.TEST');
    expect(accountNotices('en', me, mailbox)).toEqual([]);
    expect(accountNotices('en', me, null)).toEqual([]);
  });

  it('needs_sign_in: says calendar access was lost (not that the session expired), and offers sign-in', async () => {
    const { me, mailbox } = await meFor(USER);
    const needs = { ...me, status: 'needs_sign_in', claims: null };
    expect(accountNotices('en', needs, mailbox)).toEqual([
      {
        id: 'needs-sign-in',
        text: 'Roomlink can no longer follow your calendar (Microsoft asks you to sign in again). Sign in again so that your meetings keep up with your appointments.',
        signIn: { claims: null },
      },
    ]);
    expect(accountNotices('fr', needs, mailbox)[0]?.text).toBe(
      'Roomlink ne peut plus suivre votre calendrier (Microsoft demande une nouvelle connexion). Reconnectez-vous pour que vos réunions suivent vos rendez-vous.',
    );
    // A Conditional Access challenge keeps its own words and passes its claims on.
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    expect(accountNotices('en', { ...needs, claims }, mailbox)).toEqual([
      { id: 'needs-sign-in', text: expect.stringContaining('Conditional Access'), signIn: { claims } },
    ]);
    // A session the server refuses (401) is what "expired" is for.
    expect(describeError('en', new ApiError('unauthorized', 401, 'x'))).toBe(
      'Your Roomlink session has expired. Sign in again.',
    );
  });
});

describe('task pane: meeting options', () => {
  it('can be changed before a meeting is added and for a meeting the item names, not for a block alone', () => {
    expect(optionsView('en', { meetingId: null, hasBlock: false })).toEqual({ editable: true, note: null });
    expect(optionsView('en', { meetingId: 'm-1', hasBlock: true })).toEqual({ editable: true, note: null });
    // Outlook dropped the custom properties: a change would reach no meeting, so the pane says why.
    const blockAlone = optionsView('en', { meetingId: null, hasBlock: true });
    expect(blockAlone.editable).toBe(false);
    expect(blockAlone.note).toContain('options can’t be changed here');
    expect(optionsView('fr', { meetingId: null, hasBlock: true }).note).toContain(
      'ses options ne peuvent pas être modifiées ici',
    );
  });
});
