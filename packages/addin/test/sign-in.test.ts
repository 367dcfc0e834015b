import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeeting } from '../web/core/add-meeting.js';
import { t } from '../web/core/i18n.js';
import { fakeOutlook, snapshot } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

describe('sign-in dialog messages', () => {
  it('takes a code only from a page on Roomlink’s own origin', async () => {
    const outlook = fakeOutlook();
    const origin = harness.baseUrl.replace(/\/$/, '');
    outlook.onDialog = (dialog) => {
      const challenge = new URL(dialog.url).searchParams.get('challenge') ?? '';
      // A page elsewhere (the dialog was navigated away) hands over a code for another account…
      dialog.message(
        JSON.stringify({
          type: 'roomlink-signin',
          code: harness.stub.issueCode(challenge, 'pierre@contoso.test'),
        }),
        'https://evil.example',
      );
      dialog.message(JSON.stringify({ type: 'roomlink-signin-error', error: 'x' }), 'https://evil.example');
      // …then Roomlink's own callback page answers.
      dialog.message(
        JSON.stringify({ type: 'roomlink-signin', code: harness.stub.issueCode(challenge) }),
        origin,
      );
    };
    const ctx = await contextFor(harness, outlook);

    const result = await addMeeting(ctx);

    expect(result.status).toBe('added');
    expect((await ctx.sessions.get())?.user.upn).toBe('adele@contoso.test');
    expect(harness.stub.requests.filter((r) => r === 'POST /api/v1/session')).toHaveLength(1);
  });

  it('takes a message without an origin (clients without DialogOrigin 1.1)', async () => {
    const outlook = fakeOutlook();
    outlook.onDialog = (dialog) => {
      const challenge = new URL(dialog.url).searchParams.get('challenge') ?? '';
      dialog.message(JSON.stringify({ type: 'roomlink-signin', code: harness.stub.issueCode(challenge) }));
    };
    const ctx = await contextFor(harness, outlook);
    expect((await addMeeting(ctx)).status).toBe('added');
  });

  it('closes a window whose page failed to load, so that the next sign-in can open one', async () => {
    const outlook = fakeOutlook();
    outlook.onDialog = (dialog) => dialog.fail(12002);
    const ctx = await contextFor(harness, outlook);
    const first = await addMeeting(ctx);
    expect(first.status).toBe('failed');
    expect(outlook.dialogs).toHaveLength(1);
    expect(outlook.dialogs[0]?.closed).toBe(true);
    // Nothing was written on the item, and the user can try again.
    expect(outlook.state.body).not.toContain('/m/');
    outlook.onDialog = (dialog) => {
      const challenge = new URL(dialog.url).searchParams.get('challenge') ?? '';
      dialog.message(JSON.stringify({ type: 'roomlink-signin', code: harness.stub.issueCode(challenge) }));
    };
    expect((await addMeeting(ctx)).status).toBe('added');
  });
});

describe('a sign-in Roomlink cannot take to Microsoft', () => {
  // Roomlink's dialog page answers 503 when Microsoft's identity platform cannot be reached, and
  // posts the code with a description in the language the add-in asked for.
  it.each(['en', 'fr'] as const)(
    '%s: says Microsoft’s sign-in service cannot be reached, in the add-in’s words, and changes nothing',
    async (lang) => {
      const outlook = fakeOutlook();
      const origin = harness.baseUrl.replace(/\/$/, '');
      outlook.onDialog = (dialog) => {
        dialog.message(
          JSON.stringify({
            type: 'roomlink-signin-error',
            error: 'identity_unavailable',
            description: 'the server’s words',
          }),
          origin,
        );
      };
      const before = snapshot(outlook.state);
      const ctx = await contextFor(harness, outlook, { lang });

      const result = await addMeeting(ctx);

      if (result.status !== 'failed') throw new Error(result.status);
      expect(result.message).toBe(t(lang, 'signInServiceUnavailable'));
      expect(result.message).not.toContain('the server’s words');
      expect(outlook.dialogs[0]?.closed).toBe(true);
      expect(outlook.state.notifications.get('roomlink')?.message).toBe(result.message);
      expect(snapshot(outlook.state)).toEqual(before);
      expect(await ctx.sessions.get()).toBeNull();
    },
  );

  it('shows any other refusal as the server described it', async () => {
    const outlook = fakeOutlook();
    outlook.onDialog = (dialog) =>
      dialog.message(
        JSON.stringify({
          type: 'roomlink-signin-error',
          error: 'tenant_not_allowed',
          description: 'your organisation is not enabled on this Roomlink',
        }),
      );
    const ctx = await contextFor(harness, outlook);
    const result = await addMeeting(ctx);
    if (result.status !== 'failed') throw new Error(result.status);
    expect(result.message).toBe(
      'Sign-in failed: your organisation is not enabled on this Roomlink. Nothing was changed.',
    );
  });
});

describe('a sign-in window Office cannot open', () => {
  // learn.microsoft.com/office/dev/add-ins/develop/dialog-handle-errors-events: 12009, the user chose
  // not to let the add-in open it; 12011, the browser blocks pop-ups.
  it.each([12009, 12011])('%i: asks the user to allow the window, and changes nothing', async (code) => {
    const outlook = fakeOutlook();
    const ui = outlook.office.context.ui as { displayDialogAsync: unknown };
    ui.displayDialogAsync = (_url: string, _options: unknown, cb: (r: unknown) => void) =>
      queueMicrotask(() =>
        cb({ status: 'failed', value: undefined, error: { name: 'DialogError', message: 'no', code } }),
      );
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook);

    const result = await addMeeting(ctx);

    if (result.status !== 'failed') throw new Error(result.status);
    expect(result.message).toBe(t('en', 'popupBlocked'));
    expect(snapshot(outlook.state)).toEqual(before);
  });
});
