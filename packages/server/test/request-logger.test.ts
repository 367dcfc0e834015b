/**
 * The application's per-request logger (app.ts, observability/lazy-child-logger.ts): made only for
 * a request that writes a line through it, and then carrying the request id, redaction included.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loggerOptions } from '../src/observability/logger.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';

const SOON = daysFromNow(7);

describe('per-request logger', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    loggerOptions('info'),
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  const child = vi.spyOn(logger, 'child');
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { logger });
  });
  afterAll(async () => t?.close());

  const alice = { ...sessionHeader('tenant-log', 'alice'), 'content-type': 'application/json' };

  it('is not made for requests that write nothing through it', async () => {
    child.mockClear();
    for (let i = 0; i < 5; i++)
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/meetings',
      headers: alice,
      payload: { subject: 'Budget review', start: SOON.start, end: SOON.end },
    });
    expect(created.statusCode).toBe(201);
    // Each of these requests wrote its completed line (through the access logger, made at start).
    expect(lines.filter((l) => l.msg === 'request completed').length).toBeGreaterThanOrEqual(6);
    expect(child).not.toHaveBeenCalled();
  });

  it('carries the request id on the lines a request writes, and redacts them', async () => {
    child.mockClear();
    lines.length = 0;
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/meetings',
      headers: alice,
      payload: { subject: 'Budget review', start: 'not a time' },
    });
    expect(refused.statusCode).toBe(400);
    const line = lines.find((l) => l.msg === 'request refused');
    const completed = lines.find((l) => l.msg === 'request completed');
    expect(line?.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line?.reqId).toBe(completed?.reqId);
    expect(child).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(lines)).not.toContain('Budget review');
  });
});
