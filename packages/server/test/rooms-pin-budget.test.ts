/**
 * The room's budget of PIN tries in the running server (built CLI): it is kept in the database, so a
 * server started again on it (after a crash) still refuses PINs, and two servers on one PostgreSQL
 * database spend one budget. Visitors come through a trusted proxy (127.0.0.1) with addresses of their
 * own, so that each client's own lockout (5 wrong PINs) does not end the guessing first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, dialectAvailability, type TestDatabase } from './support/databases.js';
import { testMasterKeys } from './support/harness.js';
import {
  createOpenMeeting,
  firstReplyToJoin,
  type OpenMeeting,
  type RoomMessage,
} from './support/room-client.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';
import { insertSession } from './support/sessions.js';

/** Room-level tries before the room takes no PIN: the default, 10 × 5. */
const ROOM_BUDGET = 50;

/**
 * Five wrong PINs from each of `visitors`, the visitors spread over `signals` (one per server) in
 * turn: each visitor's fifth locks that visitor out, as on one server.
 */
async function guess(signals: readonly string[], visitors: number, wrong: string): Promise<RoomMessage[]> {
  const replies: RoomMessage[] = [];
  for (let v = 0; v < visitors; v++)
    for (let i = 0; i < 5; i++)
      replies.push(
        await firstReplyToJoin(signals[v % signals.length] as string, `198.51.100.${v + 1}`, wrong),
      );
  return replies;
}

describe('the room’s PIN budget in the running server', () => {
  let database: TestDatabase | undefined;
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.kill('SIGKILL');
      await s.exited;
    }
    await database?.drop();
    database = undefined;
  });

  /** A server on `db` (the same keys for every server of a test), recorded for cleanup. */
  async function serve(db: TestDatabase, keys: string): Promise<ServerProcess> {
    const server = await startServerProcess({
      DATABASE_URL: db.url,
      ROOMLINK_DATA_DIR: db.dir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: keys,
      ROOMLINK_DEMO_PUBLIC: 'true',
      ROOMLINK_BASE_URL: 'https://roomlink.test',
      ROOMLINK_TRUSTED_PROXIES: '127.0.0.1',
    });
    servers.push(server);
    return server;
  }

  async function openMeeting(db: TestDatabase, server: ServerProcess): Promise<OpenMeeting> {
    const store = await openStore(db.url);
    const token = await insertSession(store, 'tenant-budget', 'organizer');
    await store.close();
    return createOpenMeeting(server.url, token, { subject: 'Guessed at' });
  }

  const signalOn = (server: ServerProcess, meeting: OpenMeeting) =>
    meeting.signal.replace(/^ws:\/\/[^/]+/, server.url.replace(/^http/, 'ws'));

  it('keeps a room’s lockout when the server is started again after a crash (sqlite)', async () => {
    database = await createTestDatabase('sqlite');
    const keys = testMasterKeys();
    const first = await serve(database, keys);
    const meeting = await openMeeting(database, first);
    const wrong = meeting.hostPin === '000000' ? '111111' : '000000';

    const replies = await guess([meeting.signal], ROOM_BUDGET / 5, wrong);
    expect(replies.filter((r) => r.code === 'wrong_pin')).toHaveLength(40);
    // The room's budget is spent: a visitor who guessed nothing is refused even the host PIN.
    expect(await firstReplyToJoin(meeting.signal, '203.0.113.9', meeting.hostPin)).toMatchObject({
      reason: 'locked',
    });

    first.kill('SIGKILL');
    await first.exited;
    const second = await serve(database, keys);
    const after = await firstReplyToJoin(signalOn(second, meeting), '203.0.113.10', meeting.hostPin);
    expect(after).toMatchObject({ type: 'refused', reason: 'locked' });
    expect(after.retryAfterSeconds).toBeGreaterThan(10 * 60);
    expect(after.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
  }, 60_000);

  const postgres = dialectAvailability('postgres');
  it.skipIf(postgres.skip)(
    `lets two servers on one database spend one budget (${postgres.label})`,
    async () => {
      database = await createTestDatabase('postgres');
      const keys = testMasterKeys();
      const one = await serve(database, keys);
      const two = await serve(database, keys);
      const meeting = await openMeeting(database, one);
      const wrong = meeting.hostPin === '000000' ? '111111' : '000000';
      const signals = [signalOn(one, meeting), signalOn(two, meeting)];

      // Half of the budget on each server: apart, neither would have locked the room.
      const replies = await guess(signals, ROOM_BUDGET / 5, wrong);
      expect(replies.filter((r) => r.code === 'wrong_pin')).toHaveLength(40);
      for (const signal of signals)
        expect(await firstReplyToJoin(signal, '203.0.113.9', meeting.hostPin)).toMatchObject({
          type: 'refused',
          reason: 'locked',
        });
    },
    60_000,
  );
});
