/**
 * A series' room over real HTTP: open around each occurrence that takes place (from
 * ROOMLINK_ROOM_OPEN_BEFORE_MINUTES before it to ROOMLINK_ROOM_CLOSE_AFTER_MINUTES after it), closed
 * between occurrences, at a cancelled one and after the last, with the next opening on the status
 * endpoint; a live call ends with its occurrence's window. The room service's clock is injected (the
 * meetings' own clock, which only checks that a meeting is not too old, stays the real one).
 */
import { createRooms, type RoomService } from '@roomlink/rooms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphLimits } from '../src/domain/meetings/recurrence-rules.js';
import type { CalendarItem } from '../src/domain/sync/calendar-item.js';
import { CalendarSyncService } from '../src/domain/sync/sync-service.js';
import { productFeatures } from '../src/features.js';
import { meetingRoomDirectory } from '../src/rooms/directory.js';
import { kyselySyncStore } from '../src/store/repositories/sync-state.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { participant } from './support/room-client.js';
import { insertSession, insertUser } from './support/sessions.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (t: number) => new Date(t).toISOString();

/**
 * Thursdays 18:00–19:00 in Paris, 6 times from the first Thursday of March next year: 17:00Z before
 * summer time starts (the last Sunday of March), 16:00Z after.
 */
function parisThursdays() {
  const year = new Date().getUTCFullYear() + 1;
  const march1 = Date.UTC(year, 2, 1);
  const firstThursday = march1 + ((4 - new Date(march1).getUTCDay() + 7) % 7) * DAY;
  const march31 = Date.UTC(year, 2, 31);
  const lastSunday = march31 - new Date(march31).getUTCDay() * DAY;
  const occurrences = Array.from({ length: 6 }, (_, i) => {
    const date = firstThursday + i * 7 * DAY;
    const start = date + (date > lastSunday ? 16 : 17) * HOUR;
    return { date: iso(date).slice(0, 10), start, end: start + HOUR };
  });
  const recurrence = {
    pattern: { type: 'weekly', interval: 1, daysOfWeek: ['thursday'], firstDayOfWeek: 'sunday' },
    range: {
      type: 'numbered',
      startDate: occurrences[0]?.date,
      numberOfOccurrences: 6,
      recurrenceTimeZone: 'Romance Standard Time',
    },
  };
  return { occurrences, recurrence };
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`a series' room over HTTP (${label})`, () => {
    let t: TestApp;
    let rooms: RoomService;
    let sync: CalendarSyncService;
    let clock = Date.now();
    const owner = { tenantId: 'tenant-series', userId: 'organizer-series' };

    beforeAll(async () => {
      t = await startTestApp(dialect, {
        listen: true,
        // As features.ts composes them (calendar sync's view of occurrences for the room directory),
        // with the room service's clock in the test's hands.
        features: async (runtime) => {
          sync = new CalendarSyncService({
            store: kyselySyncStore(runtime.store.db),
            meetings: runtime.meetings.withRecurrenceLimits(graphLimits),
            cipher: runtime.cipher,
            window: runtime.config.rooms,
            onOccurrencesChanged: (meetingId) => runtime.roomEvents.emit('changed', meetingId),
          });
          rooms = createRooms({
            directory: meetingRoomDirectory(runtime.meetings, runtime.store.tenants, sync),
            openBeforeMinutes: runtime.config.rooms.openBeforeMinutes,
            closeAfterMinutes: runtime.config.rooms.closeAfterMinutes,
            now: () => new Date(clock),
          });
          runtime.roomEvents.on('changed', (slug) => void rooms.recheckRoom(slug));
          return { plugins: [(app) => rooms.register(app)] };
        },
      });
      await insertUser(t.runtime.store, owner.tenantId, owner.userId);
    });
    afterAll(async () => t?.close());

    it('opens around each occurrence only, follows cancelled and moved ones, and ends a live call with its occurrence', async () => {
      expect(t.runtime.config.rooms).toMatchObject({ openBeforeMinutes: 60, closeAfterMinutes: 60 });
      const { occurrences, recurrence } = parisThursdays();
      const [o1, o2, o3, o4, , o6] = occurrences as [
        (typeof occurrences)[0],
        (typeof occurrences)[0],
        (typeof occurrences)[0],
        (typeof occurrences)[0],
        (typeof occurrences)[0],
        (typeof occurrences)[0],
      ];
      const created = await fetch(`${t.url}/api/v1/meetings`, {
        method: 'POST',
        headers: { ...sessionHeader(owner.tenantId, owner.userId), 'content-type': 'application/json' },
        body: JSON.stringify({
          subject: 'Thursday review',
          start: iso(o1.start),
          end: iso(o1.end),
          timeZone: 'Europe/Paris',
          recurrence,
          options: { guestPin: false, lobby: false },
        }),
      });
      expect(created.status).toBe(201);
      const meeting = (await created.json()) as { id: string; joinUrl: string; hostPin: string };
      const slug = meeting.joinUrl.split('/m/')[1] as string;
      const status = async (at: number) => {
        clock = at;
        const response = await fetch(`${t.url}/api/v1/rooms/${slug}`);
        expect(response.status).toBe(200);
        return (await response.json()) as { state: string; opensAt?: string };
      };
      const signal = `${t.url.replace('http', 'ws')}/api/v1/rooms/${slug}/signal`;

      // The Monday after the first occurrence: not open (it was, until the series' last day), and
      // when it opens.
      expect(await status(o1.start + 4 * DAY)).toEqual({
        state: 'not_yet_open',
        opensAt: iso(o2.start - HOUR),
        guestPinRequired: false,
        lobby: false,
      });
      const early = await participant(signal);
      early.send({ type: 'join', name: 'Guest' });
      expect(await early.next('refused')).toMatchObject({
        reason: 'not_yet_open',
        opensAt: iso(o2.start - HOUR),
      });
      // Around an occurrence: open from an hour before to an hour after, at its local time.
      expect((await status(o2.start - HOUR - 1)).state).toBe('not_yet_open');
      expect((await status(o2.start - HOUR)).state).toBe('open');
      expect((await status(o2.end + HOUR - 1)).state).toBe('open');
      expect((await status(o2.end + HOUR)).state).toBe('not_yet_open');
      // After summer time starts, an hour earlier in UTC.
      expect((await status(o6.start - HOUR)).state).toBe('open');
      expect((await status(o6.end + HOUR)).state).toBe('closed');

      // The organizer cancels the third occurrence and moves the fourth a day later, in Outlook.
      const stored = await t.runtime.meetings.get({ ...owner, isTenantAdmin: false }, meeting.id);
      const master: CalendarItem = {
        id: 'series-master',
        type: 'seriesMaster',
        subject: stored.subject,
        start: stored.start,
        end: stored.end,
        isCancelled: false,
        lastModified: new Date().toISOString(),
        changeKey: 'ck-1',
        seriesMasterId: null,
        originalStart: null,
        recurrence: stored.recurrence,
        seriesTimeZone: 'Romance Standard Time',
        cancelledOccurrenceDates: [o3.date],
        customMeetingId: meeting.id,
        body: null,
      };
      const movedStart = o4.start + DAY;
      const moved: CalendarItem = {
        ...master,
        id: 'occurrence-4',
        type: 'exception',
        start: new Date(movedStart),
        end: new Date(movedStart + HOUR),
        seriesMasterId: master.id,
        originalStart: new Date(o4.start),
        recurrence: null,
        cancelledOccurrenceDates: [],
      };
      expect(await sync.applyItem(owner, master, [moved])).toBe('occurrences');

      // A host in the second occurrence's room just before it closes: the room's closing time is
      // this occurrence's (the hub's close timer is armed with the directory's answer at the join).
      clock = o2.end + HOUR - 200;
      const host = await participant(signal);
      host.send({ type: 'join', name: 'Host', pin: meeting.hostPin });
      await host.next('joined');
      clock = o2.end + HOUR;
      expect(await host.next('closed')).toEqual({ type: 'closed', reason: 'ended' });

      // The cancelled occurrence: closed, opening with the moved one (not right after the cancelled).
      for (const at of [
        o2.end + HOUR,
        o3.start - 30 * MINUTE,
        o3.start + 10 * MINUTE,
        o3.end + HOUR + MINUTE,
      ]) {
        expect(await status(at), iso(at)).toMatchObject({
          state: 'not_yet_open',
          opensAt: iso(movedStart - HOUR),
        });
      }
      // The moved occurrence: closed at its old time, open at its new one.
      expect(await status(o4.start + 10 * MINUTE)).toMatchObject({
        state: 'not_yet_open',
        opensAt: iso(movedStart - HOUR),
      });
      expect((await status(movedStart + 10 * MINUTE)).state).toBe('open');
      // After the last occurrence: closed (the series' window is a bound, a few hours later).
      expect((await status(o6.end + HOUR + MINUTE)).state).toBe('closed');
      expect((await status(o6.end + 3 * HOUR)).state).toBe('closed');
    });
  });
}

