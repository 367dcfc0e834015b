/** "Join as host" in the task pane: the API call, how the link is opened, and the whole flow on the stub API. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addMeeting } from '../web/core/add-meeting.js';
import { ApiError, type FetchLike, RoomlinkApi } from '../web/core/api.js';
import { describeError } from '../web/core/context.js';
import {
  chooseOpener,
  inLanguage,
  joinAsHost,
  openInBrowser,
  type WindowLike,
} from '../web/core/host-link.js';
import type { OfficeLike } from '../web/core/office.js';
import { memoryStore, SessionStore } from '../web/core/session.js';
import { fakeOutlook } from './support/fake-outlook.js';
import { completeSignInDialogs, contextFor, type Harness, startStub } from './support/harness.js';

const BASE = 'https://roomlink.example/';
const LINK = { url: `${BASE}m/abcdefgh#host=v1.k1.xyz`, expiresAt: '2026-12-01T09:15:00.000Z' };

interface SentRequest {
  readonly url: string;
  readonly init: Parameters<FetchLike>[1];
}

/** An API client whose fetch records what it was asked and answers `status` with `body`. */
function apiAnswering(status: number, body: unknown, sent: SentRequest[]): RoomlinkApi {
  return new RoomlinkApi({
    baseUrl: BASE,
    getToken: async () => 'session-token',
    fetch: async (url, init) => {
      sent.push({ url, init });
      return {
        ok: status >= 200 && status < 300,
        status,
        headers: { get: () => null },
        json: async () => body,
        text: async () => JSON.stringify(body),
      };
    },
  });
}

/** Office.js as far as opening a window goes: `openBrowserWindow` only where the requirement set says so. */
function officeWith(options: { openBrowserWindowApi: boolean; openBrowserWindow?: (url: string) => void }) {
  const isSetSupported = vi.fn(
    (name: string, version?: string) =>
      options.openBrowserWindowApi && name === 'OpenBrowserWindowApi' && version === '1.1',
  );
  const office = {
    context: {
      mailbox: { item: null },
      requirements: { isSetSupported },
      ui: {
        displayDialogAsync: () => undefined,
        ...(options.openBrowserWindow ? { openBrowserWindow: options.openBrowserWindow } : {}),
      },
    },
  } satisfies OfficeLike;
  return { office, isSetSupported };
}

/** window.open as a popup blocker leaves it (null) or as a browser that opened the window. */
function windowOpener(result: 'opens' | 'blocked') {
  const opened: WindowLike[] = [];
  const open = vi.fn((_url: string) => {
    if (result === 'blocked') return null;
    const window: WindowLike = { opener: { pane: true } };
    opened.push(window);
    return window;
  });
  return { open, opened };
}

describe('the host-link API call', () => {
  it('POSTs with the session’s bearer token and no body, to the meeting’s host-link path', async () => {
    const sent: SentRequest[] = [];
    const link = await apiAnswering(201, LINK, sent).createHostLink('m 1/2');
    expect(link).toEqual(LINK);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(`${BASE}api/v1/meetings/m%201%2F2/host-link`);
    expect(sent[0]?.init?.method).toBe('POST');
    expect(sent[0]?.init?.headers).toEqual({
      accept: 'application/json',
      authorization: 'Bearer session-token',
    });
    // No body, so no Content-Type either (the server accepts both that and `{}`).
    expect(sent[0]?.init).not.toHaveProperty('body');
  });

  it('sends the item’s key, like the other calls about an existing meeting', async () => {
    const sent: SentRequest[] = [];
    await apiAnswering(201, LINK, sent).createHostLink('m1', 'item-key-123');
    expect(sent[0]?.init?.headers).toMatchObject({ 'Roomlink-Item-Key': 'item-key-123' });
  });

  it('turns problem+json answers into ApiError (409 meeting cancelled, 401 session)', async () => {
    const cancelled = {
      type: 'https://roomlink.dev/problems/meeting-cancelled',
      title: 'The meeting was cancelled',
      status: 409,
      code: 'meeting_cancelled',
      detail: 'the meeting was cancelled; it has no room to join',
    };
    const refused = apiAnswering(409, cancelled, []).createHostLink('m1');
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ kind: 'http', status: 409, code: 'meeting_cancelled' });
    const expired = apiAnswering(401, { code: 'unauthorized', detail: 'sign in again' }, []).createHostLink(
      'm1',
    );
    await expect(expired).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
  });
});

