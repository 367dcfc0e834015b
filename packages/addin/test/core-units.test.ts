import { describe, expect, it } from 'vitest';
import { runAddMeetingCommand } from '../web/core/add-meeting-command.js';
import { ApiError } from '../web/core/api.js';
import { resolveBaseUrl } from '../web/core/base-url.js';
import { describeError } from '../web/core/context.js';
import { asciiBytes, base64url } from '../web/core/encoding.js';
import { pickLanguage, t } from '../web/core/i18n.js';
import { appendLocation, removeLocationEntry } from '../web/core/location.js';
import { toGraphRecurrence } from '../web/core/recurrence.js';
import { memoryStore, SessionStore } from '../web/core/session.js';
import { SignInError } from '../web/core/sign-in.js';

const series = (start: string, end: string | null) => ({ getStartDate: () => start, getEndDate: () => end });

describe('recurrence', () => {
  it.each([
    [
      { recurrenceType: 'daily', recurrenceProperties: { interval: 3 } },
      { type: 'daily', interval: 3 },
    ],
    [
      { recurrenceType: 'weekday', recurrenceProperties: {} },
      { type: 'weekly', interval: 1, daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] },
    ],
    [
      { recurrenceType: 'monthly', recurrenceProperties: { interval: 1, dayOfMonth: 15 } },
      { type: 'absoluteMonthly', interval: 1, dayOfMonth: 15 },
    ],
    [
      {
        recurrenceType: 'monthly',
        recurrenceProperties: { interval: 2, dayOfWeek: 'tue', weekNumber: 'last' },
      },
      { type: 'relativeMonthly', interval: 2, daysOfWeek: ['tuesday'], index: 'last' },
    ],
    [
      { recurrenceType: 'yearly', recurrenceProperties: { interval: 1, dayOfMonth: 4, month: 'jul' } },
      { type: 'absoluteYearly', interval: 1, dayOfMonth: 4, month: 7 },
    ],
    [
      {
        recurrenceType: 'yearly',
        recurrenceProperties: { interval: 1, dayOfWeek: 'weekendDay', weekNumber: 'first', month: 'mar' },
      },
      { type: 'relativeYearly', interval: 1, daysOfWeek: ['saturday', 'sunday'], index: 'first', month: 3 },
    ],
  ])('maps %o', (office, pattern) => {
    const graph = toGraphRecurrence({ ...office, seriesTime: series('2026-01-05', null) });
    expect(graph).toEqual({ pattern, range: { type: 'noEnd', startDate: '2026-01-05' } });
  });

  it('keeps the end date and time zone, and maps no recurrence to null', () => {
    expect(
      toGraphRecurrence({
        recurrenceType: 'daily',
        recurrenceTimeZone: { name: 'Pacific Standard Time' },
        seriesTime: series('2026-01-05', '2026-02-01'),
      })?.range,
    ).toEqual({
      type: 'endDate',
      startDate: '2026-01-05',
      endDate: '2026-02-01',
      recurrenceTimeZone: 'Pacific Standard Time',
    });
    expect(toGraphRecurrence(null)).toBeNull();
  });
});

describe('location', () => {
  it('appends with "; " and removes exactly the entry it added', () => {
    expect(appendLocation('', 'https://r.test/m/abc')).toBe('https://r.test/m/abc');
    expect(appendLocation('Room 1', 'https://r.test/m/abc')).toBe('Room 1; https://r.test/m/abc');
    expect(appendLocation('Room 1; https://r.test/m/abc', 'https://r.test/m/abc')).toBe(
      'Room 1; https://r.test/m/abc',
    );
    expect(removeLocationEntry('Room 1; https://r.test/m/abc', 'https://r.test/m/abc')).toBe('Room 1');
    expect(removeLocationEntry('https://r.test/m/abc', 'https://r.test/m/abc')).toBe('');
    expect(removeLocationEntry('Room 1', 'https://r.test/m/abc')).toBe('Room 1');
  });

  it('gives the user’s own text back byte for byte', () => {
    const url = 'https://r.test/m/abcdefgh';
    const added = appendLocation('Room A;Room B ', url);
    expect(added).toBe(`Room A;Room B ; ${url}`);
    expect(removeLocationEntry(added, url)).toBe('Room A;Room B ');
    expect(removeLocationEntry(`Room A;  Room B; ${url}; Room C`, url)).toBe('Room A;  Room B; Room C');
    expect(removeLocationEntry(`${url}; Room C`, url)).toBe('Room C');
  });

  it('leaves the location alone when the URL would take it over 255 characters', () => {
    const url = 'https://r.test/m/abcdefgh';
    const fits = 'r'.repeat(255 - url.length - 2);
    expect(appendLocation(fits, url)).toBe(`${fits}; ${url}`);
    expect(appendLocation(`${fits}r`, url)).toBe(`${fits}r`);
  });
});

