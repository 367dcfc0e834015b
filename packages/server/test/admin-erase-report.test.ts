/**
 * An erasure from the admin console reports rooms it could not end (`roomsNotEnded`), over real HTTP
 * on both dialects: a meeting that reaches the erased user while the erasure runs is deleted with
 * the user row, and its room ended best-effort; one that cannot be ended was counted in the audit
 * entry only, and the admin who asked was told nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminTestApp,
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  startAdminApp,
} from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';

const T = 't-erase-report';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`erasure report on ${label}`, () => {
    let t: AdminTestApp;
    let headers: Record<string, string>;

    beforeAll(async () => {
      t = await startAdminApp(dialect);
      await insertNamedUser(t.runtime, T, 'e-admin', { isAdmin: true });
      await insertNamedUser(t.runtime, T, 'e-subject', { name: 'Eve Subject' });
      await insertNamedUser(t.runtime, T, 'e-other');
      headers = {
        cookie: `roomlink_session=${await insertBrowserSession(t.runtime, T, 'e-admin')}`,
        origin: t.runtime.config.baseUrl.origin,
      };
    });
    afterAll(async () => t?.close());

    const erase = async (userId: string) => {
      const r = await fetch(`${t.url}/api/v1/admin/users/${userId}`, { method: 'DELETE', headers });
      expect(r.status).toBe(200);
      return (await r.json()) as { meetings: number; roomsNotEnded: number };
    };

    it('answers 0 when every room was ended', async () => {
      await createMeeting(t.runtime, T, 'e-other', 'Other’s meeting');
      expect(await erase('e-other')).toMatchObject({ meetings: 1, roomsNotEnded: 0 });
    });

    it('answers how many rooms could not be ended, as the audit entry counts them', async () => {
      await createMeeting(t.runtime, T, 'e-subject', 'Eve’s meeting');
      await insertNamedUser(t.runtime, T, 'e-late');
      const late = await createMeeting(t.runtime, T, 'e-late', 'A late meeting');
      // The erasure's last step finds a meeting that reached the user meanwhile, whose room's
      // provider is no longer configured: it cannot be ended.
      const repository = t.retention.subjectRepository;
      const deleteUser = repository.deleteUser.bind(repository);
      repository.deleteUser = async (tenantId, userId) => {
        await t.runtime.store.db
          .updateTable('meetings')
          .set({ organizer_id: userId, provider: 'retired-provider' })
          .where('id', '=', late)
          .execute();
        return deleteUser(tenantId, userId);
      };
      try {
        expect(await erase('e-subject')).toMatchObject({ meetings: 2, roomsNotEnded: 1 });
      } finally {
        repository.deleteUser = deleteUser;
      }
      const [entry] = await t.runtime.store.audit.list(T, { limit: 1 });
      expect(entry).toMatchObject({ action: 'user.erased', details: { roomsNotEnded: 1 } });
    });
  });
}
