/**
 * Each room's budget of PIN tries in the database (KyselyRoomPinFailureRepository, migration 0010), on
 * every dialect: the same answers and records as the room service's own rules, lockouts in a row and
 * tries given back included; a try counted once however many processes race for it; one budget for
 * two room services on one database, and for a room service after a restart; no row left by a right
 * PIN, nor, after retention's sweep, by wrong ones that no longer count; nothing left of a meeting
 * deleted by any path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRooms,
  MemoryPinFailureLedger,
  type RoomDirectory,
  type RoomInfo,
  type RoomPinRecord,
  type RoomPinTake,
  type RoomService,
  roomPinRecordSpent,
} from '@roomlink/rooms';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredMeeting } from '../src/domain/meetings/meeting.js';
import { type KyselyStore, openStore } from '../src/store/kysely-store.js';
import { KyselyRetentionRepository } from '../src/store/repositories/retention.js';
import { KyselySubjectRepository } from '../src/store/repositories/retention-subjects.js';
import { KyselySweepRepository } from '../src/store/repositories/retention-sweeps.js';
import { KyselyTenantPurgeRepository } from '../src/store/repositories/retention-tenants.js';
import { KyselyRoomPinFailureRepository } from '../src/store/repositories/room-pin-failures.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { participant } from './support/room-client.js';
import { seededRandom } from './support/seeded-random.js';
import { storedMeeting } from './support/stored-meeting.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const START = Date.parse('2026-11-28T10:00:00Z');
const HOST_PIN = '482913';
const policy = { attempts: 5, lockoutMs: 15 * MINUTE, maxLockoutMs: DAY, memoryMs: DAY };
const TAKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'room-pin-takes-process.ts');

function meeting(overrides: Partial<StoredMeeting> = {}): StoredMeeting {
  return storedMeeting(new Date(START), overrides);
}

/** A process that takes `takes` tries at once when told (room-pin-takes-process.ts). */
async function taker(url: string, meetingId: string, takes: number, attempts: number) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', TAKER], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: url,
      MEETING_ID: meetingId,
      TAKES: String(takes),
      ATTEMPTS: String(attempts),
      NOW: String(START),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const waitFor = (done: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (done()) resolve();
      };
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        check();
      });
      child.once('exit', () => (done() ? resolve() : reject(new Error(`taker exited\n${out}\n${err}`))));
      check();
    });
  await waitFor(() => out.includes('READY\n'));
  return {
    go: () => child.stdin?.write('go\n'),
    answers: async (): Promise<RoomPinTake[]> => {
      await waitFor(() => out.split('\n').length > 2);
      return JSON.parse(out.split('\n')[1] as string) as RoomPinTake[];
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/** A room service whose directory names one room, open from 5 minutes before START for 10 hours. */
async function roomService(
  ledger: KyselyRoomPinFailureRepository,
  meetingId: string,
  slug: string,
  clock: () => number,
): Promise<{ rooms: RoomService; app: FastifyInstance; signal: string }> {
  const info: RoomInfo = {
    meetingId,
    tenantId: 'tenant-a',
    status: 'scheduled',
    startsAt: new Date(START - 5 * MINUTE),
    endsAt: new Date(START + 10 * 60 * MINUTE),
    hostPin: HOST_PIN,
    guestPin: null,
    lobby: false,
    language: 'en',
  };
  const directory: RoomDirectory = { findBySlug: async (s) => (s === slug ? info : null) };
  // Every visitor here is 127.0.0.1: a client's own budget (pinAttempts) is set out of the way.
  const rooms = createRooms({
    directory,
    pinFailures: ledger,
    pinAttempts: 100,
    roomPinAttempts: 6,
    lockoutMinutes: 15,
    now: () => new Date(clock()),
  });
  const app = Fastify();
  await rooms.register(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { rooms, app, signal: `${url.replace('http', 'ws')}/api/v1/rooms/${slug}/signal` };
}

/** Joins with `pin` on a new socket and answers the room's first reply (then closes). */
async function join(signal: string, pin: string) {
  const client = await participant(signal);
  client.send({ type: 'join', name: 'Visitor', pin });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer')), 10_000);
    const check = () => {
      if (client.received.length === 0) return;
      clearTimeout(timer);
      resolve();
    };
    client.ws.on('message', check);
    check();
  });
  client.ws.close();
  return client.received[0] as Record<string, unknown>;
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`a room's PIN budget in the database (${label})`, () => {
    let database: TestDatabase;
    let store: KyselyStore;
    let ledger: KyselyRoomPinFailureRepository;
    const cleanup: (() => Promise<unknown> | unknown)[] = [];

    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      store = await openStore(database.url);
      await store.tenants.ensure('tenant-a', new Date(START));
      await store.tenants.ensure('tenant-b', new Date(START));
      ledger = new KyselyRoomPinFailureRepository(store.db);
    });
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
      await store.close();
      await database.drop();
    });

    const newMeeting = async (overrides: Partial<StoredMeeting> = {}) => {
      const m = meeting(overrides);
      expect(await store.meetings.insert(m)).toBe('inserted');
      return m;
    };
    const rowOf = (meetingId: string) =>
      store.db
        .selectFrom('room_pin_failures')
        .selectAll()
        .where('meeting_id', '=', meetingId)
        .executeTakeFirst();
    /** The row as the rooms package's record (times in ms); undefined: no row. */
    const recordOf = async (meetingId: string): Promise<RoomPinRecord | undefined> => {
      const row = await rowOf(meetingId);
      return (
        row && {
          failures: Number(row.failures),
          countStartedAt: Date.parse(row.count_started_at),
          lockouts: Number(row.lockouts),
          lockedUntil: row.locked_until === null ? null : Date.parse(row.locked_until),
        }
      );
    };

    it('answers and keeps as the room service’s own rules do, lockouts in a row and tries given back included', async () => {
      // The rooms package's in-memory ledger is the reference (takeRoomTry and refundRoomTry,
      // unit-tested there): the same answers, and after every step the same record (or none).
      for (const seed of [1, 2, 3]) {
        const random = seededRandom(seed);
        const { id } = await newMeeting();
        const reference = new MemoryPinFailureLedger();
        const rules = { ...policy, attempts: random.int(1, 6) };
        let now = START;
        let refunds = 0;
        let deletions = 0;
        for (let step = 0; step < 400; step++) {
          // Mostly quick tries; now and then a pause past a lockout, or past a day.
          now += random.pick([0, 1, 1000, MINUTE, 14 * MINUTE, 15 * MINUTE, 2 * 60 * MINUTE, DAY]);
          if (random.int(0, 2) === 0) {
            const had = reference.record(id) !== undefined;
            await ledger.refund(id, now, rules);
            await reference.refund(id, now, rules);
            refunds++;
            if (had && reference.record(id) === undefined) deletions++;
          } else {
            const expected = await reference.take(id, now, rules);
            expect(await ledger.take(id, now, rules), `seed ${seed}, step ${step}`).toEqual(expected);
          }
          expect(await recordOf(id), `seed ${seed}, step ${step}`).toEqual(reference.record(id));
        }
        // The walk gave tries back, and some of them emptied the room's record.
        expect(refunds).toBeGreaterThan(50);
        expect(deletions).toBeGreaterThan(0);
      }
    });

    it('keeps no row for a right PIN, and for a wrong then a right one only the wrong one’s count', async () => {
      const { id, slug } = await newMeeting();
      let clock = Date.parse('2026-11-28T10:03:17.123Z');
      const service = await roomService(ledger, id, slug, () => clock);
      cleanup.push(() => service.app.close());

      // The review's case: one right host PIN left its time, to the millisecond, in clear.
      expect(await join(service.signal, HOST_PIN)).toMatchObject({ type: 'joined', role: 'host' });
      // The try is taken before the PIN is checked, and given back after the answer.
      await expect.poll(() => rowOf(id)).toBeUndefined();

      const wrongAt = clock + 7 * MINUTE;
      clock = wrongAt;
      expect(await join(service.signal, '000000')).toMatchObject({ code: 'wrong_pin' });
      clock += 2 * MINUTE;
      expect(await join(service.signal, HOST_PIN)).toMatchObject({ type: 'joined', role: 'host' });
      await expect
        .poll(() => rowOf(id))
        .toEqual({
          meeting_id: id,
          failures: 1,
          count_started_at: new Date(wrongAt).toISOString(),
          lockouts: 0,
          locked_until: null,
        });
    });

    it('never deletes, when a try is given back, a row whose lockout must still double the next one', async () => {
      const { id } = await newMeeting();
      let now = START;
      for (let i = 1; i < policy.attempts; i++) await ledger.take(id, now, policy);
      expect(await ledger.take(id, now, policy)).toMatchObject({ lockedForMs: 15 * MINUTE });
      // The locking PIN was right: its try comes back, the lockout stays.
      await ledger.refund(id, now, policy);
      const lockedUntil = new Date(now + 15 * MINUTE).toISOString();
      expect(await rowOf(id)).toMatchObject({ failures: 0, lockouts: 1, locked_until: lockedUntil });

      // A right PIN almost a day after the lockout ended: the row stays, without the PIN's time.
      now += 15 * MINUTE + DAY - 1;
      await ledger.take(id, now, policy);
      await ledger.refund(id, now, policy);
      expect(await rowOf(id)).toEqual({
        meeting_id: id,
        failures: 0,
        count_started_at: lockedUntil,
        lockouts: 1,
        locked_until: lockedUntil,
      });
      // And the next lockout lasts twice as long as that one.
      for (let i = 1; i < policy.attempts; i++) await ledger.take(id, now, policy);
      expect(await ledger.take(id, now, policy)).toMatchObject({ lockedForMs: 30 * MINUTE });

      // A right PIN a day after that lockout ended: the row counts for nothing, and goes.
      now += 30 * MINUTE + DAY;
      await ledger.take(id, now, policy);
      await ledger.refund(id, now, policy);
      expect(await rowOf(id)).toBeUndefined();
    });

    it.skipIf(dialect !== 'postgres')(
      'loses no try counted by another process while a try is given back or the sweep runs',
      async () => {
        // Another process (its own connections) counts a try in a transaction it holds open, so that
        // the delete below meets the row it changed; PostgreSQL makes the delete wait for its commit.
        const other = await openStore(database.url);
        cleanup.push(() => other.close());
        const sweeps = new KyselySweepRepository(store.db, store.dialect);
        const raced = async (id: string, remaining: number, race: () => Promise<unknown>) => {
          let counted!: () => void;
          let commit!: () => void;
          const hasCounted = new Promise<void>((resolve) => (counted = resolve));
          const committing = new Promise<void>((resolve) => (commit = resolve));
          const taking = other.db.transaction().execute(async (trx) => {
            expect(await new KyselyRoomPinFailureRepository(trx).take(id, START, policy)).toMatchObject({
              remaining,
            });
            counted();
            await committing;
          });
          await hasCounted;
          const racing = race();
          // The delete waits for the other process's row lock (not a sleep: it is seen waiting).
          await expect
            .poll(async () => {
              const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db);
              return rows[0]?.n;
            })
            .toBe(1);
          commit();
          await taking;
          return racing;
        };

        // A right PIN's try given back while another process counts a wrong one: the wrong one stays.
        const { id } = await newMeeting();
        await ledger.take(id, START, policy);
        await raced(id, 3, () => ledger.refund(id, START, policy));
        expect(await rowOf(id)).toMatchObject({ failures: 1 });

        // A row that counted for nothing (as the first version left after a right PIN), swept while
        // another process counts a try in it: the try stays.
        const { id: left } = await newMeeting();
        await store.db
          .insertInto('room_pin_failures')
          .values({
            meeting_id: left,
            failures: 0,
            count_started_at: new Date(START - MINUTE).toISOString(),
            lockouts: 0,
            locked_until: null,
          })
          .execute();
        expect(await raced(left, 4, () => sweeps.deleteSpentPinTries(new Date(START), 100))).toMatchObject({
          rows: 0,
        });
        expect(await rowOf(left)).toMatchObject({
          failures: 1,
          count_started_at: new Date(START).toISOString(),
        });
      },
    );

    it('sweeps the rows that no longer count (retention), and keeps the others', async () => {
      const asOf = START + 3 * DAY;
      const at = (ms: number) => new Date(asOf - ms).toISOString();
      const rows = {
        // Wrong PINs counted less than a day ago, or a room locked now: kept.
        counting: { failures: 3, count_started_at: at(DAY - 1), lockouts: 0, locked_until: null },
        lockedNow: { failures: 0, count_started_at: at(MINUTE), lockouts: 1, locked_until: at(-MINUTE) },
        // A lockout that ended less than a day ago: the next one doubles. Kept.
        lockoutRecent: { failures: 0, count_started_at: at(2 * DAY), lockouts: 2, locked_until: at(DAY - 1) },
        countOldLockoutRecent: {
          failures: 4,
          count_started_at: at(DAY),
          lockouts: 1,
          locked_until: at(DAY - 1),
        },
        // Tries whose count started a day ago, and a lockout that ended a day ago: swept.
        countOld: { failures: 3, count_started_at: at(DAY), lockouts: 0, locked_until: null },
        lockoutOld: { failures: 0, count_started_at: at(2 * DAY), lockouts: 7, locked_until: at(DAY) },
        bothOld: { failures: 2, count_started_at: at(DAY + 1), lockouts: 1, locked_until: at(DAY + 1) },
        // No try counted, no lockout: what a right PIN's try left before tries given back deleted it.
        rightPinLeft: { failures: 0, count_started_at: at(MINUTE), lockouts: 0, locked_until: null },
      };
      const ids = new Map<string, string>();
      for (const [name, row] of Object.entries(rows)) {
        const { id } = await newMeeting();
        ids.set(name, id);
        await store.db
          .insertInto('room_pin_failures')
          .values({ meeting_id: id, ...row })
          .execute();
      }
      const sweeps = new KyselySweepRepository(store.db, store.dialect);
      // A batch at a time, as retention runs it.
      expect(await sweeps.deleteSpentPinTries(new Date(asOf), 2)).toMatchObject({ rows: 2 });
      expect(await sweeps.deleteSpentPinTries(new Date(asOf), 100)).toMatchObject({ rows: 2 });
      expect(await sweeps.deleteSpentPinTries(new Date(asOf), 100)).toMatchObject({ rows: 0 });
      const left = new Set(
        (await store.db.selectFrom('room_pin_failures').select('meeting_id').execute()).map(
          (r) => r.meeting_id,
        ),
      );
      const kept = [...ids].filter(([, id]) => left.has(id)).map(([name]) => name);
      expect(kept).toEqual(['counting', 'lockedNow', 'lockoutRecent', 'countOldLockoutRecent']);
      // The rooms package's rule, which the ledgers follow, says the same of every row.
      for (const [name, row] of Object.entries(rows)) {
        const record = {
          failures: row.failures,
          countStartedAt: Date.parse(row.count_started_at),
          lockouts: row.lockouts,
          lockedUntil: row.locked_until === null ? null : Date.parse(row.locked_until),
        };
        expect(roomPinRecordSpent(record, asOf, policy), name).toBe(!kept.includes(name));
      }
    });

    it('doubles each lockout within a day of the last one’s end, up to a day, and forgets them a day later', async () => {
      const { id } = await newMeeting();
      let now = START;
      const lengths: number[] = [];
      for (let lockout = 0; lockout < 9; lockout++) {
        let answer: RoomPinTake | null = null;
        for (let i = 0; i < policy.attempts; i++) answer = await ledger.take(id, now, policy);
        if (!answer?.taken) throw new Error(`no lockout: ${JSON.stringify(answer)}`);
        lengths.push(answer.lockedForMs / MINUTE);
        expect(await ledger.take(id, now + answer.lockedForMs - 1, policy)).toEqual({
          taken: false,
          retryAfterMs: 1,
        });
        now += answer.lockedForMs;
      }
      expect(lengths).toEqual([15, 30, 60, 120, 240, 480, 960, 1440, 1440]);
      // A day without a lockout since the last one ended: 15 minutes again.
      now += DAY;
      for (let i = 1; i < policy.attempts; i++) await ledger.take(id, now, policy);
      expect(await ledger.take(id, now, policy)).toEqual({
        taken: true,
        remaining: 0,
        lockedForMs: 15 * MINUTE,
      });
    });

    it('counts every try of two processes racing once, and lets no more than the budget through', async () => {
      const { id } = await newMeeting();
      // Far from the budget: every try counted, each seeing a count of its own.
      const many = [await taker(database.url, id, 20, 1000), await taker(database.url, id, 20, 1000)];
      cleanup.push(() => {
        for (const t of many) t.kill();
      });
      for (const t of many) t.go();
      const answers = (await Promise.all(many.map((t) => t.answers()))).flat();
      expect(answers).toHaveLength(40);
      const remaining = answers.map((a) => (a.taken ? a.remaining : -1)).sort((a, b) => a - b);
      expect(remaining).toEqual(Array.from({ length: 40 }, (_, i) => 960 + i));
      expect((await rowOf(id))?.failures).toBe(40);

      // At the budget's end: 10 tries through, the tenth locking the room, every other one refused.
      const { id: other } = await newMeeting();
      const racing = [await taker(database.url, other, 15, 10), await taker(database.url, other, 15, 10)];
      cleanup.push(() => {
        for (const t of racing) t.kill();
      });
      for (const t of racing) t.go();
      const raced = (await Promise.all(racing.map((t) => t.answers()))).flat();
      const through = raced.filter((a) => a.taken);
      expect(through).toHaveLength(10);
      expect(through.filter((a) => a.taken && a.lockedForMs > 0)).toEqual([
        { taken: true, remaining: 0, lockedForMs: 15 * MINUTE },
      ]);
      expect(raced.filter((a) => !a.taken)).toEqual(
        Array.from({ length: 20 }, () => ({ taken: false, retryAfterMs: 15 * MINUTE })),
      );
    }, 60_000);

    it('lets two room services on one database spend one budget, and one started afresh keep its lockout', async () => {
      const { id, slug } = await newMeeting();
      let clock = START;
      // Two processes: each its own store (connections) on the database, and its own room service.
      const other = await openStore(database.url);
      cleanup.push(() => other.close());
      const one = await roomService(ledger, id, slug, () => clock);
      const two = await roomService(new KyselyRoomPinFailureRepository(other.db), id, slug, () => clock);
      cleanup.push(
        () => one.app.close(),
        () => two.app.close(),
      );

      const wrong = [one, one, one, two, two].map((s) => s.signal);
      const answers = [];
      for (const signal of wrong) answers.push(await join(signal, '000000'));
      expect(answers.map((a) => a.remainingAttempts)).toEqual([5, 4, 3, 2, 1]);
      expect(await join(one.signal, '000000')).toEqual({
        type: 'refused',
        reason: 'locked',
        retryAfterSeconds: 15 * 60,
      });
      // The other service had not heard of it: the database refuses even the host PIN there.
      expect(await join(two.signal, HOST_PIN)).toMatchObject({ type: 'refused', reason: 'locked' });

      // Both stop; a new one starts on the database a minute later: the room is still locked.
      await one.app.close();
      await two.app.close();
      await other.close();
      clock += MINUTE;
      const restarted = await roomService(
        new KyselyRoomPinFailureRepository(store.db),
        id,
        slug,
        () => clock,
      );
      cleanup.push(() => restarted.app.close());
      expect(await join(restarted.signal, HOST_PIN)).toEqual({
        type: 'refused',
        reason: 'locked',
        retryAfterSeconds: 14 * 60,
      });
      // Once it is over, the host PIN gets in (and its try is given back); the next lockout is twice as long.
      clock += 14 * MINUTE;
      expect(await join(restarted.signal, HOST_PIN)).toMatchObject({ type: 'joined', role: 'host' });
      await expect.poll(async () => (await rowOf(id))?.failures).toBe(0);
      for (let i = 0; i < 5; i++)
        expect(await join(restarted.signal, '000000')).toMatchObject({ code: 'wrong_pin' });
      expect(await join(restarted.signal, '000000')).toEqual({
        type: 'refused',
        reason: 'locked',
        retryAfterSeconds: 30 * 60,
      });
    });

    it('keeps counts and times only, keyed by meeting id', async () => {
      const columns =
        dialect === 'sqlite'
          ? await sql<{ name: string }>`select name from pragma_table_info('room_pin_failures')`.execute(
              store.db,
            )
          : await sql<{ name: string }>`
              select column_name as name from information_schema.columns
              where table_schema = current_schema() and table_name = 'room_pin_failures'`.execute(store.db);
      expect(columns.rows.map((c) => c.name).sort()).toEqual([
        'count_started_at',
        'failures',
        'locked_until',
        'lockouts',
        'meeting_id',
      ]);
      const { id } = await newMeeting();
      await ledger.take(id, START, policy);
      expect(await rowOf(id)).toEqual({
        meeting_id: id,
        failures: 1,
        count_started_at: new Date(START).toISOString(),
        lockouts: 0,
        locked_until: null,
      });
      // A meeting that is not (any more) in the database gets no row.
      expect(await ledger.take(crypto.randomUUID(), START, policy)).toBeNull();
    });

    it('leaves nothing of a meeting deleted, whichever way', async () => {
      const kept = await newMeeting();
      const deleted = await newMeeting();
      const purged = await newMeeting({ purgeAfter: '2026-01-01' });
      const erased = await newMeeting();
      const erasedUsers = await newMeeting({ organizerId: 'user-erased' });
      const offboarded = await newMeeting({ tenantId: 'tenant-b' });
      const all = [kept, deleted, purged, erased, erasedUsers, offboarded];
      for (const m of all) await ledger.take(m.id, START, policy);
      const rows = async () =>
        (await store.db.selectFrom('room_pin_failures').select('meeting_id').execute()).map(
          (r) => r.meeting_id,
        );
      expect((await rows()).sort()).toEqual(all.map((m) => m.id).sort());

      // The API's delete (meetings repository).
      expect(await store.transaction((tx) => tx.meetings.delete('tenant-a', deleted.id))).toBe(true);
      // Retention's purge of meetings past their day.
      const retention = new KyselyRetentionRepository(store.db, store.dialect);
      expect((await retention.purgeMeetingsDue('2026-11-28', 100)).rows).toBe(1);
      // Erasure: a user's meetings, and the meetings left when the user row goes.
      const subjects = new KyselySubjectRepository(store.db, store.dialect);
      expect((await subjects.deleteMeetings('tenant-a', [erased.id])).rows).toBe(1);
      expect((await subjects.deleteUser('tenant-a', 'user-erased')).meetings.map((m) => m.id)).toEqual([
        erasedUsers.id,
      ]);
      // Offboarding: the tenant's rows table by table (its meetings by tenant id), then the tenant.
      const tenants = new KyselyTenantPurgeRepository(store.db, store.dialect);
      for (const table of await tenants.tenantTables()) await tenants.deleteRows('tenant-b', table, 100);
      await tenants.destroyTenant('tenant-b', new Date(START));

      expect(await store.db.selectFrom('meetings').select('id').execute()).toEqual([{ id: kept.id }]);
      expect(await rows()).toEqual([kept.id]);
    });
  });
}
