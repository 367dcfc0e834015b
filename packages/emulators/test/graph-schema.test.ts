import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertConforms,
  type CsdlModel,
  checkConformance,
  customPropertiesId,
  loadCsdl,
} from '../src/graph/index.js';
import { graphCsdlPath } from './support/graph-csdl.js';
import { ALICE, type GraphHarness, meeting, startGraphHarness } from './support/graph-harness.js';
import { type Receiver, startReceiver } from './support/graph-receiver.js';

type Json = Record<string, unknown>;

/** Graph documents cancelledOccurrences as "returned only on $select". */
const EVENT_OPTIONS = { notRequired: ['event.cancelledOccurrences'] };
/** The documented lifecycle notification carries no changeType or resource. */
const LIFECYCLE_OPTIONS = { notRequired: ['changeNotification.changeType', 'changeNotification.resource'] };
const WINDOW = 'startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-04-01T00:00:00Z';

describe('Graph emulator payloads conform to the published v1.0 CSDL', () => {
  let model: CsdlModel;
  let h: GraphHarness;
  let receiver: Receiver;

  beforeAll(async () => {
    model = loadCsdl(graphCsdlPath());
    h = await startGraphHarness();
    receiver = await startReceiver();
    h.emulator.upsertUser({ oid: ALICE, displayName: 'Alice', mail: 'alice@contoso.test' });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  const get = async (path: string, prefer?: string): Promise<Json> => {
    const response = await h.graph(path, prefer ? { headers: { prefer } } : {});
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as Json;
  };

  it('parses the CSDL into the types the emulator speaks', () => {
    expect(model.structured.get('microsoft.graph.event')?.baseType).toBe('microsoft.graph.outlookItem');
    expect(model.enums.get('microsoft.graph.lifecycleEventType')?.members).toEqual(
      new Set(['missed', 'subscriptionRemoved', 'reauthorizationRequired']),
    );
    // Cached: the second load is the same object.
    expect(loadCsdl(graphCsdlPath())).toBe(model);
  });

  it('events: single, series master, occurrence, exception, selected, expanded, delta', async () => {
    const subscriptionResponse = await h.graph('/subscriptions', {
      method: 'POST',
      json: {
        changeType: 'created,updated,deleted',
        notificationUrl: receiver.url('/notify'),
        lifecycleNotificationUrl: receiver.url('/lifecycle'),
        resource: 'me/events',
        expirationDateTime: new Date(h.clock.now().getTime() + 24 * 3_600_000).toISOString(),
        clientState: 'state',
      },
    });
    const subscription = (await subscriptionResponse.json()) as Json;
    assertConforms(model, 'subscription', subscription);
    for (const listed of ((await get('/subscriptions')).value as Json[]) ?? [])
      assertConforms(model, 'subscription', listed);

    const created = await h.graph('/me/events', {
      method: 'POST',
      json: {
        ...meeting('Conformance', '2025-03-04T09:00:00', 45, 'Pacific Standard Time'),
        body: { contentType: 'html', content: '<b>Join</b>' },
        location: { displayName: 'Room 1' },
        attendees: [{ emailAddress: { address: 'bob@contoso.test', name: 'Bob' }, type: 'required' }],
        categories: ['Roomlink'],
        singleValueExtendedProperties: [{ id: customPropertiesId('addin'), value: '{"k":"v"}' }],
      },
    });
    const single = (await created.json()) as Json;
    assertConforms(model, 'event', single, EVENT_OPTIONS);

    const master = h.emulator.createEvent(ALICE, {
      ...meeting('Series', '2025-03-03T10:00:00', 30),
      recurrence: {
        pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'], index: 'first' },
        range: { type: 'endDate', startDate: '2025-03-03', endDate: '2025-12-31' },
      },
    });
    h.emulator.updateOccurrence(ALICE, master.id, '2025-03-03T10:00:00Z', { subject: 'Series (exception)' });
    h.emulator.deleteOccurrence(ALICE, master.id, '2025-04-07T10:00:00Z');

    const payloads: Json[] = [
      await get(`/me/events/${single.id as string}`),
      await get(`/me/events/${single.id as string}`, 'outlook.timezone="UTC", IdType="ImmutableId"'),
      await get(`/me/events/${master.id}`),
      await get(`/me/events/${master.id}?$select=subject,cancelledOccurrences,recurrence`),
      await get(`/me/events/${single.id as string}?$expand=singleValueExtendedProperties`),
      ...((await get(`/me/calendarView?${WINDOW}`)).value as Json[]),
      ...((await get('/me/events')).value as Json[]),
      ...((
        await get(
          `/me/events/${master.id}/instances?startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-06-01T00:00:00Z`,
        )
      ).value as Json[]),
    ];
    expect(payloads.some((p) => p.type === 'exception')).toBe(true);
    expect(payloads.some((p) => p.type === 'occurrence')).toBe(true);
    expect(payloads.some((p) => p.type === 'seriesMaster')).toBe(true);
    for (const payload of payloads) assertConforms(model, 'event', payload, EVENT_OPTIONS);

    const initial = await get(`/me/calendarView/delta?${WINDOW}`);
    h.emulator.deleteEvent(ALICE, single.id as string);
    const changes = await get(initial['@odata.deltaLink'] as string);
    const deltaItems = [...(initial.value as Json[]), ...(changes.value as Json[])];
    expect(deltaItems.some((i) => i['@removed'])).toBe(true);
    for (const item of deltaItems) assertConforms(model, 'event', item, EVENT_OPTIONS);

    await h.emulator.flushNotifications();
    const changeCollections = receiver.posts('/notify').map((p) => JSON.parse(p.body) as Json);
    expect(changeCollections.length).toBeGreaterThan(0);
    for (const collection of changeCollections)
      assertConforms(model, 'changeNotificationCollection', collection);

    for (const event of ['missed', 'reauthorizationRequired', 'subscriptionRemoved'] as const) {
      await h.emulator.sendLifecycle(subscription.id as string, event);
    }
    const lifecycle = receiver.posts('/lifecycle').map((p) => JSON.parse(p.body) as Json);
    expect(lifecycle).toHaveLength(3);
    for (const collection of lifecycle)
      assertConforms(model, 'changeNotificationCollection', collection, LIFECYCLE_OPTIONS);
    // Without the documented exemption the checker does flag the missing non-nullable properties.
    expect(checkConformance(model, 'changeNotificationCollection', lifecycle[0]).map((i) => i.path)).toEqual([
      '$.value[0].changeType',
      '$.value[0].resource',
    ]);
  });

  it('the checker catches undeclared properties, wrong types, bad enum members and missing properties', () => {
    const issues = checkConformance(model, 'event', {
      '@odata.etag': 'W/"x"',
      id: 'abc',
      subject: 42,
      showAs: 'away',
      start: { timeZone: 'UTC' },
      createdDateTime: '2025-03-03 08:00',
      roomlinkSecret: 'x',
      recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['funday'] }, range: null },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        '$.cancelledOccurrences',
        '$.createdDateTime',
        '$.recurrence.pattern.dayOfMonth',
        '$.recurrence.pattern.daysOfWeek[0]',
        '$.recurrence.pattern.month',
        '$.roomlinkSecret',
        '$.showAs',
        '$.start.dateTime',
        '$.subject',
      ].sort(),
    );
    const notification = checkConformance(model, 'changeNotificationCollection', {
      value: [
        {
          subscriptionId: 'not-a-guid',
          subscriptionExpirationDateTime: '2025-03-03T08:00:00Z',
          changeType: 'moved',
          resource: 'x',
          tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
          resourceData: { id: 'x', extra: 1 },
        },
      ],
    });
    expect(notification.map((i) => i.path).sort()).toEqual(
      ['$.value[0].changeType', '$.value[0].resourceData.extra', '$.value[0].subscriptionId'].sort(),
    );
  });
});
