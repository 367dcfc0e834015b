/**
 * ROOMLINK_ROOM_MAX_PARTICIPANTS in the real server (built CLI, SQLite): a room takes as many
 * participants as it says, the next guest is told the room is full and by how many, and the host
 * still gets the seat kept for them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from './support/databases.js';
import { createOpenMeeting, participant } from './support/room-client.js';
import { type ServerProcess, startSignedInServer } from './support/server-process.js';

describe('a built-in room’s capacity', () => {
  let server: ServerProcess | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    server?.kill('SIGKILL');
    await database?.drop();
  });

  it('is ROOMLINK_ROOM_MAX_PARTICIPANTS, plus the host’s seat', async () => {
    let token: string;
    ({ server, token, database } = await startSignedInServer('tenant-capacity', 'organizer', {
      ROOMLINK_ROOM_MAX_PARTICIPANTS: '2',
    }));
    const meeting = await createOpenMeeting(server.url, token, {
      subject: 'Capacity',
      options: { guestPin: false, lobby: false },
    });
    const { signal } = meeting;

    const guests = [];
    for (const name of ['Ann', 'Ben']) {
      const guest = await participant(signal);
      guest.send({ type: 'join', name });
      await guest.next('joined');
      guests.push(guest);
    }
    const third = await participant(signal);
    third.send({ type: 'join', name: 'Cleo' });
    expect(await third.next('refused')).toEqual({ type: 'refused', reason: 'room_full', maxParticipants: 2 });

    const host = await participant(signal);
    host.send({ type: 'join', name: 'Host', pin: meeting.hostPin });
    expect(await host.next('joined')).toMatchObject({ role: 'host' });
    for (const p of [...guests, host]) p.ws.close();
  });
});
