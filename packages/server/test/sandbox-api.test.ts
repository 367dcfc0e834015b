/**
 * The Outlook sandbox's save API as `npm start` serves it (demo mode, real HTTP): a body that is not an
 * appointment is refused with 400 application/problem+json, as the rest of Roomlink refuses bad bodies,
 * and nothing reaches the Graph emulator's calendar; a valid appointment is still saved and updated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { daysFromNow } from './support/meeting-times.js';

// A demo directory user (packages/emulators/src/identity/demo-directory.ts).
const UPN = 'adele@contoso.example';
const PLANNING = daysFromNow(60);
const APPOINTMENT = {
  id: null,
  subject: 'Planning',
  start: PLANNING.start,
  end: PLANNING.end,
  location: '',
  body: '<p>Agenda</p>',
  attendees: [],
  recurrence: null,
  customProperties: null,
};

describe('sandbox save API in the product (demo mode)', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer();
  });
  afterAll(async () => server?.close());

  const save = (method: 'POST' | 'PUT', id: string | null, init: { type?: string; body?: string }) =>
    fetch(
      new URL(
        `sandbox/api/events${id ? `/${encodeURIComponent(id)}` : ''}?user=${encodeURIComponent(UPN)}`,
        server.baseUrl,
      ),
      {
        method,
        headers: init.type ? { 'content-type': init.type } : {},
        ...(init.body === undefined ? {} : { body: init.body }),
      },
    );
  const open = async (id: string) =>
    (await fetch(new URL(`sandbox/api/events/${id}?user=${encodeURIComponent(UPN)}`, server.baseUrl))).json();

  it('saves and updates an appointment, and refuses bodies that are not one with 400 problem+json', async () => {
    const created = await save('POST', null, { type: 'application/json', body: JSON.stringify(APPOINTMENT) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    for (const [method, target] of [
      ['POST', null],
      ['PUT', id],
    ] as const) {
      const cases = [
        { init: { type: 'application/json', body: '' }, code: 'malformed_json', detail: /the body is empty/ },
        { init: {}, code: 'malformed_json', detail: /the body is missing/ },
        ...['null', '[]', '"x"', '42'].map((body) => ({
          init: { type: 'application/json', body },
          code: 'invalid_request',
          detail: /^body must be object/,
        })),
        {
          init: { type: 'application/json', body: '{}' },
          code: 'invalid_request',
          detail: /body must have required property 'subject'/,
        },
        {
          init: { type: 'application/json', body: JSON.stringify({ ...APPOINTMENT, start: 'soon' }) },
          code: 'invalid_request',
          detail: /body\/start must match format "date-time"/,
        },
      ];
      for (const { init, code, detail } of cases) {
        const res = await save(method, target, init);
        const label = `${method} ${JSON.stringify(init)}`;
        expect(res.status, label).toBe(400);
        expect(res.headers.get('content-type'), label).toContain('application/problem+json');
        const problem = (await res.json()) as { status: number; code: string; detail: string };
        expect(problem, label).toMatchObject({ status: 400, code });
        expect(problem.detail, label).toMatch(detail);
      }
    }
    expect(await open(id)).toMatchObject({ id, subject: 'Planning' });

    const updated = await save('PUT', id, {
      type: 'application/json',
      body: JSON.stringify({ ...APPOINTMENT, subject: 'Planning (moved)' }),
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ id });
    expect(await open(id)).toMatchObject({ id, subject: 'Planning (moved)', body: '<p>Agenda</p>' });

    // An appointment Graph refuses is the page's mistake (400 with Graph's reason), not a 500.
    for (const [method, target] of [
      ['POST', null],
      ['PUT', id],
    ] as const) {
      const backwards = await save(method, target, {
        type: 'application/json',
        body: JSON.stringify({ ...APPOINTMENT, end: daysFromNow(60, '07:00', '08:00').end }),
      });
      expect(backwards.status, method).toBe(400);
      expect(backwards.headers.get('content-type'), method).toContain('application/problem+json');
    }
    expect(await open(id)).toMatchObject({ subject: 'Planning (moved)' });
  });
});
