/** The Outlook sandbox's server side: manifest reading, the office.js rewrite, the proxy and saving. */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { addinIdFor } from '../../addin/src/manifest/addin-id.js';
import { generateManifest } from '../../addin/src/manifest/generate.js';
import { fromEvent, type SandboxItem, toEventInput } from '../src/sandbox/item.js';
import { localize, readManifest } from '../src/sandbox/manifest.js';
import { createMemoryCalendar } from '../src/sandbox/memory-calendar.js';
import { rewriteOfficeScript } from '../src/sandbox/office-proxy.js';
import { registerSandbox } from '../src/sandbox/plugin.js';

const BASE = 'https://roomlink.example.org/';
const manifestXml = generateManifest({ baseUrl: BASE, version: '1.0.0' });
const USERS = [{ upn: 'adele@contoso.test', displayName: 'Adele Vance' }];

describe('reading the manifest', () => {
  const addin = readManifest(manifestXml);

  it('takes the ribbon, function file and launch events from VersionOverrides V1_1', () => {
    expect(addin.id).toBe(addinIdFor(BASE));
    expect(addin.versionOverrides).toBe('VersionOverridesV1_1');
    expect(addin.functionFileUrl).toBe(`${BASE}addin/commands.html`);
    expect(addin.buttons.map((b) => [b.id, b.action])).toEqual([
      ['roomlinkAddMeeting', { type: 'ExecuteFunction', functionName: 'addMeeting' }],
      ['roomlinkTaskpane', { type: 'ShowTaskpane', url: `${BASE}addin/taskpane.html` }],
    ]);
    expect(addin.buttons[0]?.iconUrl).toBe(`${BASE}addin/assets/icon-32.png`);
    expect(addin.launchEvents).toEqual([
      { type: 'OnNewAppointmentOrganizer', functionName: 'onNewAppointmentOrganizer', sendMode: null },
      { type: 'OnAppointmentSend', functionName: 'onAppointmentSend', sendMode: 'SoftBlock' },
    ]);
    expect(addin.runtime).toEqual({
      pageUrl: `${BASE}addin/launchevent.html`,
      scriptUrl: `${BASE}addin/launchevent.js`,
    });
  });

  it('localizes by exact locale, then language, then default', () => {
    const label = addin.buttons[0]?.label;
    if (!label) throw new Error('no label');
    expect(localize(label, 'fr-FR')).toBe('Ajouter une réunion Roomlink');
    expect(localize(label, 'fr-CA')).toBe('Ajouter une réunion Roomlink');
    expect(localize(label, 'de-DE')).toBe('Add Roomlink meeting');
  });
});

describe('office.js rewrite', () => {
  it('swaps only the CDN office.js script for the stand-in', () => {
    const html = `<head>
<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>
<script type="text/javascript" src='//appsforoffice.microsoft.com/lib/1/hosted/office.debug.js'></script>
<script type="module" crossorigin src="./js/taskpane-abc.js"></script>
<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.jsx"></script>`;
    expect(rewriteOfficeScript(html, '/sandbox/office.js')).toBe(`<head>
<script src="/sandbox/office.js"></script>
<script type="text/javascript" src='/sandbox/office.js'></script>
<script type="module" crossorigin src="./js/taskpane-abc.js"></script>
<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.jsx"></script>`);
  });
});

