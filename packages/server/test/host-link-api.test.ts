/**
 * POST /api/v1/meetings/{id}/host-link over the real app and database, on every dialect: who gets a
 * host link, what it holds, and what the room service is told about the tickets presented to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_LINK_TTL_MS } from '../src/domain/meetings/host-link.js';
import { meetingRoomDirectory } from '../src/rooms/directory.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';

const alice = sessionHeader('tenant-contoso', 'alice');
const bob = sessionHeader('tenant-contoso', 'bob');
const mallory = sessionHeader('tenant-fabrikam', 'mallory');

const DAY = 86_400_000;
const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
const TICKET = /^[A-Za-z0-9._-]{1,256}$/;

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`host links on ${label}`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(dialect);
    });
    afterAll(async () => t?.close());

    let keys = 0;
    const createMeeting = async (headers: Record<string, string>) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/meetings',
        headers,
        payload: {
          subject: 'Quarterly review',
          start: `${tomorrow}T09:00:00Z`,
          end: `${tomorrow}T10:00:00Z`,
          idempotencyKey: `host-link-item-${++keys}`,
        },
      });
      expect(res.statusCode).toBe(201);
      return res.json() as { id: string; joinUrl: string };
    };
    const askHostLink = (id: string, headers: Record<string, string>) =>
      t.app.inject({ method: 'POST', url: `/api/v1/meetings/${id}/host-link`, headers });
    const hostLink = async (id: string) => {
      const res = await askHostLink(id, alice);
      expect(res.statusCode).toBe(201);
      return res.json() as { url: string; expiresAt: string };
    };
    const ticketOf = (url: string) => url.slice(url.indexOf('#host=') + '#host='.length);
    const directory = () => meetingRoomDirectory(t.runtime.meetings, t.runtime.store.tenants);
    const check = async (joinUrl: string, ticket: string) => {
      const room = await directory().findBySlug(joinUrl.slice(joinUrl.lastIndexOf('/') + 1));
      if (!room?.checkHostTicket) throw new Error('the room has no host ticket check');
      return room.checkHostTicket(ticket);
    };
    const auditCount = async () =>
      (await t.runtime.store.audit.list('tenant-contoso', { limit: 1000 })).length;

    it('gives the organizer the join link with a ticket in its fragment, for 15 minutes', async () => {
      const meeting = await createMeeting(alice);
      const before = Date.now();
      const res = await askHostLink(meeting.id, alice);
      expect(res.statusCode).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json() as { url: string; expiresAt: string };
      expect(Object.keys(body).sort()).toEqual(['expiresAt', 'url']);
      expect(body.url.startsWith(`${meeting.joinUrl}#host=`)).toBe(true);
      expect(ticketOf(body.url)).toMatch(TICKET);
      const expiresAt = Date.parse(body.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + HOST_LINK_TTL_MS);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + HOST_LINK_TTL_MS);
      expect(HOST_LINK_TTL_MS).toBe(15 * 60_000);
    });

    it('tells the room service what a ticket it issued says: a fresh id each time, and its expiry', async () => {
      const meeting = await createMeeting(alice);
      const first = await hostLink(meeting.id);
      const second = await hostLink(meeting.id);
      const one = await check(meeting.joinUrl, ticketOf(first.url));
      const two = await check(meeting.joinUrl, ticketOf(second.url));
      expect(one?.expiresAt.toISOString()).toBe(first.expiresAt);
      expect(two?.expiresAt.toISOString()).toBe(second.expiresAt);
      expect(one?.id).toMatch(/^[0-9a-f]{32}$/);
      expect(two?.id).toMatch(/^[0-9a-f]{32}$/);
      expect(one?.id).not.toBe(two?.id);
    });

    it('refuses a ticket presented for another meeting, another tenant’s, a damaged one and garbage', async () => {
      const mine = await createMeeting(alice);
      const colleagues = await createMeeting(bob);
      const otherTenants = await createMeeting(mallory);
      const ticket = ticketOf((await hostLink(mine.id)).url);
      expect(await check(colleagues.joinUrl, ticket)).toBeNull();
      expect(await check(otherTenants.joinUrl, ticket)).toBeNull();
      const [version, keyId, body] = ticket.split('.') as [string, string, string];
      const flipped = `${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`;
      expect(await check(mine.joinUrl, `${version}.${keyId}.${flipped}`)).toBeNull();
      expect(await check(mine.joinUrl, `${version}.00000000-0000-4000-8000-000000000000.${body}`)).toBeNull();
      for (const garbage of ['', 'garbage', 'v1.x.y', 'v2.a.b', '...']) {
        expect(await check(mine.joinUrl, garbage)).toBeNull();
      }
      // The right ticket still opens after all that.
      expect(await check(mine.joinUrl, ticket)).not.toBeNull();
    });

    it('is audited by ids only, an entry that goes with the meeting’s own audit trail', async () => {
      const meeting = await createMeeting(alice);
      await hostLink(meeting.id);
      const issued = async () =>
        (await t.runtime.store.audit.list('tenant-contoso', { limit: 1000 })).filter(
          (e) => e.action === 'meeting.host_link_issued' && e.targetId === meeting.id,
        );
      const [entry, ...more] = await issued();
      expect(more).toEqual([]);
      expect(entry).toMatchObject({ tenantId: 'tenant-contoso', actorId: 'alice', targetType: 'meeting' });
      expect(entry?.details ?? {}).toEqual({});
      const deleted = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/meetings/${meeting.id}`,
        headers: alice,
      });
      expect(deleted.statusCode).toBe(204);
      expect(await issued()).toEqual([]);
    });

    it('answers 404 for a colleague’s or another tenant’s meeting, 401 without a session, and writes nothing', async () => {
      const meeting = await createMeeting(alice);
      const audited = await auditCount();
      for (const headers of [bob, mallory]) {
        const res = await askHostLink(meeting.id, headers);
        expect(res.statusCode).toBe(404);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().code).toBe('meeting_not_found');
      }
      const anonymous = await askHostLink(meeting.id, {});
      expect(anonymous.statusCode).toBe(401);
      const unknown = await askHostLink('00000000-0000-4000-8000-000000000000', alice);
      expect(unknown.statusCode).toBe(404);
      const malformed = await askHostLink('not-an-id', alice);
      expect(malformed.statusCode).toBe(400);
      expect(await auditCount()).toBe(audited);
    });

    it('answers 409 meeting-cancelled for a cancelled meeting', async () => {
      const meeting = await createMeeting(alice);
      const cancelled = await t.app.inject({
        method: 'POST',
        url: `/api/v1/meetings/${meeting.id}/cancel`,
        headers: alice,
      });
      expect(cancelled.statusCode).toBe(200);
      const audited = await auditCount();
      const res = await askHostLink(meeting.id, alice);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({
        code: 'meeting_cancelled',
        type: 'https://roomlink.dev/problems/meeting-cancelled',
      });
      expect(await auditCount()).toBe(audited);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const operation = doc.paths['/api/v1/meetings/{id}/host-link']?.post;
      expect(operation?.responses?.['201']).toBeDefined();
      expect(operation?.responses?.['409']).toBeDefined();
    });
  });
}
