/**
 * An erasure racing a meeting create, on both dialects. A `POST /api/v1/meetings` authenticates
 * with the user's session, then creates the room and inserts the meeting: an erasure that starts in
 * between must not leave that meeting behind, belonging to nobody. The interleaving is forced with
 * promises (no timing): the create is held after authentication, the erasure is held just before
 * its last step (the user row), and the create's insert is let through at that point, after the
 * erasure deleted the meetings it found.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RoomDetails } from '../src/domain/meetings/meeting.js';
import type { RoomRequest } from '../src/domain/meetings/provider.js';
import { SubjectRequestService } from '../src/retention/index.js';
import { KyselyRetentionRepository } from '../src/store/repositories/retention.js';
import { KyselySubjectRepository } from '../src/store/repositories/retention-subjects.js';
import { type AdminTestApp, createMeeting, startAdminApp } from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { insertSession } from './support/sessions.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The erasure's repository, with a pause before its last step. */
class PausedSubjectRepository extends KyselySubjectRepository {
  beforeLastStep: () => Promise<void> = async () => undefined;

  override async deleteUser(...args: Parameters<KyselySubjectRepository['deleteUser']>) {
    await this.beforeLastStep();
    return super.deleteUser(...args);
  }
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`erasure racing a meeting create on ${label}`, () => {
    let t: AdminTestApp;

    beforeAll(async () => {
      t = await startAdminApp(dialect);
    });
    afterAll(async () => t?.close());

    it('leaves no meeting of the erased user, even one created with a session checked before the erasure', async () => {
      const { runtime, app } = t;
      const db = runtime.store.db;
      const addin = await insertSession(runtime.store, 't-race', 'grace', { kind: 'addin' });
      await insertSession(runtime.store, 't-race', 'grace', { kind: 'browser', createUser: false });
      const earlier = await createMeeting(runtime, 't-race', 'grace', 'Planned before the erasure');
      const cancelled: string[] = [];
      runtime.roomEvents.on('cancelled', (slug) => cancelled.push(slug));

      // The create is held once authenticated (its principal is set), while it creates the room.
      const authenticated = deferred();
      const proceed = deferred();
      const createRoom = runtime.builtin.createRoom.bind(runtime.builtin);
      vi.spyOn(runtime.builtin, 'createRoom').mockImplementationOnce(
        async (request: RoomRequest): Promise<RoomDetails> => {
          authenticated.resolve();
          await proceed.promise;
          return createRoom(request);
        },
      );
      const start = new Date(Date.now() + 86_400_000);
      const create = app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { authorization: `Bearer ${addin}` },
        payload: {
          subject: 'Created during the erasure',
          start: start.toISOString(),
          end: new Date(start.getTime() + 3600_000).toISOString(),
        },
      });
      await authenticated.promise;

      const subjects = new PausedSubjectRepository(db, runtime.store.dialect);
      const seen: { sessions?: number; reuse?: number; created?: { status: number; id: string } } = {};
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
        // The held create goes on: its insert commits now, after the meetings were deleted.
        proceed.resolve();
        const response = await create;
        seen.created = { status: response.statusCode, id: (response.json() as { id: string }).id };
      };
      const service = new SubjectRequestService({
        subjects,
        audit: new KyselyRetentionRepository(db, runtime.store.dialect),
        meetings: runtime.meetings,
        providers: new Map([[runtime.builtin.id, runtime.builtin]]),
        cipher: runtime.cipher,
      });

      const result = await service.erase('grace', { actor: 'admin-1', tenantId: 't-race' });

      expect(seen.created?.status).toBe(201);
      const left = await db
        .selectFrom('meetings')
        .select(['id', 'organizer_id'])
        .where('tenant_id', '=', 't-race')
        .execute();
      expect(left).toEqual([]);
      expect(result).toMatchObject({ userId: 'grace', meetings: 2, rows: { users: 1, sessions: 2 } });
      expect(await runtime.store.users.findById('grace')).toBeUndefined();
      // Signed out before the meetings were deleted: no session of either kind opened the API again.
      expect(seen.sessions).toBe(0);
      expect(seen.reuse).toBe(401);
      // The late meeting's room was ended too, and its audit trail went with it.
      expect(cancelled).toHaveLength(2);
      const trail = await db
        .selectFrom('audit_log')
        .select('id')
        .where('target_id', 'in', [earlier, seen.created?.id ?? ''])
        .execute();
      expect(trail).toEqual([]);
    });
  });
}
