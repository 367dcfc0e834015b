/**
 * Gaps of the meetings API closed for the add-in: the Idempotency-Key header as an alternative to the
 * body's idempotencyKey, a leap second refused as any invalid date-time (400, not the domain's 422),
 * a body-less write told its body is missing (malformed_json), and a cancel that ends the room's live
 * sessions only once its cancellation is committed.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';

const SOON = daysFromNow(3);
const DAY = SOON.start.slice(0, 10);
const valid = { subject: 'Gaps', start: SOON.start, end: SOON.end, timeZone: 'Europe/Paris' };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`meetings API v1 gaps on ${label}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(dialect);
    });
    afterAll(async () => t?.close());
    afterEach(() => vi.restoreAllMocks());

    const alice = sessionHeader('tenant-gaps', 'alice');
    const inject = (options: InjectOptions) => t.app.inject(options);
    const post = (payload: object, headers: Record<string, string> = {}) =>
      inject({ method: 'POST', url: '/api/v1/meetings', headers: { ...alice, ...headers }, payload });
    const meetingCount = async () =>
      Number(
        (
          await t.runtime.store.db
            .selectFrom('meetings')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    describe('the Idempotency-Key header', () => {
      it('is taken instead of the body field: the same key, header or body, gives the same meeting', async () => {
        const first = await post(valid, { 'idempotency-key': 'outlook-item-header-1' });
        expect(first.statusCode).toBe(201);
        const { id } = first.json();
        const again = await post(valid, { 'idempotency-key': 'outlook-item-header-1' });
        expect(again.statusCode).toBe(200);
        expect(again.json().id).toBe(id);
        expect(again.headers.location).toBe(`/api/v1/meetings/${id}`);
        const inBody = await post({ ...valid, idempotencyKey: 'outlook-item-header-1' });
        expect(inBody.statusCode).toBe(200);
        expect(inBody.json().id).toBe(id);
        const both = await post(
          { ...valid, idempotencyKey: 'outlook-item-header-1' },
          { 'idempotency-key': 'outlook-item-header-1' },
        );
        expect(both.statusCode).toBe(200);
        expect(both.json().id).toBe(id);
      });

      it('refuses a header and a body field that differ with 400 invalid_request, writing nothing', async () => {
        const before = await meetingCount();
        const res = await post(
          { ...valid, idempotencyKey: 'outlook-item-body-2' },
          { 'idempotency-key': 'outlook-item-header-2' },
        );
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({
          code: 'invalid_request',
          detail: expect.stringMatching(/Idempotency-Key header and the body's idempotencyKey differ/),
        });
        expect(await meetingCount()).toBe(before);
      });

      it('validates the header as the body field: a short one is 400 naming the header', async () => {
        const before = await meetingCount();
        const res = await post(valid, { 'idempotency-key': 'short' });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({
          code: 'invalid_request',
          detail: expect.stringMatching(/idempotency-key/),
        });
        expect(await meetingCount()).toBe(before);
      });
    });

    describe('a leap second', () => {
      // The schema's date-time format takes a second 60 where it could be a leap second: at 23:59 UTC.
      it.each([
        ['start', { start: `${DAY}T23:59:60Z`, end: `${DAY}T23:59:59Z` }],
        ['end', { end: `${DAY}T23:59:60Z` }],
        ['end', { end: `${DAY}T00:59:60+01:00` }],
      ])(
        'in %s of a create is 400 invalid_request naming the field (%j), writing nothing',
        async (field, times) => {
          const before = await meetingCount();
          const res = await post({ ...valid, ...times, idempotencyKey: 'outlook-item-leap' });
          expect(res.statusCode).toBe(400);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.json()).toMatchObject({
            code: 'invalid_request',
            detail: expect.stringMatching(new RegExp(`^body/${field} must be a date-time that exists`)),
            errors: [{ path: `body/${field}`, message: expect.stringMatching(/leap second/) }],
          });
          expect(await meetingCount()).toBe(before);
        },
      );

      it('elsewhere in the day is 400 invalid_request too, by the schema', async () => {
        const res = await post({ ...valid, start: `${DAY}T12:00:60Z`, idempotencyKey: 'outlook-item-leap' });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'invalid_request', errors: [{ path: 'body/start' }] });
      });

      it('in a PATCH is 400 invalid_request naming the field, changing nothing', async () => {
        const created = await post({ ...valid, idempotencyKey: 'outlook-item-leap-patch' });
        const { id, version } = created.json();
        const res = await inject({
          method: 'PATCH',
          url: `/api/v1/meetings/${id}`,
          headers: alice,
          payload: { end: `${DAY}T23:59:60Z` },
        });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'invalid_request', errors: [{ path: 'body/end' }] });
        const read = await inject({ method: 'GET', url: `/api/v1/meetings/${id}`, headers: alice });
        expect(read.json().version).toBe(version);
      });
    });

    describe('a write without a body', () => {
      it('is told its body is missing (400 malformed_json), not that it does not match the schema', async () => {
        const created = await post({ ...valid, idempotencyKey: 'outlook-item-no-body' });
        const { id } = created.json();
        const before = await meetingCount();
        for (const [method, url] of [
          ['POST', '/api/v1/meetings'],
          ['PATCH', `/api/v1/meetings/${id}`],
        ] as const) {
          // No payload, no Content-Type: Fastify runs no body parser at all.
          const res = await inject({ method, url, headers: alice });
          expect(res.statusCode, `${method} ${url}`).toBe(400);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.json(), `${method} ${url}`).toMatchObject({
            code: 'malformed_json',
            type: 'https://roomlink.dev/problems/malformed-json',
            detail: expect.stringMatching(/the body is missing/),
          });
        }
        expect(await meetingCount()).toBe(before);
        // Still: no session, no schema talk.
        const anonymous = await inject({ method: 'POST', url: '/api/v1/meetings' });
        expect(anonymous.statusCode).toBe(401);
        // A route that takes no body is unaffected.
        const cancelled = await inject({
          method: 'POST',
          url: `/api/v1/meetings/${id}/cancel`,
          headers: alice,
        });
        expect(cancelled.statusCode).toBe(200);
      });
    });

    describe('a recurrence in a response', () => {
      it('is Graph’s patternedRecurrence as the schema types it, also when sync stored a property more', async () => {
        // Calendar sync stores Graph's recurrence as Graph sent it, through the service.
        const { meeting } = await t.runtime.meetings.create(
          { tenantId: 'tenant-gaps', userId: 'alice', isTenantAdmin: false },
          {
            subject: 'Synced series',
            start: new Date(valid.start),
            end: new Date(valid.end),
            timeZone: 'Europe/Paris',
            recurrence: {
              pattern: { type: 'daily', interval: 1, month: 0, dayOfMonth: 0, futureProperty: true },
              range: {
                type: 'noEnd',
                startDate: DAY,
                endDate: '0001-01-01',
                recurrenceTimeZone: 'Europe/Paris',
              },
              '@odata.type': '#microsoft.graph.patternedRecurrence',
            },
          },
        );
        const read = await inject({ method: 'GET', url: `/api/v1/meetings/${meeting.id}`, headers: alice });
        expect(read.statusCode).toBe(200);
        expect(read.json().recurrence).toEqual({
          pattern: { type: 'daily', interval: 1, month: 0, dayOfMonth: 0 },
          range: { type: 'noEnd', startDate: DAY, endDate: '0001-01-01', recurrenceTimeZone: 'Europe/Paris' },
        });
      });
    });

    describe('cancel', () => {
      it('ends the room’s live sessions only after its cancellation is committed', async () => {
        const created = await post({ ...valid, idempotencyKey: 'outlook-item-cancel-commit' });
        const { id } = created.json();
        const statusWhenEnded: string[] = [];
        const cancelRoom = vi.spyOn(t.runtime.builtin, 'cancelRoom').mockImplementation(async () => {
          const stored = await t.runtime.store.meetings.findById('tenant-gaps', id);
          statusWhenEnded.push(stored?.status ?? 'gone');
        });

        // The commit fails: the meeting still exists, so nobody is sent out of its room.
        const transaction = vi
          .spyOn(t.runtime.store, 'transaction')
          .mockRejectedValueOnce(new Error('the commit failed'));
        const failed = await inject({ method: 'POST', url: `/api/v1/meetings/${id}/cancel`, headers: alice });
        expect(failed.statusCode).toBe(500);
        expect(transaction).toHaveBeenCalledTimes(1);
        expect(cancelRoom).not.toHaveBeenCalled();
        const read = await inject({ method: 'GET', url: `/api/v1/meetings/${id}`, headers: alice });
        expect(read.json().status).toBe('scheduled');

        // The commit succeeds: the room is ended, and the meeting was cancelled by then.
        const done = await inject({ method: 'POST', url: `/api/v1/meetings/${id}/cancel`, headers: alice });
        expect(done.statusCode).toBe(200);
        expect(done.json().status).toBe('cancelled');
        expect(cancelRoom).toHaveBeenCalledTimes(1);
        expect(statusWhenEnded).toEqual(['cancelled']);
      });

      it('asks the provider again when a cancel is retried after the provider failed', async () => {
        const created = await post({ ...valid, idempotencyKey: 'outlook-item-cancel-retry' });
        const { id } = created.json();
        const cancelRoom = vi
          .spyOn(t.runtime.builtin, 'cancelRoom')
          .mockRejectedValueOnce(new Error('the provider is unreachable'))
          .mockResolvedValue(undefined);

        // The cancellation is committed, but the room was not ended: the caller is told it failed.
        const failed = await inject({ method: 'POST', url: `/api/v1/meetings/${id}/cancel`, headers: alice });
        expect(failed.statusCode).toBe(500);
        const read = await inject({ method: 'GET', url: `/api/v1/meetings/${id}`, headers: alice });
        expect(read.json().status).toBe('cancelled');

        // Its retry finds the meeting cancelled and still ends the room.
        const retried = await inject({
          method: 'POST',
          url: `/api/v1/meetings/${id}/cancel`,
          headers: alice,
        });
        expect(retried.statusCode).toBe(200);
        expect(retried.json().status).toBe('cancelled');
        expect(cancelRoom).toHaveBeenCalledTimes(2);
        const audit = await t.runtime.store.audit.list('tenant-gaps', { limit: 100 });
        expect(audit.filter((e) => e.action === 'meeting.cancelled' && e.targetId === id)).toHaveLength(1);
      });
    });
  });
}