describe('the host link’s language', () => {
  it('sets ?lang and keeps the rest of the address and the ticket in the fragment as they were', () => {
    expect(inLanguage(LINK.url, 'fr')).toBe(`${BASE}m/abcdefgh?lang=fr#host=v1.k1.xyz`);
    expect(inLanguage(`${BASE}m/abcdefgh?lang=en&x=1#host=v1.k1.xyz`, 'fr')).toBe(
      `${BASE}m/abcdefgh?lang=fr&x=1#host=v1.k1.xyz`,
    );
  });
});

describe('opening the host link', () => {
  it('uses Office’s browser window where OpenBrowserWindowApi 1.1 is supported, window.open elsewhere', () => {
    const supported = officeWith({ openBrowserWindowApi: true, openBrowserWindow: () => undefined });
    expect(chooseOpener(supported.office)).toBe('office');
    expect(supported.isSetSupported).toHaveBeenCalledWith('OpenBrowserWindowApi', '1.1');
    // Outlook on the web and new Outlook do not support the set, whatever the object holds.
    expect(
      chooseOpener(officeWith({ openBrowserWindowApi: false, openBrowserWindow: () => undefined }).office),
    ).toBe('window');
    // The set claimed but the method missing (a stand-in such as the sandbox's): window.open.
    expect(chooseOpener(officeWith({ openBrowserWindowApi: true }).office)).toBe('window');
    expect(chooseOpener(fakeOutlook().office)).toBe('window');
  });

  it('opens through Office without touching window.open', () => {
    const openBrowserWindow = vi.fn();
    const { open } = windowOpener('opens');
    const { office } = officeWith({ openBrowserWindowApi: true, openBrowserWindow });
    expect(openInBrowser(LINK.url, office, open)).toBe(true);
    expect(openBrowserWindow).toHaveBeenCalledWith(LINK.url);
    expect(open).not.toHaveBeenCalled();
  });

  it('falls back to window.open when Office throws', () => {
    const { office } = officeWith({
      openBrowserWindowApi: true,
      openBrowserWindow: () => {
        throw new Error('not available here');
      },
    });
    const { open } = windowOpener('opens');
    expect(openInBrowser(LINK.url, office, open)).toBe(true);
    expect(open).toHaveBeenCalledWith(LINK.url);
  });

  it('with window.open: cuts the new window’s opener, and says when a popup blocker stopped it', () => {
    const { office } = officeWith({ openBrowserWindowApi: false });
    const opens = windowOpener('opens');
    expect(openInBrowser(LINK.url, office, opens.open)).toBe(true);
    expect(opens.opened[0]?.opener).toBeNull();

    expect(openInBrowser(LINK.url, office, windowOpener('blocked').open)).toBe(false);
    const throwing = () => {
      throw new Error('webview refuses');
    };
    expect(openInBrowser(LINK.url, office, throwing)).toBe(false);
  });
});

