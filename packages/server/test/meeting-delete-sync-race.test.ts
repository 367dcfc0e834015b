/**
 * A meeting delete racing calendar sync's writes for that meeting (sync_events, sync_occurrences).
 * Retention finds those rows only through the meeting row, and they hold encrypted meeting times:
 * whatever sync writes once the delete has run its dependent deletes would stay for good.
 *
 * The interleavings are forced with promises the test controls (no timing):
 * - both dialects: sync read the meeting before the delete and writes after the delete returned;
 * - PostgreSQL (READ COMMITTED, a pool of connections): sync writes while the delete's transaction
 *   is held between its dependent deletes and its meeting delete, or just before its COMMIT; and a
 *   sync transaction that wrote the meeting's overrides is held open while the delete starts.
 *
 * On SQLite the last three cannot happen within a process: a store transaction holds the one
 * connection for its whole batch (store/write-batcher.ts), so no other statement runs inside it.
 *
 * Where one side waits for the other on PostgreSQL, the test waits until that side has either
 * finished or is seen waiting for the other's lock (pg_blocking_pids), then lets the other go on.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../src/domain/principal.js';
import type { CalendarItem } from '../src/domain/sync/calendar-item.js';
import type { EventLinkRecord, OccurrenceRecord, SyncStore } from '../src/domain/sync/ports.js';
import { CalendarSyncService } from '../src/domain/sync/sync-service.js';
import { KyselyMeetingRepository } from '../src/store/repositories/meetings.js';
import { KyselyRetentionRepository } from '../src/store/repositories/retention.js';
import { KyselySubjectRepository } from '../src/store/repositories/retention-subjects.js';
import { kyselySyncStore } from '../src/store/repositories/sync-state.js';
import type { Database } from '../src/store/schema.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { startTestApp, type TestApp } from './support/harness.js';
import {
  backendPid,
  builtWrite,
  HoldAfter,
  heldBackend,
  hold,
  rawDelete,
  settledOrWaiting,
} from './support/pg-interleaving.js';
import { insertUser } from './support/sessions.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`a meeting delete racing calendar sync on ${label}`, () => {
    let t: TestApp;
    let seq = 0;

    beforeAll(async () => {
      t = await startTestApp(dialect);
    });
    afterAll(async () => t?.close());
    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** A daily series of a week, organized by a user calendar sync knows (sync_events names users). */
    async function seriesMeeting() {
      seq += 1;
      const tenantId = `tenant-race-${seq}`;
      const userId = `organizer-${seq}`;
      await insertUser(t.runtime.store, tenantId, userId);
      const actor: Principal = { tenantId, userId, isTenantAdmin: false };
      const first = new Date(Math.ceil(Date.now() / HOUR) * HOUR + DAY);
      const recurrence = {
        pattern: { type: 'daily', interval: 1 },
        range: {
          type: 'endDate',
          startDate: first.toISOString().slice(0, 10),
          endDate: new Date(first.getTime() + 6 * DAY).toISOString().slice(0, 10),
          recurrenceTimeZone: 'UTC',
        },
      };
      const { meeting } = await t.runtime.meetings.create(actor, {
        subject: 'Weekly planning',
        start: first,
        end: new Date(first.getTime() + HOUR / 2),
        recurrence,
      });
      return { actor, owner: { tenantId, userId }, meeting, first, recurrence };
    }

    function link(meetingId: string, tenantId: string, userId: string): EventLinkRecord {
      return {
        meetingId,
        tenantId,
        userId,
        eventHash: `hash-${meetingId}`,
        eventIdCt: 'v1.event',
        kind: 'series',
        versionCt: 'v1.version',
      };
    }

    function occurrence(meetingId: string, tenantId: string): OccurrenceRecord {
      return { meetingId, tenantId, occurrenceKey: `key-${meetingId}`, windowCt: 'v1.window' };
    }

    /** What is left of the meeting anywhere: its row and calendar sync's rows. */
    async function leftOf(id: string) {
      const db = t.runtime.store.db;
      const count = async (table: string, column: string) => {
        const { rows } = await sql<{ n: unknown }>`
          select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} = ${id}`.execute(db);
        return Number(rows[0]?.n);
      };
      return {
        meetings: await count('meetings', 'id'),
        sync_events: await count('sync_events', 'meeting_id'),
        sync_occurrences: await count('sync_occurrences', 'meeting_id'),
      };
    }
    const nothing = { meetings: 0, sync_events: 0, sync_occurrences: 0 };

    it('writes nothing for a meeting that sync read before the delete and writes for after it', async () => {
      const { actor, owner, meeting, first, recurrence } = await seriesMeeting();
      const store = kyselySyncStore(t.runtime.store.db);
      // Sync is held at its first write for the meeting (the series' overrides; the link follows).
      const beforeWrite = hold();
      const held: SyncStore = {
        ...store,
        occurrences: {
          list: (id) => store.occurrences.list(id),
          replace: async (...args) => {
            await beforeWrite.arrive();
            return store.occurrences.replace(...args);
          },
        },
      };
      const service = new CalendarSyncService({
        store: held,
        meetings: t.runtime.meetings,
        cipher: t.runtime.cipher,
        window: { openBeforeMinutes: 15, closeAfterMinutes: 60 },
      });
      const master: CalendarItem = {
        id: `event-${meeting.id}`,
        type: 'seriesMaster',
        subject: meeting.subject,
        start: meeting.start,
        end: meeting.end,
        isCancelled: false,
        lastModified: new Date().toISOString(),
        changeKey: 'change-1',
        seriesMasterId: null,
        originalStart: null,
        recurrence,
        seriesTimeZone: 'UTC',
        cancelledOccurrenceDates: [],
        customMeetingId: meeting.id,
        body: null,
      };
      const second = new Date(first.getTime() + DAY);
      const moved: CalendarItem = {
        ...master,
        id: `occurrence-${meeting.id}`,
        type: 'exception',
        start: new Date(second.getTime() + HOUR),
        end: new Date(second.getTime() + HOUR + HOUR / 2),
        seriesMasterId: master.id,
        originalStart: second,
        recurrence: null,
      };

      const applying = service.applyItem(owner, master, [moved]);
      await beforeWrite.reached;
      await t.runtime.meetings.delete(actor, meeting.id);
      beforeWrite.release();

      // A meeting deleted meanwhile is a normal case for sync: the change is applied without error.
      await expect(applying).resolves.toBeDefined();
      expect(await leftOf(meeting.id)).toEqual(nothing);
    });

    it('still replaces a live meeting’s overrides as one unit', async () => {
      const { owner, meeting } = await seriesMeeting();
      const store = kyselySyncStore(t.runtime.store.db);
      const window = (key: string, windowCt: string): OccurrenceRecord => ({
        meetingId: meeting.id,
        tenantId: owner.tenantId,
        occurrenceKey: key,
        windowCt,
      });
      const keysAndWindows = async () =>
        (await store.occurrences.list(meeting.id)).map((r) => `${r.occurrenceKey}=${r.windowCt}`).sort();

      await store.occurrences.replace(meeting.id, [window('a', 'v1.a'), window('b', 'v1.b')], new Date());
      expect(await keysAndWindows()).toEqual(['a=v1.a', 'b=v1.b']);
      await store.occurrences.replace(meeting.id, [window('b', 'v2.b'), window('c', 'v1.c')], new Date());
      expect(await keysAndWindows()).toEqual(['b=v2.b', 'c=v1.c']);
      await store.occurrences.replace(meeting.id, [], new Date());
      expect(await keysAndWindows()).toEqual([]);

      await store.links.upsert(link(meeting.id, owner.tenantId, owner.userId), new Date());
      await store.links.upsert(
        { ...link(meeting.id, owner.tenantId, owner.userId), versionCt: 'v2' },
        new Date(),
      );
      expect(await store.links.findByMeeting(meeting.id)).toMatchObject({ versionCt: 'v2' });
    });

    describe.skipIf(dialect !== 'postgres')('PostgreSQL, with the transactions interleaved', () => {
      /**
       * The repository's delete in a transaction as the store runs it, held after its first DELETE
       * of `table` (the audit trail's is the last before the meeting's own).
       */
      function heldDelete(tenantId: string, id: string, table: string) {
        const point = hold();
        const pid = deferred<number>();
        const db = t.runtime.store.db.withPlugin(new HoldAfter(builtWrite('DeleteQueryNode', table), point));
        const done = db.transaction().execute(async (trx) => {
          pid.resolve(await backendPid(trx));
          return new KyselyMeetingRepository(trx, 'postgres').delete(tenantId, id);
        });
        return { ...point, pid: pid.promise, done };
      }

      for (const [where, table] of [
        ['between its dependent deletes and the meeting’s delete', 'audit_log'],
        ['after the meeting’s delete, before its COMMIT', 'meetings'],
      ] as const) {
        it(`leaves no sync row written while the delete is held ${where}`, async () => {
          const { owner, meeting } = await seriesMeeting();
          const db = t.runtime.store.db;
          const del = heldDelete(owner.tenantId, meeting.id, table);
          await del.reached;

          const store = kyselySyncStore(db);
          const now = new Date();
          const writes = Promise.all([
            store.links.upsert(link(meeting.id, owner.tenantId, owner.userId), now),
            store.occurrences.replace(meeting.id, [occurrence(meeting.id, owner.tenantId)], now),
          ]);
          const outcome = await settledOrWaiting(db, writes, await del.pid, 2);
          del.release();

          expect(await del.done).toBe(true);
          await writes;
          expect(await leftOf(meeting.id)).toEqual(nothing);
          // Both of sync's writes waited for the delete's lock on the meeting, then found none.
          expect(outcome).toBe('waiting');
        });
      }

      for (const [purge, run] of [
        [
          'retention’s purge of meetings due',
          (db: Kysely<Database>, _tenantId: string, _id: string, purgeAfter: string) =>
            new KyselyRetentionRepository(db, 'postgres').purgeMeetingsDue(purgeAfter, 1000),
        ],
        [
          'an erasure’s delete of meetings',
          (db: Kysely<Database>, tenantId: string, id: string) =>
            new KyselySubjectRepository(db, 'postgres').deleteMeetings(tenantId, [id]),
        ],
      ] as const) {
        it(`leaves no sync row written while ${purge} is held after its first dependent delete`, async () => {
          const { owner, meeting } = await seriesMeeting();
          const db = t.runtime.store.db;
          const { rows } = await sql<{ purge_after: string }>`
            select purge_after from meetings where id = ${meeting.id}`.execute(db);
          const point = hold();
          const held = db.withPlugin(new HoldAfter(rawDelete, point));
          const purging = run(held, owner.tenantId, meeting.id, String(rows[0]?.purge_after));
          await point.reached;

          let writes: Promise<unknown> | undefined;
          let outcome: 'settled' | 'waiting';
          try {
            // The purge's backend: it stopped right after its first dependent delete.
            const pid = await heldBackend(db, 'delete from');
            const store = kyselySyncStore(db);
            const now = new Date();
            writes = Promise.all([
              store.links.upsert(link(meeting.id, owner.tenantId, owner.userId), now),
              store.occurrences.replace(meeting.id, [occurrence(meeting.id, owner.tenantId)], now),
            ]);
            outcome = await settledOrWaiting(db, writes, pid, 2);
          } finally {
            // Also when the above failed: a held purge would keep the app's close waiting for good.
            point.release();
          }

          await purging;
          await writes;
          expect(await leftOf(meeting.id)).toEqual(nothing);
          expect(outcome).toBe('waiting');
        });
      }

      it('deletes the overrides of a sync transaction that was writing them when the delete started', async () => {
        const { actor, owner, meeting } = await seriesMeeting();
        const db = t.runtime.store.db;
        // Sync's transaction has written the overrides and is held before its COMMIT.
        const beforeCommit = hold();
        const store = kyselySyncStore(
          db.withPlugin(new HoldAfter(builtWrite('InsertQueryNode', 'sync_occurrences'), beforeCommit)),
        );
        const writing = store.occurrences.replace(
          meeting.id,
          [occurrence(meeting.id, owner.tenantId)],
          new Date(),
        );
        await beforeCommit.reached;

        // The product's delete (MeetingService, through the store), on another pooled connection.
        const pid = deferred<number>();
        const original = KyselyMeetingRepository.prototype.delete;
        vi.spyOn(KyselyMeetingRepository.prototype, 'delete').mockImplementationOnce(async function (
          this: KyselyMeetingRepository,
          tenantId,
          id,
        ) {
          // The repository's handle here is the store's transaction: its backend is the delete's.
          pid.resolve(await backendPid(Reflect.get(this, 'db') as Kysely<Database>));
          return original.call(this, tenantId, id);
        });
        const deleting = t.runtime.meetings.delete(actor, meeting.id);
        // Either the delete finishes without seeing sync's uncommitted rows, or it waits for sync.
        const outcome = await settledOrWaiting(db, deleting, await pid.promise, 'waiter');
        beforeCommit.release();

        await writing;
        await deleting;
        expect(await leftOf(meeting.id)).toEqual(nothing);
        // The delete waited for sync's hold on the meeting, then deleted what sync had committed.
        expect(outcome).toBe('waiting');
      });
    });
  });
}
