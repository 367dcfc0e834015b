import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeeting } from '../web/core/add-meeting.js';
import { fakeOutlook } from './support/fake-outlook.js';
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
