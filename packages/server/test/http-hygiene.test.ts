/**
 * What every API answer promises: no cache keeps it, and even the router's own refusals are
 * problem+json that quote nothing of the request back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';

const SOON = daysFromNow(7);

const alice = sessionHeader('tenant-hygiene', 'alice');
const meeting = { subject: 'Hygiene', start: SOON.start, end: SOON.end };

describe('API responses', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { listen: true });
  });
  afterAll(async () => t?.close());

  it('tell every cache not to store them: join details and PINs, errors too', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/meetings',
      headers: alice,
      payload: meeting,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().hostPin).toMatch(/^\d+$/);
    expect(created.headers['cache-control']).toBe('no-store');
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/meetings/${created.json().id}`,
      headers: alice,
    });
    expect(read.headers['cache-control']).toBe('no-store');
    const refused = await t.app.inject({ method: 'GET', url: '/api/v1/meetings/nope' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('answers a malformed percent-encoding with problem+json that does not quote the URL', async () => {
    // Over a real socket: the raw path must reach the router as sent.
    const res = await fetch(`${t.url}/api/v1/meetings/%E0%A4%A-secret-looking`, { headers: alice });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(body).not.toContain('secret-looking');
  });

  it('answers an over-long path parameter with problem+json that does not quote it', async () => {
    const res = await fetch(`${t.url}/api/v1/meetings/${'x'.repeat(600)}`, { headers: alice });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({
      code: 'invalid_request',
      detail: 'a path parameter is too long',
    });
    expect(body).not.toContain('xxxxxxxx');
  });
});
