/**
 * The API takes JSON only: a text/plain body (which Fastify would parse as a string) answers 415
 * unsupported_media_type like any other non-JSON type, while Microsoft Graph's text/plain webhook
 * validation handshake still gets its token back. A wrong method on a known path is no route (404
 * not_found): Roomlink sends no 405, and the catalogue (docs/errors.md) lists only codes it sends.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncMetrics } from '../src/graph/graph-metrics.js';
import { graphWebhooks } from '../src/graph/webhook-routes.js';
import { ERROR_CATALOGUE } from '../src/http/errors.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';

const SOON = daysFromNow(7);

describe('request bodies that are not JSON', () => {
  let t: TestApp;
  let enqueued = 0;
  const alice = sessionHeader('tenant-media', 'alice');
  const valid = { subject: 'Planning', start: SOON.start, end: SOON.end };

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      listen: true,
      features: async () => ({
        plugins: [
          graphWebhooks({
            users: { findBySubscription: async () => undefined },
            queue: {
              enqueue: async (jobs) => {
                enqueued += jobs.length;
              },
            },
            metrics: createSyncMetrics(new Registry()),
          }),
        ],
      }),
    });
  });
  afterAll(async () => t?.close());

  const meetingCount = async () =>
    Number(
      (
        await t.runtime.store.db
          .selectFrom('meetings')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const send = (method: string, path: string, type: string, body: string, headers = alice) =>
    fetch(`${t.url}${path}`, { method, headers: { ...headers, 'content-type': type }, body });

  it('answers 415 problem+json to text/plain and other types on the JSON API, and writes nothing', async () => {
    const created = await send('POST', '/api/v1/meetings', 'application/json', JSON.stringify(valid));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const before = await meetingCount();
    const cases: [string, string, string][] = [
      ['POST', '/api/v1/meetings', 'text/plain'],
      ['POST', '/api/v1/meetings', 'text/plain; charset=utf-8'],
      ['PATCH', `/api/v1/meetings/${id}`, 'text/plain'],
      ['POST', '/api/v1/meetings', 'text/html'],
      ['POST', '/api/v1/meetings', 'application/octet-stream'],
      ['POST', '/api/v1/meetings', 'application/xml'],
    ];
    for (const [method, path, type] of cases) {
      const response = await send(method, path, type, JSON.stringify(valid));
      expect(response.status, `${method} ${path} ${type}`).toBe(415);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({
        status: 415,
        code: 'unsupported_media_type',
        type: 'https://roomlink.dev/problems/unsupported-media-type',
      });
    }
    expect(await meetingCount()).toBe(before);
    // The session is still checked first: without one, the answer says only that.
    const anonymous = await send('POST', '/api/v1/meetings', 'text/plain', 'x', {} as typeof alice);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('unauthorized');
  });

  it('takes an empty text/plain body as no body on a route that takes none', async () => {
    const created = await send('POST', '/api/v1/meetings', 'application/json', JSON.stringify(valid));
    const { id } = (await created.json()) as { id: string };
    // .NET's StringContent("") and sendBeacon(url, '') label an empty body text/plain.
    const cancelled = await send('POST', `/api/v1/meetings/${id}/cancel`, 'text/plain', '');
    expect(cancelled.status).toBe(200);
    const deleted = await send('DELETE', `/api/v1/meetings/${id}`, 'text/plain', '');
    expect(deleted.status).toBe(204);
    // A route that takes a body still wants JSON.
    const empty = await send('POST', '/api/v1/meetings', 'text/plain', '');
    expect(empty.status).toBe(415);
  });

  it('still echoes Graph’s text/plain validation handshake on both webhooks, body or not', async () => {
    for (const path of ['/api/graph/notifications', '/api/graph/lifecycle']) {
      for (const body of ['', 'ignored text']) {
        const response = await send(
          'POST',
          `${path}?validationToken=Validation%3A%20Testing`,
          'text/plain',
          body,
          {},
        );
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(await response.text()).toBe('Validation: Testing');
      }
    }
  });

  it('answers a text/plain notification without a token 415, and JSON ones as before', async () => {
    const notification = {
      value: [
        { subscriptionId: 'sub-x', clientState: 'x', changeType: 'updated', resource: 'Users/u/Events/e1' },
      ],
    };
    const text = await send(
      'POST',
      '/api/graph/notifications',
      'text/plain',
      JSON.stringify(notification),
      {},
    );
    expect(text.status).toBe(415);
    expect(((await text.json()) as { code: string }).code).toBe('unsupported_media_type');
    const json = await send(
      'POST',
      '/api/graph/notifications',
      'application/json',
      JSON.stringify(notification),
      {},
    );
    expect(json.status).toBe(202);
    expect(enqueued).toBe(0); // an unknown subscription: accepted, counted, not queued
  });
});

describe('a wrong method on a known path', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('answers 404 not_found (no 405), and the catalogue lists no code the API never sends', async () => {
    for (const [method, url] of [
      ['PUT', '/api/v1/meetings'],
      ['DELETE', '/api/v1/meetings'],
      ['POST', '/healthz'],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: sessionHeader('t', 'u') });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'not_found', detail: `nothing at ${method} ${url}` });
    }
    expect(Object.keys(ERROR_CATALOGUE)).not.toContain('method_not_allowed');
    expect(Object.keys(ERROR_CATALOGUE)).not.toContain('claims_required');
  });
});
