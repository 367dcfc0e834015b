/**
 * An erasure racing a meeting create, on both dialects. A `POST /api/v1/meetings` authenticates
 * with the user's session, then creates the room and inserts the meeting: an erasure that starts in
 * between must not leave that meeting behind, belonging to nobody. The interleavings are forced with
 * promises (no timing): the create is held after authentication, while it creates the room, and let
 * through at a chosen point of the erasure: just before its last step (the user row), or once the
 * erasure has returned. Either way the create's session is gone by then: it writes nothing and
 * answers 401. A meeting inserted meanwhile by a caller without a session (no session to check) is
 * deleted by the erasure's last step, and its room ended best-effort. On PostgreSQL, a create that
 * checked its session inside its transaction holds the session row until it commits: the erasure's
 * sign-out waits for it, then finds and deletes its meeting.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RoomDetails } from '../src/domain/meetings/meeting.js';
import type { MeetingProvider, RoomRequest } from '../src/domain/meetings/provider.js';
import { SubjectRequestService } from '../src/retention/index.js';
import type { Runtime } from '../src/runtime.js';
import { KyselyMeetingRepository } from '../src/store/repositories/meetings.js';
import { KyselyRetentionRepository } from '../src/store/repositories/retention.js';
import { KyselySubjectRepository } from '../src/store/repositories/retention-subjects.js';
import { type AdminTestApp, createMeeting, startAdminApp } from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { insertSession } from './support/sessions.js';

/** The erasure's repository, with a pause before its last step. */
class PausedSubjectRepository extends KyselySubjectRepository {
  beforeLastStep: () => Promise<void> = async () => undefined;

  override async deleteUser(...args: Parameters<KyselySubjectRepository['deleteUser']>) {
    await this.beforeLastStep();
    return super.deleteUser(...args);
  }
}

/** Holds the next room creation (so the create that asked for it) until `proceed` is resolved. */
function holdNextRoom(runtime: Runtime) {
  const reached = deferred();
  const proceed = deferred();
  const createRoom = runtime.builtin.createRoom.bind(runtime.builtin);
  vi.spyOn(runtime.builtin, 'createRoom').mockImplementationOnce(
    async (request: RoomRequest): Promise<RoomDetails> => {
      reached.resolve();
      await proceed.promise;
      return createRoom(request);
    },
  );
  return { reached: reached.promise, proceed: () => proceed.resolve() };
}

