/** The join page's CSP in the product: its WebSocket origin comes from ROOMLINK_BASE_URL, never the Host header. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productFeatures } from '../src/features.js';
import { startTestApp, type TestApp } from './support/harness.js';

describe('join page CSP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { ROOMLINK_BASE_URL: 'https://meet.example.org' },
      features: (runtime) => productFeatures(runtime),
    });
  });
  afterAll(async () => t?.close());

  it('allows WebSockets to ROOMLINK_BASE_URL only, whatever Host the client sends', async () => {
    for (const host of ['meet.example.org', 'evil.example', 'evil.example:8443']) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/m/NoSuchRoomSlug000000',
        headers: { host },
      });
      expect(response.statusCode).toBe(404);
      const csp = String(response.headers['content-security-policy']);
      expect(csp.split('; '), host).toContain("connect-src 'self' wss://meet.example.org");
      expect(csp, host).not.toContain('evil');
    }
  });
});
