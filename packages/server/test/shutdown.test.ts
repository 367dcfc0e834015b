/** SIGTERM drains: a request in flight when the signal arrives is answered, then the process exits 0. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/kysely-store.js';
import type { TestDatabase } from './support/databases.js';
import { daysFromNow } from './support/meeting-times.js';
import { type ServerProcess, startSignedInServer } from './support/server-process.js';

const SOON = daysFromNow(7);

describe('graceful shutdown', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  let token: string;
  afterEach(async () => {
    server?.kill('SIGKILL');
    await database?.drop();
  });

  // Browsers and the add-in keep connections open (HTTP/1.1's default): the drain must not wait for
  // the client to close one after its answer, or shutdown runs into its timeout and exits 1.
  it.each([
    ['Connection: close', 'close'],
    ['a keep-alive connection', 'keep-alive'],
  ])('finishes a request that is in flight at SIGTERM on %s and exits 0', async (_, connection) => {
    ({ server, token, database } = await startSignedInServer('tenant-drain', 'drainer', {
      LOG_LEVEL: 'debug',
    }));
    const { port } = new URL(server.url);
    const body = JSON.stringify({
      subject: 'Drain test',
      start: SOON.start,
      end: SOON.end,
    });
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk.toString('utf8');
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Headers and half the body: the request is in flight.
    socket.write(
      `POST /api/v1/meetings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: ${connection}\r\n\r\n${body.slice(0, 20)}`,
    );
    await server.waitForLog((l) => l.msg === 'request received');

    server.kill('SIGTERM');
    await server.waitForLog((l) => String(l.msg).startsWith('shutting down'));
    socket.write(body.slice(20));
    await closed;

    // Answered in full, and the meeting was written.
    expect(response).toMatch(/^HTTP\/1\.1 201/);
    // The server closed the connection itself, and said so.
    expect(response.slice(0, response.indexOf('\r\n\r\n')).toLowerCase()).toContain('connection: close');
    const id = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)).id as string;
    expect(await server.exited).toBe(0);
    const after = await openStore(database.url);
    expect(await after.meetings.findById('tenant-drain', id)).toBeDefined();
    await after.close();
    expect(server.lines.some((l) => l.msg === 'stopped')).toBe(true);
  });
});