const inADay = () => {
  const start = new Date(Date.now() + 86_400_000);
  return { start, end: new Date(start.getTime() + 3600_000) };
};

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`erasure racing a meeting create on ${label}`, () => {
    let t: AdminTestApp;

    beforeAll(async () => {
      t = await startAdminApp(dialect);
    });
    afterAll(async () => t?.close());

    function erasure(subjects: KyselySubjectRepository, providers?: ReadonlyMap<string, MeetingProvider>) {
      const { runtime } = t;
      return new SubjectRequestService({
        subjects,
        audit: new KyselyRetentionRepository(runtime.store.db, runtime.store.dialect),
        meetings: runtime.meetings,
        providers: providers ?? new Map([[runtime.builtin.id, runtime.builtin]]),
        cipher: runtime.cipher,
      });
    }

    /** A create with the add-in session `token`, held while it creates the room. */
    async function heldCreate(token: string, subject: string) {
      const hold = holdNextRoom(t.runtime);
      const { start, end } = inADay();
      const response = t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { authorization: `Bearer ${token}` },
        payload: { subject, start: start.toISOString(), end: end.toISOString() },
      });
      await hold.reached;
      return { response, proceed: hold.proceed };
    }

    async function tenantMeetings(tenantId: string) {
      return t.runtime.store.db
        .selectFrom('meetings')
        .select(['id', 'organizer_id'])
        .where('tenant_id', '=', tenantId)
        .execute();
    }

    async function createdAudit(tenantId: string) {
      return t.runtime.store.db
        .selectFrom('audit_log')
        .select(['action', 'target_id'])
        .where('tenant_id', '=', tenantId)
        .where('action', '=', 'meeting.created')
        .execute();
    }

    it('refuses a create whose session was checked before the erasure, released before its last step', async () => {
      const { runtime, app } = t;
      const db = runtime.store.db;
      const addin = await insertSession(runtime.store, 't-race', 'grace', { kind: 'addin' });
      await insertSession(runtime.store, 't-race', 'grace', { kind: 'browser', createUser: false });
      const earlier = await createMeeting(runtime, 't-race', 'grace', 'Planned before the erasure');
      const cancelled: string[] = [];
      runtime.roomEvents.on('cancelled', (slug) => cancelled.push(slug));
      const create = await heldCreate(addin, 'Created during the erasure');

      const subjects = new PausedSubjectRepository(db, runtime.store.dialect);
      const seen: {
        sessions?: number;
        reuse?: number;
        created?: { status: number; type: string; body: Record<string, unknown> };
      } = {};
      subjects.beforeLastStep = async () => {
        // The meetings the erasure found are deleted by now; the user's sessions must be gone too.
        const sessions = await db
          .selectFrom('sessions')
          .select('kind')
          .where('user_id', '=', 'grace')
          .execute();
        seen.sessions = sessions.length;
        const reuse = await app.inject({
          method: 'GET',
          url: `/api/v1/meetings/${earlier}`,
          headers: { authorization: `Bearer ${addin}` },
        });
        seen.reuse = reuse.statusCode;
        // The held create goes on: its session is gone, so it writes nothing.
        create.proceed();
        const response = await create.response;
        seen.created = {
          status: response.statusCode,
          type: String(response.headers['content-type']),
          body: response.json(),
        };
      };

      const result = await erasure(subjects).erase('grace', { actor: 'admin-1', tenantId: 't-race' });

      expect(seen.created?.status).toBe(401);
      expect(seen.created?.type).toContain('application/problem+json');
      expect(seen.created?.body).toMatchObject({ code: 'unauthorized', status: 401 });
      expect(await tenantMeetings('t-race')).toEqual([]);
      expect(await createdAudit('t-race')).toEqual([]);
      expect(result).toMatchObject({ userId: 'grace', meetings: 1, rows: { users: 1, sessions: 2 } });
      expect(result.roomsNotEnded).toBeUndefined();
      expect(await runtime.store.users.findById('grace')).toBeUndefined();
      // Signed out before the meetings were deleted: no session of either kind opened the API again.
      expect(seen.sessions).toBe(0);
      expect(seen.reuse).toBe(401);
      expect(cancelled).toHaveLength(1);
    });

    it('refuses a create whose session was checked before the erasure, released after it returned', async () => {
      const { runtime } = t;
      const addin = await insertSession(runtime.store, 't-late', 'hopper', { kind: 'addin' });
      await createMeeting(runtime, 't-late', 'hopper', 'Planned before the erasure');
      const create = await heldCreate(addin, 'Released after the erasure');

      const subjects = new KyselySubjectRepository(runtime.store.db, runtime.store.dialect);
      const result = await erasure(subjects).erase('hopper', { actor: 'admin-1', tenantId: 't-late' });
      expect(result).toMatchObject({ userId: 'hopper', meetings: 1, rows: { users: 1, sessions: 1 } });

      create.proceed();
      const response = await create.response;
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({
        type: 'https://roomlink.dev/problems/unauthorized',
        code: 'unauthorized',
        status: 401,
      });
      // Nothing of it: no meeting (so no idempotency record either), no audit entry.
      expect(await tenantMeetings('t-late')).toEqual([]);
      expect(await createdAudit('t-late')).toEqual([]);
      expect(await runtime.store.users.findById('hopper')).toBeUndefined();
    });

    it('deletes a meeting inserted meanwhile without a session; a room that cannot be ended does not stop the audit entry', async () => {
      const { runtime } = t;
      const db = runtime.store.db;
      await insertSession(runtime.store, 't-fail', 'lovelace', { kind: 'addin' });
      await createMeeting(runtime, 't-fail', 'lovelace', 'Planned before the erasure');
      // A caller without a session (no session to check): its insert lands after the erasure's pages.
      const hold = holdNextRoom(runtime);
      const late = createMeeting(runtime, 't-fail', 'lovelace', 'Inserted during the erasure');
      await hold.reached;
      let lateId = '';

      const builtin: MeetingProvider = runtime.builtin;
      const failing: MeetingProvider = {
        id: builtin.id,
        createRoom: (request) => builtin.createRoom(request),
        describeRoom: (codes) => builtin.describeRoom(codes),
        updateRoom: (room, request) => builtin.updateRoom(room, request),
        cancelRoom: async (room, meetingId) => {
          if (meetingId === lateId) throw new Error(`provider down for ${room.slug}`);
          return builtin.cancelRoom(room, meetingId);
        },
      };
      const warnings: { object: object; message: string }[] = [];
      const subjects = new PausedSubjectRepository(db, runtime.store.dialect);
      subjects.beforeLastStep = async () => {
        hold.proceed();
        lateId = await late;
      };
      const service = new SubjectRequestService({
        subjects,
        audit: new KyselyRetentionRepository(db, runtime.store.dialect),
        meetings: runtime.meetings,
        providers: new Map([[builtin.id, failing]]),
        cipher: runtime.cipher,
        logger: { warn: (object, message) => warnings.push({ object, message }) },
      });

      const result = await service.erase('lovelace', { actor: 'admin-1', tenantId: 't-fail' });

      expect(lateId).not.toBe('');
      expect(result).toMatchObject({ userId: 'lovelace', meetings: 2, roomsNotEnded: 1 });
      expect(await tenantMeetings('t-fail')).toEqual([]);
      expect(await runtime.store.users.findById('lovelace')).toBeUndefined();
      const erased = await db
        .selectFrom('audit_log')
        .select(['action', 'details'])
        .where('tenant_id', '=', 't-fail')
        .where('action', '=', 'user.erased')
        .where('target_id', '=', 'lovelace')
        .execute();
      expect(erased).toHaveLength(1);
      expect(JSON.parse(erased[0]?.details ?? '{}')).toMatchObject({ meetings: 2, roomsNotEnded: 1 });
      // Logged by ids only: not the error's message, nor the meeting's subject.
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.object).toEqual({
        tenantId: 't-fail',
        meetingId: lateId,
        provider: builtin.id,
        error: 'Error',
      });
      expect(JSON.stringify(warnings)).not.toMatch(/provider down|Inserted during/);
    });

    it.skipIf(dialect !== 'postgres')(
      'makes the erasure’s sign-out wait for a create that checked the session in its transaction',
      async () => {
        const { runtime, app } = t;
        const db = runtime.store.db;
        const addin = await insertSession(runtime.store, 't-lock', 'liskov', { kind: 'addin' });
        // The create is held inside its transaction: session checked, meeting not inserted yet.
        const reached = deferred();
        const proceed = deferred();
        const insert = KyselyMeetingRepository.prototype.insert;
        vi.spyOn(KyselyMeetingRepository.prototype, 'insert').mockImplementationOnce(async function (
          this: KyselyMeetingRepository,
          meeting,
        ) {
          reached.resolve();
          await proceed.promise;
          return insert.call(this, meeting);
        });
        const { start, end } = inADay();
        const response = app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: { authorization: `Bearer ${addin}` },
          payload: {
            subject: 'Checked before the sign-out',
            start: start.toISOString(),
            end: end.toISOString(),
          },
        });
        await reached.promise;

        const subjects = new KyselySubjectRepository(db, runtime.store.dialect);
        const erased = erasure(subjects).erase('liskov', { actor: 'admin-1', tenantId: 't-lock' });
        const waited = await sessionDeleteWaits(db, 5_000);
        proceed.resolve();
        const [created, result] = await Promise.all([response, erased]);

        // The create committed first, then the erasure signed the user out and deleted its meeting.
        expect(created.statusCode).toBe(201);
        expect(await tenantMeetings('t-lock')).toEqual([]);
        expect(await createdAudit('t-lock')).toEqual([]);
        expect(result).toMatchObject({ userId: 'liskov', meetings: 1, rows: { users: 1, sessions: 1 } });
        expect(waited).toBe(true);
      },
    );
  });
}

/**
 * PostgreSQL: whether a `delete from "sessions"` of this test waits for a lock within `ms`, polled.
 * Other test files share the database: only a backend holding a lock on a table of this
 * connection's schema (each test database has its own) is this test's.
 */
async function sessionDeleteWaits(db: Runtime['store']['db'], ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const { rows } = await sql<{ n: string }>`
      select count(distinct a.pid) as n from pg_stat_activity a
      join pg_locks l on l.pid = a.pid and l.granted
      join pg_class c on c.oid = l.relation
      where c.relnamespace = current_schema()::regnamespace and a.wait_event_type = 'Lock'
        and a.query ilike 'delete from "sessions"%'`.execute(db);
    if (Number(rows[0]?.n) > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
