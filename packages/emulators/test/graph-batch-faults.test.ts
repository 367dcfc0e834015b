import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, type GraphHarness, meeting, startGraphHarness } from './support/graph-harness.js';

type Json = Record<string, unknown>;
type BatchResponse = {
  responses: { id: string; status: number; headers: Record<string, string>; body?: Json }[];
};

const WINDOW = 'startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-04-01T00:00:00Z';

describe('Graph emulator: JSON batching and faults', () => {
  let h: GraphHarness;

  beforeEach(async () => {
    h = await startGraphHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const batch = async (requests: unknown[]): Promise<Response> =>
    h.graph('/$batch', { method: 'POST', json: { requests } });

  it('runs up to 20 requests with per-request status, headers and body, honouring dependsOn', async () => {
    const event = h.emulator.createEvent(ALICE, meeting('Batched', '2025-03-04T09:00:00'));
    // Request 1 is slow: only dependsOn keeps request 2's PATCH from overtaking it.
    h.emulator.faults.inject({
      kind: 'delay',
      ms: 100,
      match: { method: 'GET', path: /^\/me\/events\/[^/]+$/ },
    });
    const response = await batch([
      { id: '1', method: 'GET', url: `/me/events/${event.id}?$select=subject` },
      {
        id: '2',
        method: 'PATCH',
        url: `/me/events/${event.id}`,
        dependsOn: ['1'],
        headers: { 'Content-Type': 'application/json' },
        body: { subject: 'Batched (patched)' },
      },
      { id: '3', method: 'GET', url: 'me/events/not-an-id' },
      { id: '4', method: 'GET', url: `/me/calendarView?${WINDOW}`, dependsOn: ['3'] },
      { id: '5', method: 'POST', url: '/me/events', body: meeting('No content type', '2025-03-05T09:00:00') },
      {
        id: '6',
        method: 'GET',
        url: `/me/calendarView?${WINDOW}`,
        headers: { Prefer: 'outlook.timezone="UTC"' },
      },
    ]);
    expect(response.status).toBe(200);
    const { responses } = (await response.json()) as BatchResponse;
    const byId = new Map(responses.map((r) => [r.id, r]));
    expect(byId.get('1')).toMatchObject({ status: 200, body: { subject: 'Batched' } });
    expect(byId.get('1')?.headers['content-type']).toMatch(/^application\/json/);
    expect(byId.get('2')).toMatchObject({ status: 200, body: { subject: 'Batched (patched)' } });
    expect(byId.get('3')).toMatchObject({
      status: 400,
      body: { error: { code: 'ErrorInvalidIdMalformed' } },
    });
    expect(byId.get('4')?.status).toBe(424);
    expect(byId.get('5')?.status).toBe(400);
    expect(byId.get('6')?.headers['preference-applied']).toBe('outlook.timezone="UTC"');
    expect(h.emulator.getEvent(ALICE, event.id)?.subject).toBe('Batched (patched)');

    const inner = h.emulator.requests().filter((r) => r.batchRequestId !== undefined);
    expect(inner.map((r) => r.batchRequestId).sort()).toEqual(['1', '2', '3', '6']);
  });

  it('rejects malformed batches as a whole', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/me/events' }));
    expect((await batch(many)).status).toBe(400);
    expect((await batch(many.slice(0, 20))).status).toBe(200);
    expect(
      (
        await batch([
          { id: 'a', method: 'GET', url: '/me/events' },
          { id: 'A', method: 'GET', url: '/me/events' },
        ])
      ).status,
    ).toBe(400);
    expect((await batch([{ id: 'a', method: 'GET', url: '/me/events', dependsOn: ['b'] }])).status).toBe(400);
    expect((await h.graph('/$batch', { method: 'POST', json: { nope: true } })).status).toBe(400);
  });

  it('throttles with 429 and Retry-After, then serves the retry', async () => {
    h.emulator.faults.inject({
      kind: 'throttle',
      retryAfterSeconds: 7,
      match: { path: '/me/calendarView/delta' },
    });
    const other = await h.graph(`/me/calendarView?${WINDOW}`);
    expect(other.status).toBe(200);
    const throttled = await h.graph(`/me/calendarView/delta?${WINDOW}`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(((await throttled.json()) as { error: Json }).error).toMatchObject({
      code: 'ApplicationThrottled',
    });

    h.clock.advance(7_000);
    expect((await h.graph(`/me/calendarView/delta?${WINDOW}`)).status).toBe(200);
    const delta = h.emulator.requests().filter((r) => r.path === '/me/calendarView/delta');
    expect(delta.map((r) => r.status)).toEqual([429, 200]);
    expect((delta[1]?.time.getTime() ?? 0) - (delta[0]?.time.getTime() ?? 0)).toBe(7_000);
  });

  it('throttles individual requests inside a batch', async () => {
    h.emulator.faults.inject({ kind: 'throttle', retryAfterSeconds: 3, match: { method: 'GET' } });
    const response = await batch([{ id: '1', method: 'GET', url: '/me/events' }]);
    expect(response.status).toBe(200);
    const { responses } = (await response.json()) as BatchResponse;
    expect(responses[0]).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
  });

  it('answers 503 with Retry-After, repeatedly until cleared', async () => {
    h.emulator.faults.inject({
      kind: 'serviceUnavailable',
      retryAfterSeconds: 2,
      count: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < 3; i++) {
      const response = await h.graph('/me/events');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
    }
    h.emulator.faults.clear();
    expect((await h.graph('/me/events')).status).toBe(200);
  });

  it('answers a CAE claims challenge in WWW-Authenticate', async () => {
    h.emulator.faults.inject({ kind: 'claimsChallenge' });
    const response = await h.graph('/me/events');
    expect(response.status).toBe(401);
    const header = response.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(
      /^Bearer realm="", authorization_uri="[^"]+", client_id="[^"]+", error="insufficient_claims", claims="[A-Za-z0-9+/=]+"$/,
    );
    const claims = JSON.parse(
      Buffer.from(/claims="([^"]+)"/.exec(header)?.[1] ?? '', 'base64').toString('utf8'),
    );
    expect(claims).toEqual({
      access_token: { nbf: { essential: true, value: String(h.clock.now().getTime() / 1000) } },
    });
    expect(((await response.json()) as { error: Json }).error.code).toBe('InvalidAuthenticationToken');
    expect((await h.graph('/me/events')).status).toBe(200);
  });

  it('revokes sessions for CAE-capable clients only', async () => {
    const caeToken = await h.token({ xms_cc: ['cp1'] });
    const plainToken = await h.token();
    h.clock.advance(1_000);
    h.emulator.revokeSessions(ALICE);
    const challenged = await h.graph('/me/events', { token: caeToken });
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get('www-authenticate')).toContain('error="insufficient_claims"');
    expect((await h.graph('/me/events', { token: plainToken })).status).toBe(200);
    h.clock.advance(1_000);
    expect((await h.graph('/me/events', { token: await h.token({ xms_cc: ['cp1'] }) })).status).toBe(200);
  });

  it('simulates an expired token and a slow response', async () => {
    h.emulator.faults.inject({ kind: 'expiredToken', match: { path: '/me/events' } });
    const expired = await h.graph('/me/events');
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: Json }).error.message).toBe(
      'Lifetime validation failed, the token is expired.',
    );

    h.emulator.faults.inject({ kind: 'delay', ms: 150 });
    const started = performance.now();
    expect((await h.graph('/me/events')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});