describe('the appointment and Graph', () => {
  const item: SandboxItem = {
    id: null,
    subject: 'Review',
    start: '2026-12-01T09:00:00.000Z',
    end: '2026-12-01T09:30:00.000Z',
    location: 'Room 1; https://r.example/m/abcdefgh12',
    locations: [
      { type: 'room', id: 'room-1@contoso.test', displayName: 'Room 1' },
      { type: 'custom', id: 'https://r.example/m/abcdefgh12', displayName: 'https://r.example/m/abcdefgh12' },
    ],
    body: '<div>Agenda</div><!--roomlink:begin id=x--><div>join</div><!--roomlink:end id=x-->',
    attendees: ['pierre@contoso.test'],
    recurrence: {
      recurrenceType: 'weekly',
      interval: 1,
      days: ['tue'],
      startDate: '2026-12-01',
      endDate: null,
      timeZone: 'Romance Standard Time',
    },
    customProperties: { roomlinkMeetingId: 'm-1' },
  };

  it('writes the custom properties as the cecp-<add-in id> extended property, and reads them back', () => {
    const input = toEventInput(item, 'addin-id');
    expect(input.singleValueExtendedProperties).toEqual([
      {
        id: 'String {00020329-0000-0000-C000-000000000046} Name cecp-addin-id',
        value: '{"roomlinkMeetingId":"m-1"}',
      },
    ]);
    expect(input.start).toEqual({ dateTime: '2026-12-01T09:00:00', timeZone: 'UTC' });
    expect(input.recurrence).toEqual({
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] },
      range: { type: 'noEnd', startDate: '2026-12-01', recurrenceTimeZone: 'Romance Standard Time' },
    });
    expect(fromEvent({ ...input, id: 'e1' }, 'addin-id')).toEqual({ ...item, id: 'e1' });
  });

  it('keeps a room a conferenceRoom with its address, beside the custom entries, both ways', () => {
    const input = toEventInput(item, 'addin-id');
    expect(input.location).toEqual({ displayName: 'Room 1; https://r.example/m/abcdefgh12' });
    expect(input.locations).toEqual([
      { displayName: 'Room 1', locationType: 'conferenceRoom', locationEmailAddress: 'room-1@contoso.test' },
      { displayName: 'https://r.example/m/abcdefgh12', locationType: 'default' },
    ]);
    // An item or event with a location line only: the line is one custom entry, as Outlook makes it.
    const { locations: _, ...lineOnly } = item;
    const line = [{ type: 'custom', id: item.location, displayName: item.location }];
    expect(toEventInput(lineOnly, 'a').locations).toEqual([
      { displayName: item.location, locationType: 'default' },
    ]);
    const { locations: __, ...eventLineOnly } = toEventInput(lineOnly, 'a');
    expect(fromEvent({ ...eventLineOnly, id: 'e2' }, 'a').locations).toEqual(line);
    // Graph's nameless entry is none; a room without a name is known by its address.
    const odd = fromEvent(
      {
        ...eventLineOnly,
        id: 'e3',
        locations: [
          { displayName: null, locationType: 'default' },
          { displayName: '', locationType: 'conferenceRoom', locationEmailAddress: 'room-2@contoso.test' },
        ],
      },
      'a',
    );
    expect(odd.locations).toEqual([
      { type: 'room', id: 'room-2@contoso.test', displayName: 'room-2@contoso.test' },
    ]);
  });

  it('writes no extended property before the add-in saved custom properties', () => {
    expect(
      toEventInput({ ...item, customProperties: null }, 'a').singleValueExtendedProperties,
    ).toBeUndefined();
  });
});

/** An appointment as the sandbox page saves it. */
const APPOINTMENT = {
  id: null,
  subject: 'S',
  start: '2026-12-01T09:00:00.000Z',
  end: '2026-12-01T10:00:00.000Z',
  location: '',
  body: 'Hi',
  attendees: [],
  recurrence: null,
};

