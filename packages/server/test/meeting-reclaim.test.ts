/**
 * Sign-out deletes the user's Exchange id, so a later sign-in creates a new user row and the meetings
 * stay with the old one. The add-in presents the Outlook item's idempotency key (Roomlink-Item-Key):
 * a meeting of a signed-out organizer of the same tenant moves to the caller; anything else is the
 * same 404 as before. Real app and database, on every dialect.
 */
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/store/schema.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { insertUser } from './support/sessions.js';

const TENANT = 'tenant-reclaim';
const OTHER_TENANT = 'tenant-elsewhere';
const DAY = 86_400_000;
const D1 = new Date(Date.now() + DAY).toISOString().slice(0, 10);

let serial = 0;
/** A key as the add-in makes one: `rl-` and 32 hex digits. */
const itemKey = () => `rl-${(++serial).toString(16).padStart(32, '0')}`;

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`re-claiming a meeting after sign-out on ${label}`, () => {
    let t: TestApp;
    let db: Kysely<Database>;
    beforeAll(async () => {
      t = await startTestApp(dialect);
      db = (t.runtime.store as unknown as { db: Kysely<Database> }).db;
    });
    afterAll(async () => t?.close());

    /** User `before` (a row of its own) creates a meeting with `key`; `signOut` marks the row as sign-out does. */
    const meetingOf = async (before: string, key: string, signOut = true, tenant = TENANT) => {
      await insertUser(t.runtime.store, tenant, before);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: sessionHeader(tenant, before),
        payload: {
          subject: 'Budget review',
          start: `${D1}T09:00:00Z`,
          end: `${D1}T10:00:00Z`,
          idempotencyKey: key,
        },
      });
      expect(res.statusCode).toBe(201);
      if (signOut) await t.runtime.store.users.markSignedOut(before);
      return res.json().id as string;
    };
    const organizerOf = async (id: string) =>
      (await db.selectFrom('meetings').select('organizer_id').where('id', '=', id).executeTakeFirst())
        ?.organizer_id;
    const reclaims = async (id: string) =>
      db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'meeting.reclaimed')
        .where('target_id', '=', id)
        .execute();
    const request = (
      method: 'GET' | 'PATCH' | 'DELETE' | 'POST',
      url: string,
      user: string,
      key: string | undefined,
      tenant = TENANT,
      payload?: object,
    ) =>
      t.app.inject({
        method,
        url,
        headers: { ...sessionHeader(tenant, user), ...(key ? { 'roomlink-item-key': key } : {}) },
        ...(payload ? { payload } : {}),
      });

    it('moves the meeting to the new user row that presents the item key; then PATCH and DELETE work', async () => {
      const key = itemKey();
      const id = await meetingOf('anna-1', key);
      await insertUser(t.runtime.store, TENANT, 'anna-2', false, 'oid-anna-again');

      // Without the key, the new row sees nothing (as before).
      expect((await request('GET', `/api/v1/meetings/${id}`, 'anna-2', undefined)).statusCode).toBe(404);

      const got = await request('GET', `/api/v1/meetings/${id}`, 'anna-2', key);
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ id, version: 1, subject: 'Budget review' });
      expect(await organizerOf(id)).toBe('anna-2');
      const entries = await reclaims(id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ tenant_id: TENANT, actor_id: 'anna-2', target_type: 'meeting' });
      expect(JSON.parse(entries[0]?.details ?? '{}')).toEqual({ previousOrganizerId: 'anna-1' });

      // Now the caller's own: with or without the key, no second re-claim.
      const patched = await request('PATCH', `/api/v1/meetings/${id}`, 'anna-2', undefined, TENANT, {
        options: { lobby: true },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json().options.lobby).toBe(true);
      expect(await reclaims(id)).toHaveLength(1);
      // A replayed create with the item's key names the same meeting for the new row.
      const replay = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: sessionHeader(TENANT, 'anna-2'),
        payload: {
          subject: 'Budget review',
          start: `${D1}T09:00:00Z`,
          end: `${D1}T10:00:00Z`,
          idempotencyKey: key,
        },
      });
      expect(replay.statusCode).toBe(200);
      expect(replay.json().id).toBe(id);

      expect((await request('DELETE', `/api/v1/meetings/${id}`, 'anna-2', key)).statusCode).toBe(204);
      expect(await organizerOf(id)).toBeUndefined();
    });

    it('re-claims on PATCH, cancel and DELETE as well as on GET', async () => {
      for (const [method, path, payload] of [
        ['PATCH', '', { options: { lobby: true } }],
        ['POST', '/cancel', undefined],
        ['DELETE', '', undefined],
      ] as const) {
        const key = itemKey();
        const before = `ben-${method}-1`;
        const after = `ben-${method}-2`;
        const id = await meetingOf(before, key);
        await insertUser(t.runtime.store, TENANT, after, false, `oid-${after}`);
        const res = await request(method, `/api/v1/meetings/${id}${path}`, after, key, TENANT, payload);
        expect(res.statusCode, method).toBe(method === 'DELETE' ? 204 : 200);
        if (method === 'DELETE') expect(await organizerOf(id)).toBeUndefined();
        else expect(await organizerOf(id)).toBe(after);
      }
    });

    it('answers the same 404 and changes nothing for a wrong key, an active owner, another tenant or a caller with that key', async () => {
      const key = itemKey();
      const id = await meetingOf('carl-1', key);
      await insertUser(t.runtime.store, TENANT, 'carl-2', false, 'oid-carl-again');
      const activeKey = itemKey();
      const activeId = await meetingOf('dana', activeKey, false);
      await insertUser(t.runtime.store, OTHER_TENANT, 'eve', false, 'oid-eve');

      const refused = [
        await request('GET', `/api/v1/meetings/${id}`, 'carl-2', itemKey()),
        await request('PATCH', `/api/v1/meetings/${id}`, 'carl-2', `${key}0`, TENANT, {
          options: { lobby: true },
        }),
        await request('DELETE', `/api/v1/meetings/${id}`, 'carl-2', key.toUpperCase()),
        // Another tenant: the meeting is not found in the caller's tenant at all.
        await request('GET', `/api/v1/meetings/${id}`, 'eve', key, OTHER_TENANT),
        await request('DELETE', `/api/v1/meetings/${id}`, 'eve', key, OTHER_TENANT),
        // The owner is still signed in: never taken from them, even with the right key.
        await request('GET', `/api/v1/meetings/${activeId}`, 'carl-2', activeKey),
        await request('DELETE', `/api/v1/meetings/${activeId}`, 'carl-2', activeKey),
      ];
      const first = refused[0]?.json();
      for (const res of refused) {
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual(first);
      }
      expect(await organizerOf(id)).toBe('carl-1');
      expect(await organizerOf(activeId)).toBe('dana');
      expect(await reclaims(id)).toHaveLength(0);
      expect(await reclaims(activeId)).toHaveLength(0);

      // A user that needs to sign in again is not signed out either.
      const needsKey = itemKey();
      const needsId = await meetingOf('fay', needsKey, false);
      await t.runtime.store.users.requireSignIn('fay', null);
      expect((await request('GET', `/api/v1/meetings/${needsId}`, 'carl-2', needsKey)).statusCode).toBe(404);
      expect(await organizerOf(needsId)).toBe('fay');

      // The caller already has a meeting with that key (the item was added again meanwhile): its own
      // meeting is the one the item names, the old one stays where it is.
      const twinKey = itemKey();
      const oldId = await meetingOf('gus-1', twinKey);
      await insertUser(t.runtime.store, TENANT, 'gus-2', false, 'oid-gus-again');
      const own = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: sessionHeader(TENANT, 'gus-2'),
        payload: {
          subject: 'Again',
          start: `${D1}T09:00:00Z`,
          end: `${D1}T10:00:00Z`,
          idempotencyKey: twinKey,
        },
      });
      expect(own.statusCode).toBe(201);
      expect((await request('GET', `/api/v1/meetings/${oldId}`, 'gus-2', twinKey)).statusCode).toBe(404);
      expect(await organizerOf(oldId)).toBe('gus-1');
    });

    it('documents the header in the OpenAPI document for each meeting route', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const item = doc.paths['/api/v1/meetings/{id}'];
      for (const operation of [
        item.get,
        item.patch,
        item.delete,
        doc.paths['/api/v1/meetings/{id}/cancel'].post,
      ]) {
        expect(operation.parameters).toContainEqual(
          expect.objectContaining({ in: 'header', name: 'roomlink-item-key', required: false }),
        );
      }
    });

    it('a header that is not a key is refused by validation', async () => {
      const res = await request('GET', `/api/v1/meetings/${crypto.randomUUID()}`, 'anyone', 'bad key!');
      expect(res.statusCode).toBe(400);
    });
  });
}
