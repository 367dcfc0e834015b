import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, type GraphHarness, meeting, startGraphHarness } from './support/graph-harness.js';

type Json = Record<string, unknown>;
type Page = {
  value: Json[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
  '@odata.context': string;
};

const WINDOW = 'startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-04-01T00:00:00Z';
const ADDIN_ID = 'roomlink-addin';

describe('Graph emulator: calendarView, recurrence and delta', () => {
  let h: GraphHarness;

  beforeEach(async () => {
    h = await startGraphHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const page = async (url: string, prefer?: string): Promise<Page> => {
    const response = await h.graph(url, prefer ? { headers: { prefer } } : {});
    expect(response.status).toBe(200);
    return (await response.json()) as Page;
  };

  /** Follows nextLinks to the deltaLink and returns every item of the round. */
  const deltaRound = async (
    url: string,
    prefer?: string,
  ): Promise<{ items: Json[]; deltaLink: string; pages: number }> => {
    const items: Json[] = [];
    let next = url;
    let pages = 0;
    for (;;) {
      const body: Page = await page(next, prefer);
      pages++;
      items.push(...body.value);
      if (body['@odata.deltaLink']) return { items, deltaLink: body['@odata.deltaLink'], pages };
      expect(body['@odata.nextLink']).toContain('$skiptoken=');
      next = body['@odata.nextLink'] as string;
    }
  };

  it('lists the events overlapping the window, sorted and paged', async () => {
    h.emulator.createEvent(ALICE, meeting('before', '2025-02-27T10:00:00'));
    h.emulator.createEvent(ALICE, meeting('straddles start', '2025-02-28T23:30:00', 60));
    h.emulator.createEvent(ALICE, meeting('late', '2025-03-20T10:00:00'));
    h.emulator.createEvent(ALICE, meeting('early', '2025-03-02T10:00:00'));
    h.emulator.createEvent(ALICE, meeting('after', '2025-04-01T00:00:00'));
    const body = await page(`/me/calendarView?${WINDOW}`);
    expect(body.value.map((e) => e.subject)).toEqual(['straddles start', 'early', 'late']);
    expect(body['@odata.context']).toBe(`${h.baseUrl}/v1.0/$metadata#users('${ALICE}')/calendarView`);

    const first = await page(`/me/calendarView?${WINDOW}&$top=2`);
    expect(first.value).toHaveLength(2);
    expect(first['@odata.nextLink']).toBe(`${h.baseUrl}/v1.0/me/calendarView?${WINDOW}&$top=2&$skip=2`);
    const second = await page(first['@odata.nextLink'] as string);
    expect(second.value.map((e) => e.subject)).toEqual(['late']);

    const missing = await h.graph('/me/calendarView');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ErrorInvalidParameter');
  });

  it('expands a weekly series in its time zone across DST, with exceptions and cancelled occurrences', async () => {
    const master = h.emulator.createEvent(ALICE, {
      ...meeting('Weekly sync', '2025-03-17T09:00:00', 30, 'W. Europe Standard Time'),
      recurrence: {
        pattern: {
          type: 'weekly',
          interval: 1,
          daysOfWeek: ['monday', 'wednesday'],
          firstDayOfWeek: 'monday',
        },
        range: { type: 'numbered', startDate: '2025-03-17', numberOfOccurrences: 6 },
      },
    });
    expect(master.type).toBe('seriesMaster');
    expect(master.recurrence).toEqual({
      pattern: {
        type: 'weekly',
        interval: 1,
        month: 0,
        dayOfMonth: 0,
        daysOfWeek: ['monday', 'wednesday'],
        firstDayOfWeek: 'monday',
        index: 'first',
      },
      range: {
        type: 'numbered',
        startDate: '2025-03-17',
        endDate: '0001-01-01',
        recurrenceTimeZone: 'W. Europe Standard Time',
        numberOfOccurrences: 6,
      },
    });
    h.emulator.setCustomProperties(ALICE, master.id, ADDIN_ID, { roomlink: 'r-1' });

    const view = await page(`/me/calendarView?${WINDOW}`);
    // The window ends on 1 April, so the sixth occurrence (2 April) is outside it.
    expect(view.value.map((e) => e.type)).toEqual(Array(5).fill('occurrence'));
    expect(view.value.map((e) => (e.start as Json).dateTime)).toEqual([
      '2025-03-17T08:00:00.0000000',
      '2025-03-19T08:00:00.0000000',
      '2025-03-24T08:00:00.0000000',
      '2025-03-26T08:00:00.0000000',
      // Berlin switched to summer time on 30 March; the meeting stays at 09:00 local.
      '2025-03-31T07:00:00.0000000',
    ]);
    const april = await page(
      `/me/calendarView?startDateTime=2025-04-01T00:00:00Z&endDateTime=2025-05-01T00:00:00Z`,
    );
    expect(april.value.map((e) => (e.start as Json).dateTime)).toEqual(['2025-04-02T07:00:00.0000000']);
    for (const occurrence of view.value) {
      expect(occurrence.seriesMasterId).toBe(master.id);
      expect(occurrence.recurrence).toBeNull();
      expect(occurrence.subject).toBe('Weekly sync');
    }
    expect(view.value[0]?.originalStart).toBe('2025-03-17T08:00:00Z');
    expect(new Set(view.value.map((e) => e.iCalUId)).size).toBe(5);
    expect(new Set(view.value.map((e) => e.id)).size).toBe(5);

    const events = await page('/me/events');
    expect(events.value.map((e) => e.type)).toEqual(['seriesMaster']);

    // An occurrence moved and renamed becomes an exception; it loses the series' custom properties.
    const exception = h.emulator.updateOccurrence(ALICE, master.id, '2025-03-24T08:00:00Z', {
      subject: 'Weekly sync (moved)',
      start: { dateTime: '2025-03-24T14:00:00', timeZone: 'UTC' },
      end: { dateTime: '2025-03-24T14:30:00', timeZone: 'UTC' },
    });
    expect(exception.type).toBe('exception');
    h.emulator.deleteOccurrence(ALICE, master.id, new Date('2025-03-19T08:00:00Z'));

    const expand = encodeURIComponent(
      `singleValueExtendedProperties($filter=id eq 'String {00020329-0000-0000-C000-000000000046} Name cecp-${ADDIN_ID}')`,
    );
    const after = await page(`/me/calendarView?${WINDOW}&$expand=${expand}`);
    expect(after.value.map((e) => [e.type, e.subject, (e.start as Json).dateTime])).toEqual([
      ['occurrence', 'Weekly sync', '2025-03-17T08:00:00.0000000'],
      ['exception', 'Weekly sync (moved)', '2025-03-24T14:00:00.0000000'],
      ['occurrence', 'Weekly sync', '2025-03-26T08:00:00.0000000'],
      ['occurrence', 'Weekly sync', '2025-03-31T07:00:00.0000000'],
    ]);
    expect(after.value.map((e) => (e.singleValueExtendedProperties as unknown[]).length)).toEqual([
      1, 0, 1, 1,
    ]);

    const cancelled = (await (
      await h.graph(`/me/events/${master.id}?$select=cancelledOccurrences`)
    ).json()) as Json;
    expect(cancelled.cancelledOccurrences).toEqual([`OID.${master.id}.2025-03-19`]);

    const instances = await page(
      `/me/events/${master.id}/instances?startDateTime=2025-03-20T00:00:00Z&endDateTime=2025-03-27T00:00:00Z`,
    );
    expect(instances.value.map((e) => e.type)).toEqual(['exception', 'occurrence']);
    const occurrence = (await (
      await h.graph(`/me/events/${instances.value[1]?.id as string}`)
    ).json()) as Json;
    expect(occurrence.originalStart).toBe('2025-03-26T08:00:00Z');
  });

  it('expands daily, monthly and yearly patterns', async () => {
    const create = (subject: string, start: string, recurrence: Json): void => {
      h.emulator.createEvent(ALICE, { ...meeting(subject, start, 30), recurrence: recurrence as never });
    };
    create('daily', '2025-03-01T06:00:00', {
      pattern: { type: 'daily', interval: 10 },
      range: { type: 'endDate', startDate: '2025-03-01', endDate: '2025-03-25' },
    });
    create('monthly', '2025-01-31T12:00:00', {
      pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
      range: { type: 'noEnd', startDate: '2025-01-31' },
    });
    create('relative', '2025-01-01T12:00:00', {
      pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' },
      range: { type: 'noEnd', startDate: '2025-01-01' },
    });
    create('yearly', '2024-03-15T12:00:00', {
      pattern: { type: 'absoluteYearly', interval: 1, month: 3, dayOfMonth: 15 },
      range: { type: 'noEnd', startDate: '2024-03-15' },
    });
    const view = await page(`/me/calendarView?${WINDOW}&$top=50`);
    const starts = (subject: string): string[] =>
      view.value
        .filter((e) => e.subject === subject)
        .map((e) => ((e.start as Json).dateTime as string).slice(0, 10));
    expect(starts('daily')).toEqual(['2025-03-01', '2025-03-11', '2025-03-21']);
    expect(starts('monthly')).toEqual(['2025-03-31']);
    expect(starts('relative')).toEqual(['2025-03-28']);
    expect(starts('yearly')).toEqual(['2025-03-15']);
  });

  it('syncs a calendar view with delta: pages, deltaLink, then only changes and @removed', async () => {
    const ids: string[] = [];
    for (let day = 3; day <= 7; day++)
      ids.push(h.emulator.createEvent(ALICE, meeting(`day ${day}`, `2025-03-0${day}T10:00:00`)).id);
    h.emulator.createEvent(ALICE, meeting('outside', '2025-05-01T10:00:00'));

    const first = await h.graph(`/me/calendarView/delta?${WINDOW}`, {
      headers: { prefer: 'odata.maxpagesize=2' },
    });
    expect(first.headers.get('preference-applied')).toBe('odata.maxpagesize=2');
    const firstPage = (await first.json()) as Page;
    expect(firstPage['@odata.context']).toBe(`${h.baseUrl}/v1.0/$metadata#Collection(event)`);
    expect(firstPage.value).toHaveLength(2);
    expect(firstPage.value[0]?.['@odata.type']).toBe('#microsoft.graph.event');
    expect(firstPage['@odata.nextLink']).toMatch(
      new RegExp(`^${h.baseUrl}/v1.0/me/calendarView/delta\\?\\$skiptoken=`),
    );

    const initial = await deltaRound(firstPage['@odata.nextLink'] as string, 'odata.maxpagesize=2');
    expect(initial.pages).toBe(2);
    expect([...firstPage.value, ...initial.items].map((e) => e.subject)).toEqual([
      'day 3',
      'day 4',
      'day 5',
      'day 6',
      'day 7',
    ]);
    expect(initial.deltaLink).toMatch(
      new RegExp(`^${h.baseUrl}/v1.0/me/calendarView/delta\\?\\$deltatoken=`),
    );

    // Nothing changed: an empty page and a new deltaLink.
    const quiet = await deltaRound(initial.deltaLink);
    expect(quiet.items).toEqual([]);

    h.emulator.updateEvent(ALICE, ids[0] as string, { subject: 'day 3 (renamed)' });
    h.emulator.deleteEvent(ALICE, ids[1] as string);
    h.emulator.cancelEvent(ALICE, ids[2] as string);
    h.emulator.updateEvent(ALICE, ids[3] as string, {
      start: { dateTime: '2025-06-01T10:00:00', timeZone: 'UTC' },
      end: { dateTime: '2025-06-01T11:00:00', timeZone: 'UTC' },
    });
    h.emulator.createEvent(ALICE, meeting('new', '2025-03-10T10:00:00'));
    h.emulator.createEvent(ALICE, meeting('new outside', '2025-06-10T10:00:00'));

    const changes = await deltaRound(quiet.deltaLink);
    const removed = changes.items.filter((e) => e['@removed']);
    const upserted = changes.items.filter((e) => !e['@removed']);
    expect(upserted.map((e) => e.subject).sort()).toEqual(['day 3 (renamed)', 'new']);
    expect(removed.map((e) => e.id).sort()).toEqual([ids[1], ids[2], ids[3]].sort());
    for (const entry of removed) {
      expect(entry).toEqual({
        '@odata.type': '#microsoft.graph.event',
        id: entry.id,
        '@removed': { reason: 'deleted' },
      });
    }

    // An old deltaLink can be replayed: it still reports changes since its own round.
    const replay = await deltaRound(quiet.deltaLink);
    expect(replay.items).toHaveLength(changes.items.length);
  });

  it('reports occurrences, exceptions and cancelled occurrences of a series through delta', async () => {
    const master = h.emulator.createEvent(ALICE, {
      ...meeting('Daily', '2025-03-03T09:00:00', 15),
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate: '2025-03-03', numberOfOccurrences: 3 },
      },
    });
    const initial = await deltaRound(`/users/${ALICE}/calendarView/delta?${WINDOW}`);
    expect(initial.items.map((e) => e.type)).toEqual(['occurrence', 'occurrence', 'occurrence']);
    expect(initial.deltaLink).toContain(`/v1.0/users/${ALICE}/calendarView/delta?$deltatoken=`);

    h.emulator.deleteOccurrence(ALICE, master.id, '2025-03-04T09:00:00Z');
    const afterDelete = await deltaRound(initial.deltaLink);
    const removed = afterDelete.items.filter((e) => e['@removed']);
    expect(removed.map((e) => e.id)).toEqual([initial.items[1]?.id]);

    h.emulator.updateOccurrence(ALICE, master.id, '2025-03-05T09:00:00Z', { subject: 'Daily (special)' });
    const afterException = await deltaRound(afterDelete.deltaLink);
    const exception = afterException.items.find((e) => e.type === 'exception');
    expect(exception?.subject).toBe('Daily (special)');
    expect(exception?.id).toBe(initial.items[2]?.id);
  });

  it("lists deleted occurrences in a master's cancelledOccurrences, only when selected", async () => {
    // 00:30 in Berlin is 23:30Z the day before: the occurrence id carries the series' local date.
    const master = h.emulator.createEvent(ALICE, {
      ...meeting('Early', '2025-03-03T00:30:00', 30, 'W. Europe Standard Time'),
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate: '2025-03-03', numberOfOccurrences: 5 },
      },
    });
    const single = h.emulator.createEvent(ALICE, meeting('Single', '2025-03-03T10:00:00'));
    const cancelled = async (id: string, prefer?: string): Promise<unknown> => {
      const response = await h.graph(
        `/me/events/${id}?$select=subject,cancelledOccurrences`,
        prefer ? { headers: { prefer } } : {},
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as Json).cancelledOccurrences;
    };
    expect(await cancelled(master.id)).toEqual([]);
    expect(await cancelled(single.id)).toEqual([]);

    h.emulator.deleteOccurrence(ALICE, master.id, '2025-03-03T23:30:00Z');
    expect(await cancelled(master.id)).toEqual([`OID.${master.id}.2025-03-04`]);
    // Not part of the default projection.
    const plain = (await (await h.graph(`/me/events/${master.id}`)).json()) as Json;
    expect('cancelledOccurrences' in plain).toBe(false);

    // Deleted over HTTP by occurrence id, and an exception deleted: listed under its original date.
    const instances = await page(
      `/me/events/${master.id}/instances?startDateTime=2025-03-04T12:00:00Z&endDateTime=2025-03-08T00:00:00Z`,
    );
    expect(instances.value.map((e) => e.originalStart)).toEqual([
      '2025-03-04T23:30:00Z',
      '2025-03-05T23:30:00Z',
      '2025-03-06T23:30:00Z',
    ]);
    expect(
      (await h.graph(`/me/events/${instances.value[0]?.id as string}`, { method: 'DELETE' })).status,
    ).toBe(204);
    h.emulator.updateOccurrence(ALICE, master.id, '2025-03-06T23:30:00Z', {
      start: { dateTime: '2025-03-07T09:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2025-03-07T09:30:00', timeZone: 'W. Europe Standard Time' },
    });
    h.emulator.deleteOccurrence(ALICE, master.id, '2025-03-06T23:30:00Z');
    const expected = ['2025-03-04', '2025-03-05', '2025-03-07'].map((d) => `OID.${master.id}.${d}`);
    expect(await cancelled(master.id)).toEqual(expected);

    // The master's id in the format asked for; the same through $batch (as a sync client reads it).
    const immutable = (await (
      await h.graph(`/me/events/${master.id}?$select=id`, { headers: { prefer: 'IdType="ImmutableId"' } })
    ).json()) as Json;
    expect(immutable.id).not.toBe(master.id);
    expect(await cancelled(master.id, 'IdType="ImmutableId"')).toEqual(
      ['2025-03-04', '2025-03-05', '2025-03-07'].map((d) => `OID.${immutable.id as string}.${d}`),
    );
    const batch = (await (
      await h.graph('/$batch', {
        method: 'POST',
        json: {
          requests: [{ id: '1', method: 'GET', url: `/me/events/${master.id}?$select=cancelledOccurrences` }],
        },
      })
    ).json()) as { responses: { body: Json }[] };
    expect(batch.responses[0]?.body.cancelledOccurrences).toEqual(expected);

    // An occurrence the series never had, or one already deleted, is not found (and not listed).
    expect(() => h.emulator.deleteOccurrence(ALICE, master.id, '2025-03-04T23:30:00Z')).toThrow();
    expect(() => h.emulator.deleteOccurrence(ALICE, master.id, '2025-03-05T10:00:00Z')).toThrow();
    expect(await cancelled(master.id)).toEqual(expected);

    // Changing the series' time re-instates every occurrence, as Outlook does.
    h.emulator.updateEvent(ALICE, master.id, {
      start: { dateTime: '2025-03-03T01:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2025-03-03T01:30:00', timeZone: 'W. Europe Standard Time' },
    });
    expect(await cancelled(master.id)).toEqual([]);
  });

  it('rejects $select on delta and answers 410 once delta tokens are gone', async () => {
    const select = await h.graph(`/me/calendarView/delta?${WINDOW}&$select=subject`);
    expect(select.status).toBe(400);
    expect(((await select.json()) as { error: { code: string } }).error.code).toBe('ErrorInvalidUrlQuery');

    h.emulator.createEvent(ALICE, meeting('a', '2025-03-03T10:00:00'));
    const { deltaLink } = await deltaRound(`/me/calendarView/delta?${WINDOW}`);
    h.emulator.expireDeltaTokens();
    const gone = await h.graph(deltaLink);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('SyncStateNotFound');

    const fresh = await deltaRound(`/me/calendarView/delta?${WINDOW}`);
    h.emulator.faults.inject({ kind: 'syncStateNotFound' });
    expect((await h.graph(fresh.deltaLink)).status).toBe(410);
  });
});