describe('sandbox routes', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
  });

  async function start(fetchFn: typeof fetch) {
    app = Fastify();
    const calendar = createMemoryCalendar(USERS);
    await registerSandbox(app, { addinBaseUrl: BASE, manifestXml, graph: calendar, fetch: fetchFn });
    return { app, calendar };
  }

  it('proxies only files under the add-in folder, rewriting office.js in pages', async () => {
    const fetched: string[] = [];
    const { app } = await start(async (url) => {
      fetched.push(String(url));
      return new Response(
        '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>',
        {
          headers: { 'content-type': 'text/html; charset=utf-8' },
        },
      );
    });
    const page = await app.inject('/sandbox/addin/taskpane.html?x=1');
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe('<script src="/sandbox/office.js"></script>');
    expect(fetched).toEqual([`${BASE}addin/taskpane.html?x=1`]);
    expect((await app.inject('/sandbox/addin/..%2Fapi%2Fv1%2Fme')).statusCode).toBe(404);
    expect(fetched).toHaveLength(1);
  });

  it('serves the stand-in, the service worker for the whole origin, and a user picker', async () => {
    const { app } = await start(fetch);
    const sw = await app.inject('/sandbox/sw.js');
    expect(sw.headers['service-worker-allowed']).toBe('/');
    expect((await app.inject('/sandbox/office.js')).body).toContain('displayDialogAsync');
    const picker = await app.inject('/sandbox/');
    expect(picker.body).toContain('href="/sandbox/?user=adele%40contoso.test"');
    const form = await app.inject('/sandbox/?user=ADELE@contoso.test&lang=fr-FR');
    const config = JSON.parse(
      /<script id="sandbox-config" type="application\/json">(.*?)<\/script>/s.exec(form.body)?.[1] ?? '{}',
    );
    expect(config).toMatchObject({
      prefix: '/sandbox',
      displayLanguage: 'fr-FR',
      user: { upn: 'adele@contoso.test' },
      addin: { functionFileUrl: '/sandbox/addin/commands.html' },
    });
  });

  it('saves an appointment to the calendar and opens it again', async () => {
    const { app, calendar } = await start(fetch);
    const created = await app.inject({
      method: 'POST',
      url: '/sandbox/api/events?user=adele@contoso.test',
      payload: { ...APPOINTMENT, customProperties: { k: 'v' } },
    });
    const { id } = created.json() as { id: string };
    expect(calendar.events.get('adele@contoso.test')?.get(id)?.subject).toBe('S');
    const opened = (await app.inject(`/sandbox/api/events/${id}?user=adele@contoso.test`)).json();
    expect(opened).toMatchObject({ id, subject: 'S', body: 'Hi', customProperties: { k: 'v' } });
    expect((await app.inject(`/sandbox/api/events/${id}?user=nobody@contoso.test`)).statusCode).toBe(404);
  });

  it('refuses a save whose body is missing or not an appointment, and saves nothing', async () => {
    const { app, calendar } = await start(fetch);
    const valid = { ...APPOINTMENT, customProperties: null };
    const created = await app.inject({
      method: 'POST',
      url: '/sandbox/api/events?user=adele@contoso.test',
      payload: valid,
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json() as { id: string };
    const json = { 'content-type': 'application/json' };
    const refused = [
      { headers: {}, payload: undefined },
      { headers: json, payload: '' },
      ...['null', '[]', '"x"', '42', '{}'].map((payload) => ({ headers: json, payload })),
      { headers: json, payload: JSON.stringify({ ...valid, attendees: { to: 'pierre@contoso.test' } }) },
      { headers: json, payload: JSON.stringify({ ...valid, start: 'soon' }) },
      { headers: json, payload: JSON.stringify({ ...valid, recurrence: { recurrenceType: 'weekly' } }) },
    ];
    for (const method of ['POST', 'PUT'] as const) {
      for (const { headers, payload } of refused) {
        const res = await app.inject({
          method,
          url:
            method === 'POST'
              ? '/sandbox/api/events?user=adele@contoso.test'
              : `/sandbox/api/events/${id}?user=adele@contoso.test`,
          headers,
          ...(payload === undefined ? {} : { payload }),
        });
        expect(res.statusCode, `${method} ${payload}`).toBe(400);
      }
    }
    expect([...(calendar.events.get('adele@contoso.test')?.values() ?? [])]).toHaveLength(1);
    expect(calendar.events.get('adele@contoso.test')?.get(id)?.subject).toBe('S');
    const updated = await app.inject({
      method: 'PUT',
      url: `/sandbox/api/events/${id}?user=adele@contoso.test`,
      payload: { ...valid, subject: 'T' },
    });
    expect(updated.json()).toEqual({ id });
    expect(calendar.events.get('adele@contoso.test')?.get(id)?.subject).toBe('T');
    const missing = await app.inject({
      method: 'PUT',
      url: '/sandbox/api/events/no-such-event?user=adele@contoso.test',
      payload: valid,
    });
    expect(missing.statusCode).toBe(404);
    expect(calendar.events.get('adele@contoso.test')?.size).toBe(1);
  });
});
