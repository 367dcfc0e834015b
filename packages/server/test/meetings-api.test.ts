/** The meetings API over the real app and database, on every dialect. */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';

const alice = sessionHeader('tenant-contoso', 'alice');
const bob = sessionHeader('tenant-contoso', 'bob');
const mallory = sessionHeader('tenant-fabrikam', 'mallory');

const valid = {
  subject: 'Budget review',
  start: '2026-12-01T09:00:00Z',
  end: '2026-12-01T10:00:00Z',
  timeZone: 'Europe/Paris',
  idempotencyKey: 'outlook-item-0001',
};

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`meetings API on ${label}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(dialect);
    });
    afterAll(async () => t?.close());

    const counts = async () => {
      const db = (
        t.runtime.store as unknown as {
          db: import('kysely').Kysely<import('../src/store/schema.js').Database>;
        }
      ).db;
      const n = async (table: 'meetings' | 'tenants' | 'audit_log' | 'tenant_keys') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return {
        meetings: await n('meetings'),
        tenants: await n('tenants'),
        audit: await n('audit_log'),
        keys: await n('tenant_keys'),
      };
    };

    it('creates a meeting with join details and instructions', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: alice,
        payload: { ...valid, idempotencyKey: 'outlook-item-create' },
      });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(res.headers.location).toBe(`/api/v1/meetings/${body.id}`);
      expect(body).toMatchObject({
        status: 'scheduled',
        subject: 'Budget review',
        start: '2026-12-01T09:00:00.000Z',
        end: '2026-12-01T10:00:00.000Z',
      });
      expect(body.joinUrl).toMatch(/^https:\/\/roomlink\.test\/m\/[A-Za-z0-9_-]{22}$/);
      expect(body.sipUri).toBe(`${body.conferenceId}@roomlink.test`);
      expect(body.conferenceId).toMatch(/^[1-9]\d{9}$/);
      expect(body.hostPin).toMatch(/^\d{6}$/);
      expect(body.guestPin).toBeNull();
      expect(body.validFrom).toBe('2026-12-01T08:00:00.000Z');
      expect(body.validUntil).toBe('2026-12-01T11:00:00.000Z');
      expect(body.instructions.language).toBe('en');
      expect(body.instructions.html).toContain(body.joinUrl);
      expect(body.instructions.html).not.toContain(body.hostPin);
      expect(body.instructions.text).toContain(body.joinUrl);
    });

    it('gives meetings time-ordered ids (UUID v7), so that new rows share the right-most index pages', async () => {
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: alice,
          payload: { ...valid, idempotencyKey: `outlook-item-order-${n}` },
        });
        expect(res.statusCode).toBe(201);
        ids.push(res.json().id);
      }
      for (const id of ids)
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(3);
    });

    it('is idempotent: the same key returns the same meeting, not a second room', async () => {
      const before = await counts();
      const first = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: alice,
        payload: valid,
      });
      const replays = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.app.inject({ method: 'POST', url: '/api/v1/meetings', headers: alice, payload: valid }),
        ),
      );
      expect(first.statusCode).toBe(201);
      for (const r of replays) {
        expect(r.statusCode).toBe(200);
        expect(r.json().id).toBe(first.json().id);
        expect(r.json().joinUrl).toBe(first.json().joinUrl);
      }
      expect((await counts()).meetings).toBe(before.meetings + 1);
    });

    it('refuses a key reused for an item of another shape, but replays it after the meeting itself changed shape', async () => {
      const weekly = {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] },
        range: { type: 'noEnd', startDate: '2026-12-01' },
      };
      const series = { ...valid, idempotencyKey: 'outlook-item-shape', recurrence: weekly };
      const post = (payload: object) =>
        t.app.inject({ method: 'POST', url: '/api/v1/meetings', headers: alice, payload });
      const created = await post(series);
      expect(created.statusCode).toBe(201);

      const before = await counts();
      const single = await post({ ...valid, idempotencyKey: 'outlook-item-shape' });
      expect(single.statusCode).toBe(422);
      expect(single.json().code).toBe('idempotency_key_reused');
      expect(await counts()).toEqual(before);

      // The organizer made the series a single meeting; the add-in's retry still names it.
      const url = `/api/v1/meetings/${created.json().id}`;
      const patched = await t.app.inject({
        method: 'PATCH',
        url,
        headers: alice,
        payload: { recurrence: null },
      });
      expect(patched.statusCode).toBe(200);
      const replay = await post(series);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toMatchObject({ id: created.json().id, recurrence: null });
      expect((await counts()).meetings).toBe(before.meetings);
    });

    it('concurrent first creates with one key make one meeting', async () => {
      const before = await counts();
      const payload = { ...valid, idempotencyKey: 'outlook-item-race' };
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.app.inject({ method: 'POST', url: '/api/v1/meetings', headers: alice, payload }),
        ),
      );
      expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect((await counts()).meetings).toBe(before.meetings + 1);
    });

    it('uses the guest PIN option and the requested language', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings?lang=fr-FR',
        headers: alice,
        payload: { ...valid, idempotencyKey: 'outlook-item-guest', options: { guestPin: true, lobby: true } },
      });
      const body = res.json();
      expect(body.guestPin).toMatch(/^\d{6}$/);
      expect(body.guestPin).not.toBe(body.hostPin);
      expect(body.instructions.language).toBe('fr');
      expect(body.instructions.html).toContain(body.guestPin);
      expect(body.options).toEqual({ guestPin: true, lobby: true });
    });

    it('takes the language from ?lang, then the meeting’s own, then Accept-Language, skipping what it does not speak', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: alice,
        payload: { ...valid, idempotencyKey: 'outlook-item-language', options: { language: 'fr' } },
      });
      expect(created.json().instructions.language).toBe('fr');
      const id = created.json().id as string;
      const languageOf = async (query: string, acceptLanguage?: string) =>
        (
          await t.app.inject({
            method: 'GET',
            url: `/api/v1/meetings/${id}${query}`,
            headers: { ...alice, ...(acceptLanguage ? { 'accept-language': acceptLanguage } : {}) },
          })
        ).json().instructions.language;
      expect(await languageOf('?lang=en')).toBe('en');
      // A language Roomlink does not speak, or none, is no choice: the meeting's own comes next.
      expect(await languageOf('?lang=de')).toBe('fr');
      expect(await languageOf('?lang=', 'en')).toBe('fr');
      expect(await languageOf('')).toBe('fr');
    });

    it('reads, updates, cancels and deletes, only for the organizer', async () => {
      const created = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: alice,
          payload: { ...valid, idempotencyKey: 'outlook-item-life' },
        })
      ).json();
      const url = `/api/v1/meetings/${created.id}`;
      expect((await t.app.inject({ method: 'GET', url, headers: alice })).json().subject).toBe(
        'Budget review',
      );
      expect((await t.app.inject({ method: 'GET', url, headers: bob })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url, headers: mallory })).statusCode).toBe(404);
      expect(
        (await t.app.inject({ method: 'PATCH', url, headers: mallory, payload: { subject: 'x' } }))
          .statusCode,
      ).toBe(404);

      const patched = await t.app.inject({
        method: 'PATCH',
        url,
        headers: alice,
        payload: {
          subject: 'Budget review (moved)',
          start: '2026-12-02T09:00:00Z',
          end: '2026-12-02T11:00:00Z',
          options: { guestPin: true },
        },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({
        subject: 'Budget review (moved)',
        validFrom: '2026-12-02T08:00:00.000Z',
        validUntil: '2026-12-02T12:00:00.000Z',
        version: 2,
        joinUrl: created.joinUrl,
        hostPin: created.hostPin,
      });
      expect(patched.json().guestPin).toMatch(/^\d{6}$/);

      const cancelled = await t.app.inject({ method: 'POST', url: `${url}/cancel`, headers: alice });
      expect(cancelled.json().status).toBe('cancelled');
      const afterCancel = await t.app.inject({
        method: 'PATCH',
        url,
        headers: alice,
        payload: { subject: 'y' },
      });
      expect(afterCancel.statusCode).toBe(409);
      expect(afterCancel.json().code).toBe('meeting_cancelled');

      expect((await t.app.inject({ method: 'DELETE', url, headers: mallory })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'DELETE', url, headers: alice })).statusCode).toBe(204);
      expect((await t.app.inject({ method: 'GET', url, headers: alice })).statusCode).toBe(404);
    });

    it('needs a session', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/meetings', payload: valid });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });

    it('answers 401 to a caller without a session before it parses or validates anything', async () => {
      const anonymous: InjectOptions[] = [
        { method: 'POST', url: '/api/v1/meetings', payload: { colour: 'red' } },
        {
          method: 'POST',
          url: '/api/v1/meetings',
          headers: { 'content-type': 'application/json' },
          payload: '{"subject":',
        },
        { method: 'GET', url: `/api/v1/meetings/not-an-id?lang=${'x'.repeat(200)}` },
        { method: 'PATCH', url: '/api/v1/meetings/not-an-id', payload: { start: 'tomorrow' } },
        { method: 'POST', url: '/api/v1/meetings/not-an-id/cancel' },
        { method: 'DELETE', url: '/api/v1/meetings/not-an-id' },
      ];
      for (const request of anonymous) {
        const res = await t.app.inject(request);
        expect(res.statusCode, `${request.method} ${request.url}`).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().detail).toBe('sign in with Roomlink to use this API');
      }
    });

    const rejected: [string, Record<string, unknown>, number, RegExp][] = [
      ['a missing subject', { start: valid.start, end: valid.end }, 400, /subject/],
      ['an unknown property', { ...valid, colour: 'red' }, 400, /additional properties/],
      ['a start that is not a date-time', { ...valid, start: 'tomorrow' }, 400, /start/],
      ['an end before the start', { ...valid, end: '2026-12-01T08:00:00Z' }, 422, /end must be after start/],
      ['a meeting of 40 days', { ...valid, end: '2027-01-10T10:00:00Z' }, 422, /31 days/],
      ['a subject of 300 characters', { ...valid, subject: 'x'.repeat(300) }, 400, /subject/],
      ['a short idempotency key', { ...valid, idempotencyKey: 'a' }, 400, /idempotencyKey/],
      ['a PIN option of the wrong type', { ...valid, options: { guestPin: 'yes' } }, 400, /guestPin/],
      // Purge days, 3 months after the end, compare as text: a 5-digit year would sort first.
      [
        'an end after 9999-09-30',
        { ...valid, start: '9999-12-01T09:00:00Z', end: '9999-12-01T10:00:00Z' },
        422,
        /9999-09-30/,
      ],
      [
        'an hourly recurrence (Graph has none)',
        {
          ...valid,
          recurrence: {
            pattern: { type: 'hourly', interval: 1 },
            range: { type: 'noEnd', startDate: '2026-12-01' },
          },
        },
        422,
        /pattern\.type/,
      ],
      [
        'a numbered recurrence of 0 occurrences',
        {
          ...valid,
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'numbered', startDate: '2026-12-01', numberOfOccurrences: 0 },
          },
        },
        422,
        /numberOfOccurrences/,
      ],
      // Encrypted as UTF-8, it would come back changed (U+FFFD) on every later read.
      ['a subject with an unpaired surrogate', { ...valid, subject: 'a\ud800b' }, 400, /not valid Unicode/],
    ];
    it.each(rejected)(
      'rejects %s with problem+json and writes nothing',
      async (_name, payload, status, detail) => {
        const before = await counts();
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: sessionHeader('tenant-new', 'u'),
          payload: {
            ...payload,
            idempotencyKey: (payload.idempotencyKey as string | undefined) ?? 'outlook-item-bad',
          },
        });
        expect(res.statusCode).toBe(status);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().detail).toMatch(detail);
        expect(await counts()).toEqual(before);
      },
    );

    it('rejects malformed JSON, other media types and oversized bodies without writing', async () => {
      const before = await counts();
      const cases = [
        { body: '{"subject": "x",', type: 'application/json', status: 400, code: 'malformed_json' },
        {
          body: 'subject=x',
          type: 'application/x-www-form-urlencoded',
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          body: JSON.stringify({ ...valid, subject: 'x'.repeat(70_000) }),
          type: 'application/json',
          status: 413,
          code: 'payload_too_large',
        },
      ];
      for (const c of cases) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: { ...alice, 'content-type': c.type },
          payload: c.body,
        });
        expect(res.statusCode, c.code).toBe(c.status);
        expect(res.json().code).toBe(c.code);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      const badId = await t.app.inject({ method: 'GET', url: '/api/v1/meetings/not-a-uuid', headers: alice });
      expect(badId.statusCode).toBe(400);
      expect(await counts()).toEqual(before);
    });

    it('names the unpaired surrogate of a body nested thousands deep, not a parse failure', async () => {
      const depth = 20_000;
      const body = `{"subject":"x","deep":${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}}`;
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers: { ...alice, 'content-type': 'application/json' },
        payload: body,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'malformed_json',
        detail: expect.stringMatching(/not valid Unicode/),
      });
    });

    it('accepts an empty JSON body on routes that take none, and refuses it where a body is required', async () => {
      const json = { ...alice, 'content-type': 'application/json' };
      const create = async (idempotencyKey: string) =>
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/meetings',
            headers: alice,
            payload: { ...valid, idempotencyKey },
          })
        ).json() as { id: string };
      // Many HTTP clients send Content-Type: application/json on every request, bodies or not.
      const deleted = await create('outlook-item-empty-delete');
      const cancelled = await create('outlook-item-empty-cancel');
      const url = `/api/v1/meetings/${deleted.id}`;
      const del = await t.app.inject({ method: 'DELETE', url, headers: json, payload: '' });
      const cancel = await t.app.inject({
        method: 'POST',
        url: `/api/v1/meetings/${cancelled.id}/cancel`,
        headers: json,
        payload: '',
      });
      expect({ delete: del.statusCode, cancel: cancel.statusCode }).toEqual({ delete: 204, cancel: 200 });
      expect(cancel.json().status).toBe('cancelled');
      expect((await t.app.inject({ method: 'GET', url, headers: alice })).statusCode).toBe(404);

      const before = await counts();
      for (const [method, target] of [
        ['POST', '/api/v1/meetings'],
        ['PATCH', `/api/v1/meetings/${cancelled.id}`],
      ] as const) {
        const res = await t.app.inject({ method, url: target, headers: json, payload: '' });
        expect(res.statusCode, method).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({
          status: 400,
          code: 'malformed_json',
          detail: 'the body is empty',
        });
      }
      expect(await counts()).toEqual(before);
    });

    it('serves an OpenAPI 3 document describing the meetings API', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/v1/meetings', '/api/v1/meetings/{id}', '/api/v1/meetings/{id}/cancel']),
      );
      expect(
        doc.paths['/api/v1/meetings'].post.requestBody.content['application/json'].schema.required,
      ).toEqual(expect.arrayContaining(['subject', 'start', 'end']));
    });

    it('answers health, readiness and metrics', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({
        status: 'ready',
      });
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.headers['content-type']).toContain('text/plain');
      expect(metrics.body).toMatch(
        /roomlink_http_requests_total\{method="POST",route="\/api\/v1\/meetings",status="201"\} \d+/,
      );
      // SQLite group-commits the creates above and syncs its log for them; PostgreSQL does neither.
      const count = (name: string) =>
        Number(new RegExp(`^${name}_count(?:\\{[^}]*\\})? (\\d+)$`, 'm').exec(metrics.body)?.[1]);
      for (const name of ['roomlink_db_group_commit_units', 'roomlink_db_log_sync_duration_seconds']) {
        if (dialect === 'sqlite') expect(count(name), name).toBeGreaterThan(0);
        else expect(count(name), name).toBe(0);
      }
      expect(metrics.body).toMatch(
        dialect === 'sqlite'
          ? /roomlink_db_group_commit_duration_seconds_count\{outcome="committed"\} [1-9]/
          : /# TYPE roomlink_db_group_commit_duration_seconds histogram/,
      );
    });

    it('audits creation and cancellation by ids only', async () => {
      const created = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: alice,
          payload: { ...valid, idempotencyKey: 'outlook-item-audit' },
        })
      ).json();
      await t.app.inject({ method: 'POST', url: `/api/v1/meetings/${created.id}/cancel`, headers: alice });
      const log = await t.runtime.store.audit.list('tenant-contoso', { limit: 100 });
      const mine = log.filter((e) => e.targetId === created.id).map((e) => e.action);
      expect(mine).toEqual(['meeting.cancelled', 'meeting.created']);
      expect(JSON.stringify(log)).not.toContain('Budget review');
    });
  });
}