describe('language', () => {
  it('prefers the user setting, then Outlook’s display language', () => {
    expect(pickLanguage('fr-FR', null)).toBe('fr');
    expect(pickLanguage('fr-CA', undefined)).toBe('fr');
    expect(pickLanguage('en-GB', null)).toBe('en');
    expect(pickLanguage('de-DE', null)).toBe('en');
    expect(pickLanguage('fr-FR', 'en')).toBe('en');
    expect(pickLanguage('en-US', 'fr')).toBe('fr');
  });

  it('has every message in both languages and fills parameters', () => {
    expect(t('fr', 'signedInAs', { name: 'Pierre', upn: 'p@x' })).toBe('Connecté en tant que Pierre (p@x)');
    expect(t('en', 'apiError', { detail: 'boom' })).toBe(
      'Roomlink couldn’t complete this: boom. Nothing was changed.',
    ); // A detail that ends its own sentence is not given a second full stop.
    expect(t('en', 'outlookError', { detail: 'The data is too large.' })).toBe(
      'Outlook couldn’t update the appointment: The data is too large. Nothing was changed.',
    );
    expect(t('fr', 'apiError', { detail: 'Réunion introuvable.' })).toBe(
      'Roomlink n’a pas pu terminer : Réunion introuvable. Rien n’a été modifié.',
    );
    expect(t('en', 'removePartial', { detail: 'The data is too large.' })).toContain(
      '(The data is too large.)',
    );
  });

  it('words every error kind for the user', () => {
    expect(describeError('en', new ApiError('offline', 0, 'x'))).toMatch(/Can’t reach Roomlink/);
    expect(describeError('en', new ApiError('unauthorized', 401, 'x'))).toMatch(/expired/);
    expect(describeError('en', new ApiError('unauthorized', 401, 'x'), false)).toMatch(
      /Open Roomlink options/,
    );
    expect(describeError('en', new SignInError('blocked', 'x'))).toMatch(/blocked/);
    expect(describeError('en', new SignInError('refused', 'tenant not allowed'))).toBe(
      'Sign-in failed: tenant not allowed. Nothing was changed.',
    );
  });

  it('says in the user’s language that Microsoft’s sign-in service cannot be reached, short enough to notify', () => {
    const error = new SignInError('unavailable', 'the server’s words', 'identity_unavailable');
    expect(describeError('en', error)).toBe(
      'Roomlink can’t reach Microsoft’s sign-in service right now. Try again in a few minutes; if it keeps happening, tell your IT administrator.',
    );
    expect(describeError('fr', error)).toBe(
      'Roomlink ne joint pas le service de connexion de Microsoft. Réessayez dans quelques minutes ; si cela persiste, prévenez votre service informatique.',
    );
    // Outlook's notification bar takes 150 characters (notify.ts); the function command shows it there.
    for (const lang of ['en', 'fr'] as const)
      expect(t(lang, 'signInServiceUnavailable').length).toBeLessThanOrEqual(150);
  });
});

describe('session store', () => {
  it('forgets an expired session', async () => {
    const store = memoryStore();
    let now = new Date('2026-01-01T00:00:00Z');
    const sessions = new SessionStore([store], () => now);
    const user = { name: 'A', upn: 'a@x', tenantId: 't', isTenantAdmin: false };
    await sessions.set({ token: 'tok', expiresAt: '2026-01-01T01:00:00Z', user });
    expect((await sessions.get())?.token).toBe('tok');
    now = new Date('2026-01-01T01:00:01Z');
    expect(await sessions.get()).toBeNull();
    expect(store.data.size).toBe(0);
  });

  it('reads from the first store that has the session and writes to all', async () => {
    const a = memoryStore();
    const b = memoryStore();
    const user = { name: 'A', upn: 'a@x', tenantId: 't', isTenantAdmin: false };
    await new SessionStore([b]).set({ token: 'from-b', expiresAt: '2999-01-01T00:00:00Z', user });
    expect((await new SessionStore([a, b]).get())?.token).toBe('from-b');
    await new SessionStore([a, b]).set({ token: 'both', expiresAt: '2999-01-01T00:00:00Z', user });
    expect(a.data.get('roomlink.session')).toContain('both');
    expect(b.data.get('roomlink.session')).toContain('both');
  });
});

describe('base URL and encoding', () => {
  it('uses the served value, else the page address', () => {
    expect(resolveBaseUrl('https://r.example/', undefined)).toBe('https://r.example/');
    expect(resolveBaseUrl('https://r.example/rl', undefined)).toBe('https://r.example/rl/');
    expect(resolveBaseUrl('__ROOMLINK_BASE_URL__', 'https://r.example/x/addin/taskpane.html?a=1')).toBe(
      'https://r.example/x/',
    );
  });

  it('base64url-encodes like RFC 4648 §5 without padding', () => {
    expect(base64url(asciiBytes(''))).toBe('');
    expect(base64url(asciiBytes('f'))).toBe('Zg');
    expect(base64url(asciiBytes('fo'))).toBe('Zm8');
    expect(base64url(asciiBytes('foo'))).toBe('Zm9v');
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    const bytes = new Uint8Array(32).map((_, i) => i * 7);
    expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
  });
});

describe('the Add Roomlink meeting command', () => {
  const run = async (add: () => Promise<never> | Promise<{ status: string }>) => {
    const calls: unknown[][] = [];
    await runAddMeetingCommand({ completed: (...args: unknown[]) => calls.push(args) }, add as never);
    return calls;
  };

  it('tells Outlook the meeting was not added (Outlook mobile shows no notification bar)', async () => {
    const error = new Error('unreachable');
    expect(await run(async () => ({ status: 'failed', message: 'Can’t reach Roomlink.', error }))).toEqual([
      [{ allowEvent: false }],
    ]);
    // The context could not even be made: a failure too, and no rejection left for Outlook.
    expect(await run(() => Promise.reject(error))).toEqual([[{ allowEvent: false }]]);
    // Another meeting's join block in the body: nothing added for this appointment.
    expect(await run(async () => ({ status: 'foreignBlock' }))).toEqual([[{ allowEvent: false }]]);
  });

  it('completes plainly when the meeting is on the item', async () => {
    for (const status of ['added', 'restored', 'already']) {
      expect(await run(async () => ({ status })), status).toEqual([[]]);
    }
  });
});
