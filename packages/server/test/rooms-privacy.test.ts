/**
 * The built-in rooms inside the real server: chat travels between participants and never reaches
 * the database file or the log; cancelling the meeting ends the live room.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from './support/databases.js';
import { participant } from './support/room-client.js';
import { type ServerProcess, startSignedInServer } from './support/server-process.js';

describe('built-in rooms in the server', () => {
  let server: ServerProcess | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    server?.kill('SIGKILL');
    await database?.drop();
  });

  it('relays chat without storing or logging it, and a cancelled meeting ends the room', async () => {
    let token: string;
    ({ server, token, database } = await startSignedInServer('tenant-rooms', 'host-user', {
      LOG_LEVEL: 'trace',
    }));
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const start = new Date(Date.now() - 5 * 60_000).toISOString();
    const end = new Date(Date.now() + 55 * 60_000).toISOString();
    const created = await fetch(`${server.url}/api/v1/meetings`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ subject: 'Room privacy', start, end }),
    });
    const meeting = (await created.json()) as { id: string; joinUrl: string; hostPin: string };
    const slug = meeting.joinUrl.split('/m/')[1] as string;
    const signal = `${server.url.replace('http', 'ws')}/api/v1/rooms/${slug}/signal`;

    const page = await fetch(`${server.url}/m/${slug}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');

    const host = await participant(signal);
    host.send({ type: 'join', name: 'Host', pin: meeting.hostPin });
    await host.next('joined');
    const guest = await participant(signal);
    guest.send({ type: 'join', name: 'Guest' });
    await guest.next('joined');

    const secret = `chat-secret-${crypto.randomUUID()}`;
    host.send({ type: 'chat', text: secret });
    const chat = await guest.next('chat');
    expect(chat.text).toBe(secret);

    // No body, so no content-type: a JSON content-type with an empty body is refused as malformed.
    const cancelled = await fetch(`${server.url}/api/v1/meetings/${meeting.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(cancelled.status).toBe(200);
    await Promise.all([host.closed, guest.closed]);

    const file = database?.file as string;
    const disk = Buffer.concat(
      await Promise.all([file, `${file}-wal`].map((f) => readFile(f).catch(() => Buffer.alloc(0)))),
    );
    expect(disk.length).toBeGreaterThan(0);
    expect(disk.toString('latin1')).not.toContain(secret);
    server.kill('SIGTERM');
    await server.exited;
    expect(server.output()).toContain('request completed');
    expect(server.output()).not.toContain(secret);
  });
});
