/**
 * The built-in rooms log through the server's logger (component "rooms"), and what they log holds no
 * client address, room code or name.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upgrade } from '../../rooms/test/helpers.js';
import { productFeatures } from '../src/features.js';
import { loggerOptions } from '../src/observability/logger.js';
import { startTestApp, type TestApp } from './support/harness.js';

describe('room service logs', () => {
  const lines: Record<string, unknown>[] = [];
  let t: TestApp;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino(loggerOptions('debug'), sink);
    t = await startTestApp('sqlite', {
      listen: true,
      env: { ROOMLINK_BASE_URL: 'https://meet.example.org' },
      features: (runtime) => productFeatures(runtime, logger),
    });
  });
  afterAll(async () => t?.close());

  it('reach the server log as component "rooms", without the client address or room code', async () => {
    const slug = 'NoSuchRoomSlug0000000';
    const url = `${t.url.replace('http', 'ws')}/api/v1/rooms/${slug}/signal`;
    expect(await upgrade(url, { Origin: 'https://evil.example' })).toBe(403);
    await expect
      .poll(() => lines.filter((l) => l.component === 'rooms').map((l) => l.msg))
      .toContain('signalling upgrade from a foreign origin refused');
    const rooms = JSON.stringify(lines.filter((l) => l.component === 'rooms'));
    expect(rooms).not.toContain('127.0.0.1');
    expect(rooms).not.toContain(slug);
    expect(rooms).not.toContain('evil.example');
  });
});
