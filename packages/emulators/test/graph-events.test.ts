import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customPropertiesId, registerGraphEmulator } from '../src/graph/index.js';
import {
  ALICE,
  BOB,
  type GraphHarness,
  meeting,
  startGraphHarness,
  TENANT_ID,
} from './support/graph-harness.js';

const ADDIN_ID = '6a1f4a3e-1b2c-4d5e-8f90-a1b2c3d4e5f6';

describe('Graph emulator: events', () => {
  let h: GraphHarness;

  beforeEach(async () => {
    h = await startGraphHarness();
    h.emulator.upsertUser({ oid: ALICE, displayName: 'Alice Organizer', mail: 'alice@contoso.test' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('creates, reads, updates and deletes an event over HTTP', async () => {
    const created = await h.graph('/me/events', {
      method: 'POST',
      json: {
        ...meeting('Budget review', '2025-03-04T09:00:00'),
        body: { contentType: 'html', content: '<p>Agenda</p>' },
      },
    });
    expect(created.status).toBe(201);
    const event = (await created.json()) as Record<string, unknown>;
    expect(event).toMatchObject({
      subject: 'Budget review',
      type: 'singleInstance',
      isCancelled: false,
      isOrganizer: true,
      seriesMasterId: null,
      recurrence: null,
      bodyPreview: 'Agenda',
      organizer: { emailAddress: { name: 'Alice Organizer', address: 'alice@contoso.test' } },
    });
    expect(event['@odata.etag']).toBe(`W/"${event.changeKey}"`);
    expect(event['@odata.context']).toBe(`${h.baseUrl}/v1.0/$metadata#users('${ALICE}')/events/$entity`);
    expect(event.iCalUId).toMatch(/^040000008200E00074C5B7101A82E008/);
    const id = event.id as string;

    const read = (await (await h.graph(`/me/events/${id}`)).json()) as Record<string, unknown>;
    expect(read.start).toEqual({ dateTime: '2025-03-04T09:00:00.0000000', timeZone: 'UTC' });

    h.clock.advance(60_000);
    const patched = await h.graph(`/me/events/${id}`, {
      method: 'PATCH',
      json: { subject: 'Budget review (moved)' },
    });
    expect(patched.status).toBe(200);
    const updated = (await patched.json()) as Record<string, unknown>;
    expect(updated.subject).toBe('Budget review (moved)');
    expect(updated.changeKey).not.toBe(event.changeKey);
    expect(Date.parse(updated.lastModifiedDateTime as string)).toBeGreaterThan(
      Date.parse(event.lastModifiedDateTime as string),
    );

    // A delete moves the item to Deleted Items: its immutable id still finds it, the calendar does not.
    expect((await h.graph(`/me/events/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.graph(`/me/events/${id}`)).status).toBe(200);
    const day = await h.graph(
      '/me/calendarView?startDateTime=2025-03-04T00:00:00Z&endDateTime=2025-03-05T00:00:00Z',
    );
    expect(((await day.json()) as { value: unknown[] }).value).toEqual([]);
    // Deleting it from Deleted Items purges it.
    expect((await h.graph(`/me/events/${id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await h.graph(`/me/events/${id}`);
    expect(gone.status).toBe(404);
    const error = (await gone.json()) as { error: { code: string; innerError: Record<string, string> } };
    expect(error.error.code).toBe('ErrorItemNotFound');
    expect(error.error.innerError['request-id']).toBe(gone.headers.get('request-id'));
  });

  it('answers events created by the control API, paged with @odata.nextLink, and honours $select', async () => {
    for (let i = 0; i < 12; i++)
      h.emulator.createEvent(ALICE, meeting(`M${i}`, `2025-03-${10 + i}T10:00:00`));
    const first = (await (await h.graph('/me/events?$select=subject,start')).json()) as Record<
      string,
      unknown
    >;
    const value = first.value as Record<string, unknown>[];
    expect(value).toHaveLength(10);
    expect(Object.keys(value[0] as object).sort()).toEqual(['@odata.etag', 'id', 'start', 'subject']);
    expect(first['@odata.nextLink']).toBe(`${h.baseUrl}/v1.0/me/events?$select=subject,start&$skip=10`);
    const second = (await (await h.graph(first['@odata.nextLink'] as string)).json()) as Record<
      string,
      unknown
    >;
    expect((second.value as unknown[]).length).toBe(2);
    expect(second['@odata.nextLink']).toBeUndefined();

    const unknown = await h.graph('/me/events?$select=nonsense');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      'RequestBroker--ParseUri',
    );
  });

  it('exposes add-in custom properties as the cecp extended property, with $expand and $filter', async () => {
    const tagged = h.emulator.createEvent(ALICE, meeting('Roomlink meeting', '2025-03-05T09:00:00'));
    h.emulator.createEvent(ALICE, meeting('Plain meeting', '2025-03-05T11:00:00'));
    h.emulator.setCustomProperties(ALICE, tagged.id, ADDIN_ID, { roomlinkMeetingId: 'm-123' });
    const propertyId = `String {00020329-0000-0000-C000-000000000046} Name cecp-${ADDIN_ID}`;
    expect(customPropertiesId(ADDIN_ID).toLowerCase()).toBe(propertyId.toLowerCase());

    const expand = encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${propertyId}')`);
    const one = (await (await h.graph(`/me/events/${tagged.id}?$expand=${expand}`)).json()) as Record<
      string,
      unknown
    >;
    const properties = one.singleValueExtendedProperties as { id: string; value: string }[];
    expect(properties).toHaveLength(1);
    expect(properties[0]?.id.toLowerCase()).toBe(propertyId.toLowerCase());
    expect(JSON.parse(properties[0]?.value ?? '')).toEqual({ roomlinkMeetingId: 'm-123' });

    const filter = encodeURIComponent(
      `singleValueExtendedProperties/Any(ep: ep/id eq '${propertyId}' and ep/value ne null)`,
    );
    const filtered = (await (await h.graph(`/me/events?$filter=${filter}&$expand=${expand}`)).json()) as {
      value: { subject: string }[];
    };
    expect(filtered.value.map((e) => e.subject)).toEqual(['Roomlink meeting']);

    // Written over HTTP too, as a Graph client with Calendars.ReadWrite could.
    const otherId = customPropertiesId('another-addin');
    const patched = await h.graph(`/me/events/${tagged.id}`, {
      method: 'PATCH',
      json: { singleValueExtendedProperties: [{ id: otherId, value: '{"a":1}' }] },
    });
    expect(patched.status).toBe(200);
    const all = (await (
      await h.graph(`/me/events/${tagged.id}?$expand=singleValueExtendedProperties`)
    ).json()) as {
      singleValueExtendedProperties: unknown[];
    };
    expect(all.singleValueExtendedProperties).toHaveLength(2);

    const bad = await h.graph(`/me/events/${tagged.id}`, {
      method: 'PATCH',
      json: { singleValueExtendedProperties: [{ id: 'Nonsense', value: 'x' }] },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(
      'ErrorInvalidExtendedProperty',
    );
  });

  it('honours Prefer outlook.timezone and IdType="ImmutableId" and says so in Preference-Applied', async () => {
    const created = h.emulator.createEvent(
      ALICE,
      meeting('Standup', '2025-07-01T09:00:00', 15, 'W. Europe Standard Time'),
    );
    const utc = (await (await h.graph(`/me/events/${created.id}`)).json()) as Record<string, unknown>;
    expect(utc.start).toEqual({ dateTime: '2025-07-01T07:00:00.0000000', timeZone: 'UTC' });
    expect(utc.originalStartTimeZone).toBe('W. Europe Standard Time');

    const response = await h.graph(`/me/events/${created.id}`, {
      headers: { prefer: 'outlook.timezone="Pacific Standard Time", IdType="ImmutableId"' },
    });
    expect(response.headers.get('preference-applied')).toBe(
      'outlook.timezone="Pacific Standard Time", IdType="ImmutableId"',
    );
    const pacific = (await response.json()) as Record<string, unknown>;
    expect(pacific.start).toEqual({
      dateTime: '2025-07-01T00:00:00.0000000',
      timeZone: 'Pacific Standard Time',
    });
    expect(pacific.id).not.toBe(created.id);
    expect(pacific.id).toMatch(/^AAkAL/);
    // Either id format addresses the same event.
    const again = (await (await h.graph(`/me/events/${pacific.id as string}`)).json()) as Record<
      string,
      unknown
    >;
    expect(again.id).toBe(created.id);

    const utcPreferred = await h.graph(`/me/events/${created.id}`, {
      headers: { prefer: 'outlook.timezone="UTC"' },
    });
    expect(utcPreferred.headers.get('preference-applied')).toBe('outlook.timezone="UTC"');
    expect(((await utcPreferred.json()) as Record<string, unknown>).start).toEqual({
      dateTime: '2025-07-01T07:00:00.0000000',
      timeZone: 'UTC',
    });
  });

  it('rejects missing and invalid tokens with InvalidAuthenticationToken and a Bearer challenge', async () => {
    const none = await h.graph('/me/events', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="", authorization_uri="[^"]+", client_id="00000003-0000-0000-c000-000000000000"$/,
    );
    const body = (await none.json()) as {
      error: { code: string; message: string; innerError: Record<string, string> };
    };
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.message).toBe('Access token is empty.');
    expect(Object.keys(body.error.innerError).sort()).toEqual(['client-request-id', 'date', 'request-id']);

    const shortLived = await h.token({ lifetimeSeconds: 60 });
    h.clock.advance(120_000);
    const expired = await h.graph('/me/events', { token: shortLived });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toBe(
      'Lifetime validation failed, the token is expired.',
    );

    const wrongAudience = await h.graph('/me/events', {
      token: await h.token({ audience: 'api://someone-else' }),
    });
    expect(wrongAudience.status).toBe(401);
  });

  it('enforces delegated scopes and the signed-in user', async () => {
    const noCalendar = await h.token({ scp: 'User.Read openid profile' });
    const denied = await h.graph('/me/events', { token: noCalendar });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('ErrorAccessDenied');

    const readOnly = await h.token({ scp: 'Calendars.Read' });
    expect((await h.graph('/me/events', { token: readOnly })).status).toBe(200);
    const write = await h.graph('/me/events', {
      token: readOnly,
      method: 'POST',
      json: meeting('x', '2025-03-04T09:00:00'),
    });
    expect(write.status).toBe(403);

    expect((await h.graph(`/users/${ALICE}/events`)).status).toBe(200);
    expect((await h.graph('/users/alice@contoso.test/events')).status).toBe(200);
    const other = await h.graph(`/users/${BOB}/events`);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('ErrorAccessDenied');

    // Each user sees only their own mailbox.
    h.emulator.createEvent(BOB, meeting('Bob only', '2025-03-04T09:00:00'));
    const bobToken = await h.token({ oid: BOB, tid: TENANT_ID });
    const bobs = (await (await h.graph('/me/events', { token: bobToken })).json()) as { value: unknown[] };
    const alices = (await (await h.graph('/me/events')).json()) as { value: unknown[] };
    expect(bobs.value).toHaveLength(1);
    expect(alices.value).toHaveLength(0);
  });

  it('answers Graph errors for malformed ids, bodies and unknown segments', async () => {
    const malformed = await h.graph('/me/events/not-an-id');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe(
      'ErrorInvalidIdMalformed',
    );

    const badJson = await h.graph('/me/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"subject":',
    });
    expect(badJson.status).toBe(400);

    const badZone = await h.graph('/me/events', {
      method: 'POST',
      json: meeting('x', '2025-03-04T09:00:00', 30, 'Mars Standard Time'),
    });
    expect(badZone.status).toBe(400);
    expect(((await badZone.json()) as { error: { code: string } }).error.code).toBe(
      'TimeZoneNotSupportedException',
    );
    // A UTC offset is no zone name (Temporal, and Intl from Node 22, would read one).
    const offsetZone = await h.graph('/me/events', {
      method: 'POST',
      json: meeting('x', '2025-03-04T09:00:00', 30, '+05:00'),
    });
    expect(offsetZone.status).toBe(400);
    expect(((await offsetZone.json()) as { error: { code: string } }).error.code).toBe(
      'TimeZoneNotSupportedException',
    );

    const unknown = await h.graph('/me/mailFolders');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
      "Resource not found for the segment 'mailFolders'.",
    );
    // Segments are case-insensitive, as in Graph.
    expect((await h.graph('/Me/Events')).status).toBe(200);
  });

  it('cancels a meeting: it moves to Deleted Items, out of the calendar, until purged', async () => {
    const event = h.emulator.createEvent(ALICE, meeting('To cancel', '2025-03-06T09:00:00'));
    const cancelled = await h.graph(`/me/events/${event.id}/cancel`, {
      method: 'POST',
      json: { comment: 'Sorry' },
    });
    expect(cancelled.status).toBe(202);
    expect(h.emulator.getEvent(ALICE, event.id)?.subject).toBe('To cancel');
    const day = [new Date('2025-03-06T00:00:00Z'), new Date('2025-03-07T00:00:00Z')] as const;
    expect(h.emulator.calendarView(ALICE, ...day)).toEqual([]);
    expect((await h.graph(`/me/events/${event.id}/permanentDelete`, { method: 'POST' })).status).toBe(204);
    expect(h.emulator.getEvent(ALICE, event.id)).toBeUndefined();
    expect((await h.graph(`/me/events/${event.id}`)).status).toBe(404);
    const readOnly = await h.token({ scp: 'Calendars.Read' });
    const other = h.emulator.createEvent(ALICE, meeting('Keep', '2025-03-06T11:00:00'));
    expect(
      (await h.graph(`/me/events/${other.id}/cancel`, { method: 'POST', token: readOnly, json: {} })).status,
    ).toBe(403);
  });

  it('mounts into an existing Fastify app that learns its port after listen', async () => {
    const app = Fastify({ logger: false });
    let origin = '';
    const emulator = await registerGraphEmulator(app, {
      baseUrl: () => `${origin}/mounted/graph`,
      prefix: '/mounted/graph',
      verifyAccessToken: h.verify,
      now: h.clock.now,
    });
    try {
      origin = await app.listen({ host: '127.0.0.1', port: 0 });
      for (let i = 0; i < 11; i++) emulator.createEvent(ALICE, meeting(`E${i}`, '2025-03-06T09:00:00'));
      const response = await fetch(`${origin}/mounted/graph/v1.0/me/events`, {
        headers: { authorization: `Bearer ${await h.token()}` },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body['@odata.nextLink']).toBe(`${origin}/mounted/graph/v1.0/me/events?$skip=10`);
      expect(emulator.baseUrl).toBe(`${origin}/mounted/graph`);
    } finally {
      await app.close();
    }
  });

  it('records requests without tokens', async () => {
    await h.graph('/me/events', { headers: { 'client-request-id': 'abc' } });
    const [recorded] = h.emulator.requests();
    expect(recorded).toMatchObject({ method: 'GET', path: '/me/events', status: 200 });
    expect(recorded?.headers).toEqual({ clientRequestId: 'abc', hasAuthorization: true });
    expect(JSON.stringify(h.emulator.requests())).not.toMatch(/eyJ/);
  });
});