describe('a series’ room as the product composes it (npm start)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { listen: true, features: (runtime) => productFeatures(runtime) });
  });
  afterAll(async () => t?.close());

  it('is not open five days before its next occurrence, and says when it opens', async () => {
    const token = await insertSession(t.runtime.store, 'tenant-product', 'organizer-product');
    // Weekly, first occurrence two days ago (whole hours, UTC): the next one is in five days.
    const first = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;
    const weekday = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][
      new Date(first).getUTCDay()
    ];
    const created = await fetch(`${t.url}/api/v1/meetings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        subject: 'Weekly sync',
        start: iso(first),
        end: iso(first + HOUR),
        timeZone: 'UTC',
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: [weekday] },
          range: { type: 'numbered', startDate: iso(first).slice(0, 10), numberOfOccurrences: 10 },
        },
      }),
    });
    expect(created.status).toBe(201);
    const { joinUrl } = (await created.json()) as { joinUrl: string };
    const slug = joinUrl.split('/m/')[1] as string;
    const status = await fetch(`${t.url}/api/v1/rooms/${slug}`);
    expect(await status.json()).toMatchObject({
      state: 'not_yet_open',
      opensAt: iso(first + 7 * DAY - HOUR),
    });
    const page = await fetch(`${t.url}/m/${slug}`);
    expect(page.status).toBe(200);
  });
});
