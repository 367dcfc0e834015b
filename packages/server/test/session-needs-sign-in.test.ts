/**
 * An add-in session whose user Microsoft no longer signs in (refresh refused: the account disabled,
 * its password reset, access revoked) tells its user so and signs out, nothing more: no meeting
 * created, read, changed or deleted, no host link, no settings, until the user signs in again.
 * Over real HTTP against the identity emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { type IdentityTestApp, startIdentityApp } from './support/identity.js';
import { daysFromNow } from './support/meeting-times.js';

const SOON = daysFromNow(7);

describe('an add-in session of a user Microsoft refused', () => {
  let t: IdentityTestApp;
  beforeAll(async () => {
    t = await startIdentityApp('sqlite');
  });
  afterAll(async () => t?.close());

  const call = (token: string, method: string, path: string, body?: unknown) =>
    fetch(`${t.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** Microsoft disables the account: its refresh is refused at the next use, and sync records it. */
  async function refused(upn: string, userId: string): Promise<void> {
    const oid = t.demo
      .emulator()
      .users()
      .find((u) => u.upn === upn)?.oid as string;
    t.demo.emulator().revokeRefreshTokens(oid);
    await t.runtime.store.db
      .updateTable('user_tokens')
      .set({ access_expires_at: new Date(0).toISOString() })
      .where('user_id', '=', userId)
      .execute();
    await expect(t.identity.tokens.getAccessToken(userId)).rejects.toMatchObject({
      code: 'sign_in_required',
    });
  }

  it('may only read why and sign out; signed in again, it works as before', async () => {
    const user = await scriptedSignIn(t.url, 'isaiah@fabrikam.example');
    const made = await call(user.token, 'POST', '/api/v1/meetings', { subject: 'Budget', ...SOON });
    expect(made.status).toBe(201);
    const { id } = (await made.json()) as { id: string };

    await refused('isaiah@fabrikam.example', user.user.id);

    const attempts: [string, string, unknown?][] = [
      ['POST', '/api/v1/meetings', { subject: 'After leaving', ...SOON }],
      ['GET', `/api/v1/meetings/${id}`],
      ['PATCH', `/api/v1/meetings/${id}`, { subject: 'Renamed' }],
      ['POST', `/api/v1/meetings/${id}/host-link`],
      ['DELETE', `/api/v1/meetings/${id}`],
      ['PUT', '/api/v1/me/settings', { addToEveryMeeting: true, language: null }],
    ];
    for (const [method, path, body] of attempts) {
      const response = await call(user.token, method, path, body);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await response.json()).toMatchObject({
        code: 'sign_in_required',
        detail: expect.stringContaining('sign in again'),
      });
    }
    // Nothing was written: one meeting, as it was.
    const meetings = await t.runtime.store.db.selectFrom('meetings').select(['id', 'status']).execute();
    expect(meetings.filter((m) => m.id === id)).toEqual([{ id, status: 'scheduled' }]);
    expect(meetings).toHaveLength(1);

    // The task pane still learns why.
    const me = await call(user.token, 'GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { status: string }).status).toBe('needs_sign_in');

    // Signed in again: the same user, and the API open to them again.
    const again = await scriptedSignIn(t.url, 'isaiah@fabrikam.example');
    expect(again.user.id).toBe(user.user.id);
    expect((await call(again.token, 'GET', `/api/v1/meetings/${id}`)).status).toBe(200);
  });

  it('may sign out', async () => {
    const user = await scriptedSignIn(t.url, 'diego@fabrikam.example');
    await refused('diego@fabrikam.example', user.user.id);
    expect((await call(user.token, 'POST', '/api/v1/session/sign-out')).status).toBe(204);
    expect((await call(user.token, 'GET', '/api/v1/me')).status).toBe(401);
  });
});