describe('join as host, on the stub API', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startStub();
  });
  afterEach(async () => {
    await harness.close();
  });

  async function addedMeeting(options: { signedIn: boolean } = { signedIn: true }) {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: 'adele@contoso.test' });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    if (!options.signedIn) await ctx.sessions.clear();
    const item = {
      meetingId: added.meeting.id,
      itemKey: String(outlook.state.customProperties.roomlinkIdempotencyKey),
    };
    return { ctx, outlook, item, joinUrl: added.meeting.joinUrl };
  }

  it('gets a fresh link for the item’s meeting and opens <join URL>?lang=<pane language>#host=<ticket>', async () => {
    const { ctx, item, joinUrl } = await addedMeeting();
    const { open } = windowOpener('opens');
    expect(await joinAsHost(ctx, item, open)).toEqual({ status: 'opened' });
    expect(open).toHaveBeenCalledTimes(1);
    const url = String(open.mock.calls[0]?.[0]);
    expect(url.startsWith(`${joinUrl}?lang=en#host=`)).toBe(true);
    expect(url.slice(`${joinUrl}?lang=en#host=`.length)).toMatch(/^[A-Za-z0-9._-]{1,256}$/);
    expect(harness.stub.requests.filter((r) => r.endsWith('/host-link'))).toEqual([
      `POST /api/v1/meetings/${item.meetingId}/host-link`,
    ]);
    // Nothing about the link was kept in the add-in's storage.
    expect([...ctx.store.data.values()].join(' ')).not.toContain('#host=');
  });

  it('opens the join page in the pane’s language: a French pane gets ?lang=fr, in the link shown too', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: 'adele@contoso.test', lang: 'fr' });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    const item = { meetingId: added.meeting.id, itemKey: null };
    const { open } = windowOpener('opens');
    await joinAsHost(ctx, item, open);
    expect(String(open.mock.calls[0]?.[0]).startsWith(`${added.meeting.joinUrl}?lang=fr#host=`)).toBe(true);
    const shown = await joinAsHost(ctx, item, windowOpener('blocked').open);
    if (shown.status !== 'not-opened') throw new Error(shown.status);
    expect(shown.link.url.startsWith(`${added.meeting.joinUrl}?lang=fr#host=`)).toBe(true);
  });

  it('hands the link back to show when no window could be opened', async () => {
    const { ctx, item, joinUrl } = await addedMeeting();
    const result = await joinAsHost(ctx, item, windowOpener('blocked').open);
    if (result.status !== 'not-opened') throw new Error(result.status);
    expect(result.link.url.startsWith(`${joinUrl}?lang=en#host=`)).toBe(true);
    expect(Number.isNaN(Date.parse(result.link.expiresAt))).toBe(false);
  });

  it('a cancelled meeting: refused (409), worded like the pane’s other API errors, nothing opened', async () => {
    const { ctx, item } = await addedMeeting();
    const meeting = harness.stub.meetings.get(item.meetingId);
    if (!meeting) throw new Error('no stub meeting');
    meeting.status = 'cancelled';
    const { open } = windowOpener('opens');
    const error = await joinAsHost(ctx, item, open).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'http', status: 409 });
    expect(describeError('en', error)).toBe(
      'Roomlink couldn’t complete this: the meeting was cancelled; it has no room to join. Nothing was changed.',
    );
    expect(open).not.toHaveBeenCalled();
  });

  it('signs in first when the session is gone, then opens the link', async () => {
    const { ctx, outlook, item } = await addedMeeting({ signedIn: false });
    completeSignInDialogs(harness, outlook);
    const { open } = windowOpener('opens');
    expect(await joinAsHost(ctx, item, open)).toEqual({ status: 'opened' });
    expect(outlook.dialogs).toHaveLength(1);
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('opens nothing but a web address', async () => {
    const sessions = new SessionStore([memoryStore()]);
    await sessions.set(harness.stub.createSession('adele@contoso.test'));
    const api = apiAnswering(201, { url: 'javascript:alert(1)', expiresAt: LINK.expiresAt }, []);
    const ctx = {
      office: fakeOutlook().office,
      api,
      sessions,
      lang: 'en' as const,
      randomBytes: () => new Uint8Array(),
    };
    const { open } = windowOpener('opens');
    await expect(joinAsHost(ctx, { meetingId: 'm1', itemKey: null }, open)).rejects.toThrow(
      /usable host link/,
    );
    expect(open).not.toHaveBeenCalled();
  });
});
