import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OUTLOOK_MAX_SUBSCRIPTION_MINUTES } from '../src/graph/index.js';
import {
  ALICE,
  APP_ID,
  BOB,
  type GraphHarness,
  meeting,
  startGraphHarness,
  TENANT_ID,
} from './support/graph-harness.js';
import { type Receiver, startReceiver } from './support/graph-receiver.js';

type Json = Record<string, unknown>;
const MINUTE = 60_000;

describe('Graph emulator: subscriptions and notifications', () => {
  let h: GraphHarness;
  let receiver: Receiver;

  beforeEach(async () => {
    h = await startGraphHarness();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  const expiresIn = (minutes: number): string =>
    new Date(h.clock.now().getTime() + minutes * MINUTE).toISOString();

  const subscribe = async (
    extra: Json = {},
    init: { token?: string; headers?: Record<string, string> } = {},
  ) =>
    h.graph('/subscriptions', {
      method: 'POST',
      ...init,
      json: {
        changeType: 'created,updated,deleted',
        notificationUrl: receiver.url('/notify?source=graph'),
        lifecycleNotificationUrl: receiver.url('/lifecycle'),
        resource: 'me/events',
        expirationDateTime: expiresIn(3 * 24 * 60),
        clientState: 'secret-client-state',
        ...extra,
      },
    });

  const subscribeOk = async (
    extra: Json = {},
    init: { token?: string; headers?: Record<string, string> } = {},
  ) => {
    const response = await subscribe(extra, init);
    expect(response.status).toBe(201);
    return (await response.json()) as Json;
  };

  it('validates both endpoints with the handshake before creating the subscription', async () => {
    const subscription = await subscribeOk();
    expect(subscription).toMatchObject({
      '@odata.context': `${h.baseUrl}/v1.0/$metadata#subscriptions/$entity`,
      resource: 'me/events',
      changeType: 'created,updated,deleted',
      clientState: 'secret-client-state',
      notificationUrl: receiver.url('/notify?source=graph'),
      lifecycleNotificationUrl: receiver.url('/lifecycle'),
      applicationId: APP_ID,
      creatorId: ALICE,
      includeResourceData: false,
      latestSupportedTlsVersion: 'v1_2',
    });
    expect(subscription.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(subscription.expirationDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);

    const validations = receiver.validations();
    expect(validations.map((v) => v.path)).toEqual(['/notify', '/lifecycle']);
    for (const validation of validations) {
      expect(validation.query.get('validationToken')).toMatch(
        /^Validation: Testing client application reachability for subscription Request-Id: [0-9a-f-]{36}$/,
      );
      expect(validation.contentType).toBe('text/plain; charset=utf-8');
    }
    // The notificationUrl's own query string is kept.
    expect(validations[0]?.query.get('source')).toBe('graph');
    expect(h.emulator.subscriptions().map((s) => s.id)).toEqual([subscription.id]);

    const listed = (await (await h.graph('/subscriptions')).json()) as { value: Json[] };
    expect(listed.value.map((s) => s.id)).toEqual([subscription.id]);
    const other = (await (
      await h.graph('/subscriptions', { token: await h.token({ oid: BOB }) })
    ).json()) as {
      value: Json[];
    };
    expect(other.value).toEqual([]);
  });

  it.each([
    [
      'wrong-token',
      'Subscription validation request failed. Response must exactly match validationToken query parameter.',
    ],
    [
      'json-content-type',
      'Subscription validation request failed. Response must exactly match validationToken query parameter.',
    ],
    [
      'status-500',
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
    ],
  ] as const)('fails creation when the endpoint answers validation with %s', async (behaviour, message) => {
    receiver.validation = behaviour;
    const response = await subscribe();
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'ValidationError', message });
    expect(h.emulator.subscriptions()).toEqual([]);
  });

  it('fails creation when the endpoint does not answer within the validation timeout', async () => {
    const quick = await startGraphHarness({ validationTimeoutMs: 200 });
    try {
      receiver.validation = 'hang';
      const response = await quick.graph('/subscriptions', {
        method: 'POST',
        json: {
          changeType: 'created',
          notificationUrl: receiver.url('/notify'),
          resource: 'me/events',
          expirationDateTime: new Date(quick.clock.now().getTime() + 60 * MINUTE).toISOString(),
        },
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ValidationError');
      expect(quick.emulator.deliveries()).toMatchObject([{ kind: 'validation', status: 0 }]);
    } finally {
      await quick.close();
    }
  });

  it("enforces Outlook's maximum lifetime, the 45-minute minimum and the clientState limit", async () => {
    const tooLong = await subscribe({ expirationDateTime: expiresIn(OUTLOOK_MAX_SUBSCRIPTION_MINUTES + 1) });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: Json }).error).toMatchObject({
      code: 'ExtensionError',
      message: 'Subscription expiration can only be 10070 minutes in the future.',
    });
    expect(
      (await subscribe({ expirationDateTime: expiresIn(OUTLOOK_MAX_SUBSCRIPTION_MINUTES) })).status,
    ).toBe(201);

    const short = await subscribeOk({ expirationDateTime: expiresIn(10) });
    expect(Date.parse(short.expirationDateTime as string)).toBe(h.clock.now().getTime() + 45 * MINUTE);

    expect((await subscribe({ clientState: 'x'.repeat(128) })).status).toBe(201);
    expect((await subscribe({ clientState: 'x'.repeat(129) })).status).toBe(400);
    expect((await subscribe({ changeType: 'created,moved' })).status).toBe(400);
    expect((await subscribe({ resource: 'me/messages' })).status).toBe(400);
    expect((await subscribe({ resource: `users/${BOB}/events` })).status).toBe(403);
    expect((await subscribe({ resource: `/users/${ALICE}/events` })).status).toBe(201);
    expect((await subscribe({}, { token: await h.token({ scp: 'User.Read' }) })).status).toBe(403);
  });

  it('delivers change notifications with clientState, tenantId and the event resource', async () => {
    const subscription = await subscribeOk();
    const onlyCreated = await subscribeOk({
      changeType: 'created',
      notificationUrl: receiver.url('/created-only'),
    });
    const event = h.emulator.createEvent(ALICE, meeting('Planning', '2025-03-04T09:00:00'));
    await h.emulator.flushNotifications();
    const updated = h.emulator.updateEvent(ALICE, event.id, { subject: 'Planning (v2)' });
    await h.emulator.flushNotifications();
    h.emulator.deleteEvent(ALICE, event.id);
    h.emulator.createEvent(BOB, meeting('Not Alice', '2025-03-04T09:00:00'));
    await h.emulator.flushNotifications();

    const notifications = receiver.notifications('/notify');
    expect(notifications.map((n) => n.changeType)).toEqual(['created', 'updated', 'deleted']);
    const resource = `Users/${ALICE}/Events/${event.id}`;
    for (const notification of notifications) {
      expect(notification).toMatchObject({
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        clientState: 'secret-client-state',
        tenantId: TENANT_ID,
        resource,
        resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': resource, id: event.id },
      });
    }
    expect((notifications[1]?.resourceData as Json | undefined)?.['@odata.etag']).toBe(
      `W/"${updated.changeKey}"`,
    );
    expect(receiver.posts('/notify').every((p) => p.contentType === 'application/json; charset=utf-8')).toBe(
      true,
    );
    expect(receiver.notifications('/created-only').map((n) => [n.subscriptionId, n.changeType])).toEqual([
      [onlyCreated.id, 'created'],
    ]);
  });

  it('batches notifications raised together and retries failed deliveries', async () => {
    await subscribeOk();
    h.emulator.createEvent(ALICE, meeting('One', '2025-03-04T09:00:00'));
    h.emulator.createEvent(ALICE, meeting('Two', '2025-03-04T11:00:00'));
    await h.emulator.flushNotifications();
    expect(receiver.posts('/notify')).toHaveLength(1);
    expect(receiver.notifications('/notify')).toHaveLength(2);

    receiver.failNext(500, 503);
    h.emulator.createEvent(ALICE, meeting('Three', '2025-03-04T13:00:00'));
    await h.emulator.flushNotifications();
    const attempts = h.emulator
      .deliveries()
      .filter((d) => d.kind === 'change')
      .map((d) => d.status);
    expect(attempts).toEqual([202, 500, 503, 202]);

    receiver.failNext(500, 500, 500);
    h.emulator.createEvent(ALICE, meeting('Lost', '2025-03-04T15:00:00'));
    await h.emulator.flushNotifications();
    expect(
      h.emulator
        .deliveries()
        .filter((d) => d.kind === 'change')
        .map((d) => d.status)
        .slice(4),
    ).toEqual([500, 500, 500]);
  });

  it('can lose notifications, which a delta query then catches up on', async () => {
    await subscribeOk();
    const window = 'startDateTime=2025-03-01T00:00:00Z&endDateTime=2025-04-01T00:00:00Z';
    let response = (await (await h.graph(`/me/calendarView/delta?${window}`)).json()) as Json;
    const deltaLink = response['@odata.deltaLink'] as string;
    h.emulator.dropNextNotifications(1);
    const lost = h.emulator.createEvent(ALICE, meeting('Lost notification', '2025-03-04T09:00:00'));
    await h.emulator.flushNotifications();
    expect(receiver.notifications('/notify')).toEqual([]);
    response = (await (await h.graph(deltaLink)).json()) as Json;
    expect((response.value as Json[]).map((e) => e.id)).toEqual([lost.id]);

    h.emulator.createEvent(ALICE, meeting('Delivered', '2025-03-05T09:00:00'));
    await h.emulator.flushNotifications();
    expect(receiver.notifications('/notify')).toHaveLength(1);
  });

  it('renews, deletes and expires subscriptions', async () => {
    const subscription = await subscribeOk({ expirationDateTime: expiresIn(60) });
    const renewal = await h.graph(`/subscriptions/${subscription.id as string}`, {
      method: 'PATCH',
      json: { expirationDateTime: expiresIn(2 * 24 * 60) },
    });
    expect(renewal.status).toBe(200);
    const renewed = (await renewal.json()) as Json;
    expect(Date.parse(renewed.expirationDateTime as string)).toBe(
      h.clock.now().getTime() + 2 * 24 * 60 * MINUTE,
    );
    const tooFar = await h.graph(`/subscriptions/${subscription.id as string}`, {
      method: 'PATCH',
      json: { expirationDateTime: expiresIn(11_000) },
    });
    expect(tooFar.status).toBe(400);

    // Past its expiration a subscription stops delivering and disappears.
    h.clock.advance(2 * 24 * 60 * MINUTE + 1);
    h.emulator.createEvent(ALICE, meeting('After expiry', '2025-03-10T09:00:00'));
    await h.emulator.flushNotifications();
    expect(receiver.notifications('/notify')).toEqual([]);
    expect(h.emulator.subscriptions()).toEqual([]);
    expect((await h.graph(`/subscriptions/${subscription.id as string}`)).status).toBe(404);

    const second = await subscribeOk();
    expect((await h.graph(`/subscriptions/${second.id as string}`, { method: 'DELETE' })).status).toBe(204);
    h.emulator.createEvent(ALICE, meeting('After delete', '2025-03-10T11:00:00'));
    await h.emulator.flushNotifications();
    expect(receiver.notifications('/notify')).toEqual([]);
  });

  it('notifies with immutable ids when the subscription was created with Prefer IdType="ImmutableId"', async () => {
    await subscribeOk({}, { headers: { prefer: 'IdType="ImmutableId"' } });
    const event = h.emulator.createEvent(ALICE, meeting('Immutable', '2025-03-04T09:00:00'));
    await h.emulator.flushNotifications();
    const [notification] = receiver.notifications('/notify');
    const id = (notification?.resourceData as Json | undefined)?.id as string;
    expect(id).toMatch(/^AAkAL/);
    expect(id).not.toBe(event.id);
    const fetched = await h.graph(`/me/events/${id}`, { headers: { prefer: 'IdType="ImmutableId"' } });
    expect(((await fetched.json()) as Json).id).toBe(id);
  });

  it('pauses change notifications after reauthorizationRequired until reauthorize or a renewal, losing them', async () => {
    const subscription = await subscribeOk();
    const id = subscription.id as string;
    const subjects = () =>
      receiver.notifications('/notify').map((n) => (n.resourceData as Json | undefined)?.id as string);
    const before = h.emulator.createEvent(ALICE, meeting('Before', '2025-03-04T09:00:00'));
    await h.emulator.flushNotifications();
    expect(subjects()).toEqual([before.id]);

    await h.emulator.sendLifecycle(id, 'reauthorizationRequired');
    h.emulator.createEvent(ALICE, meeting('Paused', '2025-03-04T10:00:00'));
    await h.emulator.flushNotifications();
    expect(subjects()).toEqual([before.id]);
    expect((await h.graph(`/subscriptions/${id}/reauthorize`, { method: 'POST' })).status).toBe(204);
    const resumed = h.emulator.createEvent(ALICE, meeting('Resumed', '2025-03-04T11:00:00'));
    await h.emulator.flushNotifications();
    // The change made during the pause is lost, not delivered late.
    expect(subjects()).toEqual([before.id, resumed.id]);

    await h.emulator.sendLifecycle(id, 'reauthorizationRequired');
    h.emulator.createEvent(ALICE, meeting('Paused again', '2025-03-04T12:00:00'));
    const renewal = await h.graph(`/subscriptions/${id}`, {
      method: 'PATCH',
      json: { expirationDateTime: expiresIn(2 * 24 * 60) },
    });
    expect(renewal.status).toBe(200);
    const renewed = h.emulator.createEvent(ALICE, meeting('Renewed', '2025-03-04T13:00:00'));
    await h.emulator.flushNotifications();
    expect(subjects()).toEqual([before.id, resumed.id, renewed.id]);
  });

  it('keeps delivering for reauthorizationGraceMs after reauthorizationRequired, when configured', async () => {
    await h.close();
    h = await startGraphHarness({ reauthorizationGraceMs: 10 * MINUTE });
    const id = (await subscribeOk()).id as string;
    await h.emulator.sendLifecycle(id, 'reauthorizationRequired');
    h.clock.advance(10 * MINUTE - 1);
    const inGrace = h.emulator.createEvent(ALICE, meeting('In grace', '2025-03-04T09:00:00'));
    // Asked again: the pause still starts from the first request.
    await h.emulator.sendLifecycle(id, 'reauthorizationRequired');
    h.clock.advance(1);
    h.emulator.createEvent(ALICE, meeting('Paused', '2025-03-04T10:00:00'));
    await h.emulator.flushNotifications();
    expect(receiver.notifications('/notify').map((n) => (n.resourceData as Json | undefined)?.id)).toEqual([
      inGrace.id,
    ]);
  });

  it('sends lifecycle notifications and handles reauthorization and removal', async () => {
    const subscription = await subscribeOk();
    const id = subscription.id as string;
    await h.emulator.sendLifecycle(id, 'missed');
    await h.emulator.sendLifecycle(id, 'reauthorizationRequired');
    expect((await h.graph(`/subscriptions/${id}/reauthorize`, { method: 'POST' })).status).toBe(204);
    await h.emulator.sendLifecycle(id, 'subscriptionRemoved');
    const lifecycle = receiver.notifications('/lifecycle');
    expect(lifecycle).toEqual(
      ['missed', 'reauthorizationRequired', 'subscriptionRemoved'].map((lifecycleEvent) => ({
        subscriptionId: id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        tenantId: TENANT_ID,
        clientState: 'secret-client-state',
        lifecycleEvent,
      })),
    );
    expect(receiver.notifications('/notify')).toEqual([]);
    expect(h.emulator.subscriptions()).toEqual([]);
    expect((await h.graph(`/subscriptions/${id}`)).status).toBe(404);
  });
});
