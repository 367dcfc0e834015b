/** The meetings API over the real app and database, on every dialect. */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toGraphRecurrence } from '../../addin/web/core/recurrence.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';

const alice = sessionHeader('tenant-contoso', 'alice');
const bob = sessionHeader('tenant-contoso', 'bob');
const mallory = sessionHeader('tenant-fabrikam', 'mallory');

const DAY = 86_400_000;
/**
 * The UTC day `offset` days from today (YYYY-MM-DD). The meetings here are ahead of the clock: a
 * meeting whose purge day has come is refused (3 months after it ends), and fixed dates would be.
 */
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
const D1 = day(1);
const D2 = day(2);

const valid = {
  subject: 'Budget review',
  start: `${D1}T09:00:00Z`,
  end: `${D1}T10:00:00Z`,
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
        start: `${D1}T09:00:00.000Z`,
        end: `${D1}T10:00:00.000Z`,
      });
      expect(body.joinUrl).toMatch(/^https:\/\/roomlink\.test\/m\/[A-Za-z0-9_-]{22}$/);
      expect(body.sipUri).toBe(`${body.conferenceId}@roomlink.test`);
      expect(body.conferenceId).toMatch(/^[1-9]\d{9}$/);
      expect(body.hostPin).toMatch(/^\d{6}$/);
      expect(body.guestPin).toBeNull();
      expect(body.validFrom).toBe(`${D1}T08:00:00.000Z`);
      expect(body.validUntil).toBe(`${D1}T11:00:00.000Z`);
      expect(body.instructions.language).toBe('en');
      expect(body.instructions.html).toContain(body.joinUrl);
      // The SIP address shows the conference id, whose digits can hold the PIN's by chance.
      expect(body.instructions.html.replaceAll(body.conferenceId, '')).not.toContain(body.hostPin);
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
        range: { type: 'noEnd', startDate: D1 },
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
          start: `${D2}T09:00:00Z`,
          end: `${D2}T11:00:00Z`,
          options: { guestPin: true },
        },
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({
        subject: 'Budget review (moved)',
        validFrom: `${D2}T08:00:00.000Z`,
        validUntil: `${D2}T12:00:00.000Z`,
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

    it('writes nothing for a PATCH that changes nothing, and answers 404, not 409, to one that lost to a DELETE', async () => {
      const created = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: alice,
          payload: { ...valid, idempotencyKey: 'outlook-item-noop' },
        })
      ).json();
      const url = `/api/v1/meetings/${created.id}`;
      const before = await counts();
      // What a client that sends back what it read, or nothing new, sends.
      for (const payload of [
        { options: {} },
        { subject: valid.subject, start: valid.start, end: valid.end, timeZone: valid.timeZone },
        { options: { guestPin: false, lobby: created.options.lobby } },
      ]) {
        const same = await t.app.inject({ method: 'PATCH', url, headers: alice, payload });
        expect(same.statusCode, JSON.stringify(payload)).toBe(200);
        expect(same.json()).toMatchObject({
          version: 1,
          subject: valid.subject,
          updatedAt: created.updatedAt,
        });
      }
      expect(await counts()).toEqual(before);

      // The meeting deleted (or changed) between the PATCH's read and its write.
      const db = (
        t.runtime.store as unknown as {
          db: import('kysely').Kysely<import('../src/store/schema.js').Database>;
        }
      ).db;
      const builtin = t.runtime.builtin;
      const updateRoom = builtin.updateRoom.bind(builtin);
      const spy = vi.spyOn(builtin, 'updateRoom');
      try {
        spy.mockImplementationOnce(async (room, request) => {
          await db.updateTable('meetings').set({ version: 7 }).where('id', '=', created.id).execute();
          return updateRoom(room, request);
        });
        const changed = await t.app.inject({
          method: 'PATCH',
          url,
          headers: alice,
          payload: { subject: 'x' },
        });
        expect(changed.statusCode).toBe(409);
        expect(changed.json().code).toBe('concurrent_update');
        spy.mockImplementationOnce(async (room, request) => {
          await db.deleteFrom('meetings').where('id', '=', created.id).execute();
          return updateRoom(room, request);
        });
        const gone = await t.app.inject({ method: 'PATCH', url, headers: alice, payload: { subject: 'y' } });
        expect(gone.statusCode).toBe(404);
        expect(gone.json().code).toBe('meeting_not_found');
      } finally {
        spy.mockRestore();
      }
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
      [
        'an unknown property',
        { ...valid, colour: 'red' },
        400,
        /additional properties|the property "colour"/,
      ],
      ['a start that is not a date-time', { ...valid, start: 'tomorrow' }, 400, /start/],
      ['an end before the start', { ...valid, end: `${D1}T08:00:00Z` }, 422, /end must be after start/],
      ['a meeting of 40 days', { ...valid, end: `${day(41)}T10:00:00Z` }, 422, /31 days/],
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
      // Graph's recurrencePatternType has no hourly member: the schema refuses it.
      [
        'an hourly recurrence (Graph has none)',
        {
          ...valid,
          recurrence: {
            pattern: { type: 'hourly', interval: 1 },
            range: { type: 'noEnd', startDate: D1 },
          },
        },
        400,
        /recurrence\/pattern\/type must be (one of: daily, weekly, absoluteMonthly|equal to constant)/,
      ],
      [
        'a numbered recurrence of 0 occurrences',
        {
          ...valid,
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'numbered', startDate: D1, numberOfOccurrences: 0 },
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

    const post = (payload: object, headers = sessionHeader('tenant-new', 'u')) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers,
        payload: { idempotencyKey: 'outlook-item-checked', ...payload },
      });
    /** The answer is a problem with this status, code and detail, and nothing was written. */
    const expectRefused = async (
      send: () => Promise<LightMyRequestResponse>,
      status: number,
      code: string,
      detail: RegExp,
    ) => {
      const before = await counts();
      const res = await send();
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status, code, detail: expect.stringMatching(detail) });
      expect(await counts()).toEqual(before);
    };

    describe('recurrence', () => {
      const weekly = { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] };
      const noEnd = { type: 'noEnd', startDate: D1 };
      const deep = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

      it('refuses a recurrence nested thousands deep with 400, not a 500, and writes nothing', async () => {
        const recurrence = (at: 'pattern' | 'range') =>
          at === 'pattern'
            ? `{"pattern":{"type":"daily","interval":1,"deep":${deep(5_000)}},"range":{"type":"noEnd","startDate":"${D1}"}}`
            : `{"pattern":{"type":"daily","interval":1},"range":{"type":"noEnd","startDate":"${D1}","deep":${deep(5_000)}}}`;
        const created = await post({ ...valid, idempotencyKey: 'outlook-item-deep-target' }, alice);
        expect(created.statusCode).toBe(201);
        for (const at of ['pattern', 'range'] as const) {
          const json = { 'content-type': 'application/json' };
          await expectRefused(
            () =>
              t.app.inject({
                method: 'POST',
                url: '/api/v1/meetings',
                headers: { ...sessionHeader('tenant-new', 'u'), ...json },
                payload: `{"subject":"x","start":"${valid.start}","end":"${valid.end}","recurrence":${recurrence(at)}}`,
              }),
            400,
            'invalid_request',
            new RegExp(
              `body/recurrence/${at} must (NOT have additional properties|not have the property "deep")`,
            ),
          );
          await expectRefused(
            () =>
              t.app.inject({
                method: 'PATCH',
                url: `/api/v1/meetings/${created.json().id}`,
                headers: { ...alice, ...json },
                payload: `{"recurrence":${recurrence(at)}}`,
              }),
            400,
            'invalid_request',
            new RegExp(
              `body/recurrence/${at} must (NOT have additional properties|not have the property "deep")`,
            ),
          );
        }
        expect(
          (
            await t.app.inject({ method: 'GET', url: created.headers.location as string, headers: alice })
          ).json(),
        ).toMatchObject({ version: 1, recurrence: null });
      });

      // Not Graph's shape (its metadata's types and enum members): the schema's 400.
      const malformed: [string, object, RegExp][] = [
        [
          'an end date that is no day (30 February)',
          { pattern: weekly, range: { type: 'endDate', startDate: D1, endDate: '2099-02-30' } },
          /range\/endDate must match format "date"/,
        ],
        [
          'a start date that is no date',
          { pattern: weekly, range: { type: 'noEnd', startDate: 'bogus' } },
          /range\/startDate must match format "date"/,
        ],
        [
          'a day that is no day of the week',
          { pattern: { ...weekly, daysOfWeek: ['funday'] }, range: noEnd },
          /daysOfWeek\/0 must be (one of: sunday, monday|equal to constant)/,
        ],
        [
          'a week index Graph does not have',
          {
            pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'], index: 'fifth' },
            range: noEnd,
          },
          /pattern\/index must be (one of: first, second, third, fourth, last|equal to constant)/,
        ],
        [
          'a first day of the week that is no day',
          { pattern: { ...weekly, firstDayOfWeek: 'Sunday' }, range: noEnd },
          /pattern\/firstDayOfWeek must be (one of: sunday|equal to constant)/,
        ],
        [
          'an interval beyond Graph’s Int32',
          { pattern: { type: 'daily', interval: 1e308 }, range: noEnd },
          /pattern\/interval must be <= 2147483647/,
        ],
        [
          'a fractional interval',
          { pattern: { type: 'daily', interval: 1.5 }, range: noEnd },
          /pattern\/interval must be integer/,
        ],
        [
          'a count beyond Graph’s Int32',
          { pattern: weekly, range: { type: 'numbered', startDate: D1, numberOfOccurrences: 1e308 } },
          /range\/numberOfOccurrences must be <= 2147483647/,
        ],
        [
          'a property Graph’s recurrencePattern does not have',
          { pattern: { ...weekly, hourOfDay: 9 }, range: noEnd },
          /recurrence\/pattern must (NOT have additional properties|not have the property "hourOfDay")/,
        ],
        [
          'a range type Graph does not have',
          { pattern: weekly, range: { type: 'forever', startDate: D1 } },
          /range\/type must be (one of: endDate, noEnd, numbered|equal to constant)/,
        ],
      ];
      it.each(malformed)('refuses %s with 400 and writes nothing', async (_name, recurrence, detail) => {
        await expectRefused(() => post({ ...valid, recurrence }), 400, 'invalid_request', detail);
      });

      // Graph's shape, but no series Outlook makes: the domain's 422, naming the field.
      const senseless: [string, object, RegExp][] = [
        [
          'an end date before the start date',
          { pattern: weekly, range: { type: 'endDate', startDate: D2, endDate: D1 } },
          /^range\.endDate must not be before range\.startDate$/,
        ],
        [
          'no start date',
          { pattern: weekly, range: { type: 'noEnd' } },
          /^range\.startDate must be a calendar date/,
        ],
        [
          'an end date range without its end date',
          { pattern: weekly, range: { type: 'endDate', startDate: D1 } },
          /^range\.endDate must be a calendar date/,
        ],
        [
          'a weekly interval over 99',
          { pattern: { ...weekly, interval: 100 }, range: noEnd },
          /^pattern\.interval must be a whole number from 1 to 99 for a weekly pattern$/,
        ],
        [
          'a daily interval over 999',
          { pattern: { type: 'daily', interval: 1000 }, range: noEnd },
          /^pattern\.interval must be a whole number from 1 to 999 for a daily pattern$/,
        ],
        [
          'an interval of 0',
          { pattern: { type: 'daily', interval: 0 }, range: noEnd },
          /^pattern\.interval must be a whole number from 1 to 999/,
        ],
        [
          '1000 occurrences (Outlook stops at 999)',
          { pattern: weekly, range: { type: 'numbered', startDate: D1, numberOfOccurrences: 1000 } },
          /^range\.numberOfOccurrences must be a whole number from 1 to 999$/,
        ],
        [
          'a yearly pattern in month 13',
          { pattern: { type: 'absoluteYearly', interval: 1, dayOfMonth: 4, month: 13 }, range: noEnd },
          /^pattern\.month must be a month number from 1 to 12 for a absoluteYearly pattern$/,
        ],
        [
          'a yearly pattern without its month',
          {
            pattern: { type: 'relativeYearly', interval: 1, daysOfWeek: ['monday'], index: 'first' },
            range: noEnd,
          },
          /^pattern\.month must be a month number from 1 to 12/,
        ],
        [
          'a monthly pattern on day 32',
          { pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 32 }, range: noEnd },
          /^pattern\.dayOfMonth must be a day number from 1 to 31 for a absoluteMonthly pattern$/,
        ],
        [
          'a weekly pattern on no day',
          { pattern: { type: 'weekly', interval: 1, daysOfWeek: [] }, range: noEnd },
          /^pattern\.daysOfWeek must name at least one day for a weekly pattern$/,
        ],
        [
          'a relative monthly pattern without days',
          { pattern: { type: 'relativeMonthly', interval: 1, index: 'last' }, range: noEnd },
          /^pattern\.daysOfWeek must name at least one day for a relativeMonthly pattern$/,
        ],
      ];
      it.each(senseless)(
        'refuses %s with 422 invalid_recurrence and writes nothing',
        async (_name, recurrence, detail) => {
          await expectRefused(() => post({ ...valid, recurrence }), 422, 'invalid_recurrence', detail);
        },
      );

      it('refuses the same on PATCH, and leaves the meeting as it was', async () => {
        const created = await post(
          {
            ...valid,
            idempotencyKey: 'outlook-item-recurrence-patch',
            recurrence: { pattern: weekly, range: noEnd },
          },
          alice,
        );
        expect(created.statusCode).toBe(201);
        const url = `/api/v1/meetings/${created.json().id}`;
        const patch = (recurrence: object) => () =>
          t.app.inject({ method: 'PATCH', url, headers: alice, payload: { recurrence } });
        await expectRefused(
          patch({ pattern: weekly, range: { type: 'endDate', startDate: D1, endDate: '2099-02-30' } }),
          400,
          'invalid_request',
          /range\/endDate/,
        );
        await expectRefused(
          patch({ pattern: weekly, range: { type: 'numbered', startDate: D1, numberOfOccurrences: 1000 } }),
          422,
          'invalid_recurrence',
          /numberOfOccurrences/,
        );
        const now = (await t.app.inject({ method: 'GET', url, headers: alice })).json();
        expect(now).toMatchObject({ version: 1, recurrence: { pattern: weekly, range: noEnd } });
      });

      it('accepts Graph’s own full shape (placeholders for what a type does not use) and Outlook’s limits', async () => {
        // As Graph returns a series: every property, 0 / 0001-01-01 where the type uses none.
        const fromGraph = {
          pattern: {
            type: 'weekly',
            interval: 1,
            month: 0,
            dayOfMonth: 0,
            daysOfWeek: ['monday', 'wednesday'],
            firstDayOfWeek: 'sunday',
            index: 'first',
          },
          range: {
            type: 'noEnd',
            startDate: D1,
            endDate: '0001-01-01',
            recurrenceTimeZone: 'W. Europe Standard Time',
            numberOfOccurrences: 0,
          },
        };
        const limits = [
          fromGraph,
          {
            pattern: { type: 'daily', interval: 999 },
            range: { type: 'numbered', startDate: D1, numberOfOccurrences: 999 },
          },
          { pattern: { ...weekly, interval: 99 }, range: { type: 'endDate', startDate: D1, endDate: D1 } },
          {
            pattern: { type: 'absoluteYearly', interval: 99, dayOfMonth: 31, month: 12 },
            range: { type: 'noEnd', startDate: D1, recurrenceTimeZone: null },
          },
        ];
        for (const [i, recurrence] of limits.entries()) {
          const res = await post(
            { ...valid, idempotencyKey: `outlook-item-graph-shape-${i}`, recurrence },
            alice,
          );
          expect(res.statusCode, JSON.stringify(recurrence)).toBe(201);
          expect(res.json().recurrence).toEqual(recurrence);
        }
      });

      it('accepts every recurrence the Outlook add-in sends (Office.js converted by the add-in)', async () => {
        const seriesTime = (end: string | null) => ({ getStartDate: () => D1, getEndDate: () => end });
        const office = [
          { recurrenceType: 'daily', recurrenceProperties: { interval: 3 } },
          { recurrenceType: 'weekday' },
          {
            recurrenceType: 'weekly',
            recurrenceProperties: { interval: 2, days: ['mon', 'thu'], firstDayOfWeek: 'mon' },
          },
          { recurrenceType: 'monthly', recurrenceProperties: { interval: 1, dayOfMonth: 31 } },
          {
            recurrenceType: 'monthly',
            recurrenceProperties: { interval: 2, dayOfWeek: 'weekday', weekNumber: 'last' },
          },
          { recurrenceType: 'yearly', recurrenceProperties: { interval: 1, dayOfMonth: 29, month: 'feb' } },
          {
            recurrenceType: 'yearly',
            recurrenceProperties: { interval: 1, dayOfWeek: 'day', weekNumber: 'fourth', month: 'nov' },
          },
        ];
        let n = 0;
        for (const o of office) {
          for (const end of [null, day(200)]) {
            const recurrence = toGraphRecurrence({
              ...o,
              recurrenceTimeZone: { name: 'Romance Standard Time' },
              seriesTime: seriesTime(end),
            });
            // What the add-in sends (web/core/item.ts): the series' zone, else Outlook's own (Windows names).
            const res = await post(
              {
                ...valid,
                idempotencyKey: `outlook-item-addin-${n++}`,
                timeZone: recurrence?.range.recurrenceTimeZone,
                recurrence,
              },
              alice,
            );
            expect(res.statusCode, JSON.stringify(recurrence)).toBe(201);
            expect(res.json().recurrence).toEqual(recurrence);
          }
        }
      });
    });

    describe('meetings in the past', () => {
      const at = (offsetDays: number, hour = 9) =>
        new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 11) +
        `${String(hour).padStart(2, '0')}:00:00Z`;

      const tooOld: [string, object, RegExp][] = [
        [
          'a meeting in year 0000',
          { start: '0000-01-01T00:00:00Z', end: '0000-01-01T01:00:00Z' },
          /^a meeting may not start before 1970-01-01T00:00:00Z$/,
        ],
        [
          'a meeting in 1969',
          { start: '1969-12-31T22:00:00Z', end: '1969-12-31T23:00:00Z' },
          /^a meeting may not start before 1970-01-01T00:00:00Z$/,
        ],
        [
          'a meeting that ended 4 months ago',
          { start: at(-122, 9), end: at(-122, 10) },
          /^the meeting ended too long ago: Roomlink keeps a meeting 3 months after it ends, so it would be deleted at once \(purge day \d{4}-\d{2}-\d{2}\)$/,
        ],
        [
          'a series with no end that began 2 years and 4 months ago',
          {
            start: at(-852, 9),
            end: at(-852, 10),
            recurrence: {
              pattern: { type: 'daily', interval: 1 },
              range: { type: 'noEnd', startDate: at(-852).slice(0, 10) },
            },
          },
          /^the meeting series ended too long ago/,
        ],
        [
          'a series whose last occurrence was 4 months ago',
          {
            start: at(-200, 9),
            end: at(-200, 10),
            recurrence: {
              pattern: { type: 'daily', interval: 1 },
              range: { type: 'endDate', startDate: at(-200).slice(0, 10), endDate: at(-122).slice(0, 10) },
            },
          },
          /^the meeting series ended too long ago/,
        ],
      ];
      it.each(tooOld)(
        'refuses %s with 422 invalid_meeting_times and writes nothing',
        async (_name, times, detail) => {
          await expectRefused(() => post({ ...valid, ...times }), 422, 'invalid_meeting_times', detail);
        },
      );

      it('counts from the tenant’s own retention', async () => {
        const tenantId = 'tenant-short-retention';
        const tenant = await t.runtime.store.tenants.ensure(tenantId, new Date());
        await t.runtime.store.tenants.updateSettings(
          tenantId,
          { ...tenant.settings, retentionDays: 2 },
          new Date(),
        );
        const headers = sessionHeader(tenantId, 'u');
        await expectRefused(
          () => post({ ...valid, start: at(-2, 9), end: at(-2, 10) }, headers),
          422,
          'invalid_meeting_times',
          /keeps a meeting 2 days after it ends/,
        );
        const kept = await post(
          { ...valid, idempotencyKey: 'outlook-item-kept-1-day', start: at(0, 0), end: at(0, 1) },
          headers,
        );
        expect(kept.statusCode).toBe(201);
      });

      it('still creates, renames and changes options of a past meeting while it is kept, but refuses moving it past its purge day', async () => {
        const created = await post(
          { ...valid, idempotencyKey: 'outlook-item-last-week', start: at(-10, 9), end: at(-10, 10) },
          alice,
        );
        expect(created.statusCode).toBe(201);
        const url = `/api/v1/meetings/${created.json().id}`;
        const renamed = await t.app.inject({
          method: 'PATCH',
          url,
          headers: alice,
          payload: { subject: 'Minutes', options: { lobby: true } },
        });
        expect(renamed.statusCode).toBe(200);
        expect(renamed.json()).toMatchObject({ subject: 'Minutes', version: 2, options: { lobby: true } });
        // Its times sent again as they are: no change, no refusal.
        const same = await t.app.inject({
          method: 'PATCH',
          url,
          headers: alice,
          payload: { subject: 'Minutes (final)', start: at(-10, 9), end: at(-10, 10) },
        });
        expect(same.statusCode).toBe(200);
        await expectRefused(
          () =>
            t.app.inject({
              method: 'PATCH',
              url,
              headers: alice,
              payload: { start: at(-122, 9), end: at(-122, 10) },
            }),
          422,
          'invalid_meeting_times',
          /^the meeting ended too long ago/,
        );
        await expectRefused(
          () =>
            t.app.inject({
              method: 'PATCH',
              url,
              headers: alice,
              payload: { start: '1969-07-20T20:00:00Z', end: '1969-07-20T21:00:00Z' },
            }),
          422,
          'invalid_meeting_times',
          /before 1970/,
        );
        const now = (await t.app.inject({ method: 'GET', url, headers: alice })).json();
        expect(now).toMatchObject({
          subject: 'Minutes (final)',
          version: 3,
          start: new Date(at(-10, 9)).toISOString(),
        });
      });
      it('lets calendar sync follow the calendar: its updates (no refuseExpired) are not refused', async () => {
        const created = await post({ ...valid, idempotencyKey: 'outlook-item-moved-in-outlook' }, alice);
        const actor = { tenantId: 'tenant-contoso', userId: 'alice', isTenantAdmin: false };
        // The organizer moved the appointment, in Outlook, to 4 months ago: retention purges it next.
        const moved = await t.runtime.meetings.update(actor, created.json().id, {
          start: new Date(at(-122, 9)),
          end: new Date(at(-122, 10)),
        });
        expect(moved.version).toBe(2);
      });
    });

    describe('time zone', () => {
      it.each(['Not/AZone', '', 'Mars/Olympus_Mons', 'pacific standard time', 'GMT+1', '+05:00'])(
        'refuses %j with 422 invalid_meeting_times and writes nothing',
        async (timeZone) => {
          await expectRefused(
            () => post({ ...valid, timeZone }),
            422,
            'invalid_meeting_times',
            /^timeZone must be an IANA time zone name \(such as Europe\/Paris\) or a Windows time zone name/,
          );
        },
      );

      it('accepts IANA names and aliases Intl knows, and Windows names as Outlook gives them', async () => {
        const zones = [
          'Europe/Paris',
          'UTC',
          'Etc/UTC',
          'Asia/Calcutta',
          'America/Argentina/ComodRivadavia',
          'Romance Standard Time',
          'Pacific Standard Time',
          'W. Europe Standard Time',
          'UTC-11',
          null,
        ];
        for (const [i, timeZone] of zones.entries()) {
          const res = await post({ ...valid, idempotencyKey: `outlook-item-zone-${i}`, timeZone }, alice);
          expect(res.statusCode, String(timeZone)).toBe(201);
          expect(res.json().timeZone).toBe(timeZone);
        }
      });

      it('refuses an unknown zone on PATCH and keeps the stored one', async () => {
        const created = await post({ ...valid, idempotencyKey: 'outlook-item-zone-patch' }, alice);
        const url = `/api/v1/meetings/${created.json().id}`;
        await expectRefused(
          () => t.app.inject({ method: 'PATCH', url, headers: alice, payload: { timeZone: 'Not/AZone' } }),
          422,
          'invalid_meeting_times',
          /^timeZone must be/,
        );
        const moved = await t.app.inject({
          method: 'PATCH',
          url,
          headers: alice,
          payload: { timeZone: 'Tokyo Standard Time' },
        });
        expect(moved.json()).toMatchObject({ timeZone: 'Tokyo Standard Time', version: 2 });
      });

      describe('a series names its zone', () => {
        const weekly = { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] };
        const series = (range: object = {}) => ({
          pattern: weekly,
          range: { type: 'noEnd', startDate: D1, ...range },
        });
        const noZone =
          /^a recurring meeting needs a time zone \(timeZone, or recurrence\.range\.recurrenceTimeZone\)/;

        it.each([
          ['no timeZone and no recurrenceTimeZone', { timeZone: undefined, recurrence: series() }],
          [
            'timeZone null, recurrenceTimeZone null',
            { timeZone: null, recurrence: series({ recurrenceTimeZone: null }) },
          ],
          [
            'timeZone null, recurrenceTimeZone empty',
            { timeZone: null, recurrence: series({ recurrenceTimeZone: '' }) },
          ],
        ])('refuses a series with %s: 422 invalid_recurrence, nothing written', async (_name, fields) => {
          await expectRefused(() => post({ ...valid, ...fields }), 422, 'invalid_recurrence', noZone);
        });

        it('refuses a recurrenceTimeZone it cannot read, even beside a timeZone it can', async () => {
          await expectRefused(
            () => post({ ...valid, recurrence: series({ recurrenceTimeZone: 'Mars/Olympus_Mons' }) }),
            422,
            'invalid_recurrence',
            /^range\.recurrenceTimeZone must be an IANA time zone name \(such as Europe\/Paris\) or a Windows/,
          );
        });

        it('accepts the zone in either place, and a single meeting with none', async () => {
          const accepted = [
            { timeZone: null, recurrence: series({ recurrenceTimeZone: 'Romance Standard Time' }) },
            { timeZone: 'Europe/Paris', recurrence: series({ recurrenceTimeZone: null }) },
            { timeZone: null, recurrence: null },
          ];
          for (const [i, fields] of accepted.entries()) {
            const res = await post(
              { ...valid, idempotencyKey: `outlook-item-series-zone-${i}`, ...fields },
              alice,
            );
            expect(res.statusCode, JSON.stringify(fields)).toBe(201);
          }
        });

        it('refuses a PATCH that would leave a series with no zone, and keeps the meeting as it was', async () => {
          const created = await post(
            { ...valid, idempotencyKey: 'outlook-item-series-zone-patch', recurrence: series() },
            alice,
          );
          expect(created.statusCode).toBe(201);
          const url = `/api/v1/meetings/${created.json().id}`;
          const patch = (payload: object) => () =>
            t.app.inject({ method: 'PATCH', url, headers: alice, payload });
          await expectRefused(patch({ timeZone: null }), 422, 'invalid_recurrence', noZone);
          await expectRefused(
            patch({ recurrence: series({ recurrenceTimeZone: 'Not/AZone' }) }),
            422,
            'invalid_recurrence',
            /^range\.recurrenceTimeZone must be/,
          );
          const now = (await t.app.inject({ method: 'GET', url, headers: alice })).json();
          expect(now).toMatchObject({ version: 1, timeZone: 'Europe/Paris', recurrence: series() });
        });

        it('lets calendar sync keep a series with a zone it cannot read, and a zone-less series be renamed', async () => {
          const actor = { tenantId: 'tenant-contoso', userId: 'alice', isTenantAdmin: false };
          // Made before series had to name a zone, or by sync's own service: no zone at all.
          const { meeting } = await t.runtime.meetings.create(actor, {
            subject: 'Weekly sync',
            start: new Date(valid.start),
            end: new Date(valid.end),
            timeZone: null,
            recurrence: series(),
            idempotencyKey: 'outlook-item-series-zone-legacy',
          });
          const url = `/api/v1/meetings/${meeting.id}`;
          const renamed = await t.app.inject({
            method: 'PATCH',
            url,
            headers: alice,
            payload: { subject: 'Weekly' },
          });
          expect(renamed.json()).toMatchObject({ subject: 'Weekly', version: 2, timeZone: null });
          // Graph names a custom zone (tzone://Microsoft/Custom): sync follows the calendar all the same.
          const followed = await t.runtime.meetings.update(actor, meeting.id, {
            recurrence: series({ recurrenceTimeZone: 'tzone://Microsoft/Custom' }),
          });
          expect(followed.version).toBe(3);
          await expectRefused(
            () =>
              t.app.inject({
                method: 'PATCH',
                url,
                headers: alice,
                payload: { start: valid.start.replace('09:', '08:') },
              }),
            422,
            'invalid_recurrence',
            /^range\.recurrenceTimeZone must be/,
          );
        });
      });
    });

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

describe('meetings API on a Roomlink with no SIP gateway (ROOMLINK_SIP_DOMAIN=none)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { ROOMLINK_SIP_DOMAIN: 'none' } });
  });
  afterAll(async () => t?.close());

  it('offers no SIP address, in the join details or the instructions', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/meetings',
      headers: alice,
      payload: { ...valid, idempotencyKey: 'outlook-item-no-sip' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.sipUri).toBeNull();
    expect(body.conferenceId).toMatch(/^[1-9]\d{9}$/);
    for (const output of [body.instructions.html, body.instructions.text]) {
      expect(output).toContain(body.joinUrl);
      expect(output).not.toMatch(/sip:|@roomlink\.test|video conferencing/);
    }
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/meetings/${body.id}`, headers: alice });
    expect(read.json().sipUri).toBeNull();
  });
});
