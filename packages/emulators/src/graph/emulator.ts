/**
 * createGraphEmulator wires the calendar store, subscriptions, delta tracking and faults together and
 * exposes them twice: as a Fastify plugin serving Graph v1.0 under `{prefix}/v1.0/…`, and as a typed
 * control API that plays the organizer's Outlook (creating and changing events) and the test harness.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { CalendarRoutes } from './calendar-routes.js';
import { DeltaTracker } from './delta.js';
import { Dispatcher } from './dispatcher.js';
import { customPropertiesId } from './extended-properties.js';
import { graphPlugin } from './fastify-plugin.js';
import { FaultInjector } from './faults.js';
import { decodeEventId, type EventRef } from './ids.js';
import { serializeEvent } from './serialize.js';
import { CalendarStore, type EventInstance } from './store.js';
import { SubscriptionRoutes } from './subscription-routes.js';
import { SubscriptionManager } from './subscriptions.js';
import { parseDateTimeOffset } from './time.js';
import type {
  AccessTokenVerifier,
  DeliveryAttempt,
  EmulatedUser,
  EventInput,
  Fault,
  GraphEvent,
  GraphSubscription,
  LifecycleEvent,
  Recipient,
  RecordedRequest,
} from './types.js';
import { WebhookClient } from './webhooks.js';

export interface GraphEmulatorOptions {
  /**
   * Absolute URL where the plugin is mounted, e.g. http://127.0.0.1:3000/_emulator/graph (routes are
   * under /v1.0). A function is read per request, for servers that learn their port after listen().
   */
  baseUrl: string | (() => string);
  /** Verifies a bearer token and returns its claims; see jwksVerifier(). */
  verifyAccessToken: AccessTokenVerifier;
  now?: () => Date;
  /** Used to deliver validation requests and notifications to webhooks. */
  fetch?: typeof fetch;
  /** authorization_uri in WWW-Authenticate challenges (Graph: login.microsoftonline.com/common). */
  authorizationUri?: string;
  /** Origin used in events' webLink. */
  webLinkBase?: string;
  /** Graph requires HTTPS notification URLs; off by default because local receivers are HTTP. */
  requireHttpsNotificationUrl?: boolean;
  /** Default 10 000 ms, as Graph. */
  validationTimeoutMs?: number;
  /** Default 3 000 ms, as Graph. */
  deliveryTimeoutMs?: number;
  /** Waits before retrying a failed delivery; default [1000, 5000, 30000]. Graph retries for up to 4 hours. */
  retryDelaysMs?: readonly number[];
  /** Largest accepted request body; default 4 MiB. */
  bodyLimitBytes?: number;
  /**
   * After a reauthorizationRequired lifecycle event, change notifications of that subscription keep
   * flowing this long, then are lost until it is reauthorized or renewed; default 0 (at once).
   */
  reauthorizationGraceMs?: number;
}

/** The control API (what Outlook, tests and the demo do to the emulated mailboxes). */
export interface GraphEmulator {
  /** Register with `app.register(emulator.plugin, { prefix })` so that `${prefix}/v1.0` = baseUrl + '/v1.0'. */
  readonly plugin: FastifyPluginAsync;
  readonly baseUrl: string;
  /** Display name and address used as the organizer of a user's events; mail also works in /users/{mail}. */
  upsertUser(user: EmulatedUser): void;
  /** Creates an event in the user's calendar (as Outlook would) and notifies subscribers. */
  createEvent(userOid: string, event: EventInput): GraphEvent;
  /**
   * An invitation from `organizer` (someone else) arrives in the user's calendar, as Exchange adds
   * one: isOrganizer false, that organizer, responseStatus notResponded. The organizer's later changes
   * are `updateEvent`, `updateOccurrence` and `deleteOccurrence` on it; their cancel, `cancelInvitation`.
   */
  receiveInvitation(userOid: string, organizer: Recipient, event: EventInput): GraphEvent;
  /** The organizer cancels an invitation: the user's copy stays in the calendar with isCancelled true. */
  cancelInvitation(userOid: string, id: string): GraphEvent;
  /** Updates an event (or, given an occurrence id, turns the occurrence into an exception). */
  updateEvent(userOid: string, id: string, patch: EventInput): GraphEvent;
  /** Modifies one occurrence of a series, identified by its original start, making it an exception. */
  updateOccurrence(
    userOid: string,
    seriesMasterId: string,
    originalStart: Date | string,
    patch: EventInput,
  ): GraphEvent;
  /** Deletes one occurrence of a series (it becomes a cancelled occurrence). */
  deleteOccurrence(userOid: string, seriesMasterId: string, originalStart: Date | string): void;
  /**
   * The organizer cancels the meeting: it moves to Deleted Items (deleted notification). A GET by id
   * still finds it there (as an immutable id does in Graph); calendarView and delta no longer list it.
   */
  cancelEvent(userOid: string, id: string): void;
  /** A delete in Outlook: the item moves to Deleted Items, as `cancelEvent`; one already there is purged. */
  deleteEvent(userOid: string, id: string): void;
  /** Purges the item (Graph's permanentDelete, or emptying Deleted Items): a GET then answers 404. */
  permanentlyDeleteEvent(userOid: string, id: string): void;
  getEvent(userOid: string, id: string): GraphEvent | undefined;
  /** Series masters and single instances, as GET /events. */
  listEvents(userOid: string): GraphEvent[];
  /** Occurrences expanded, as GET /calendarView. */
  calendarView(userOid: string, start: Date, end: Date): GraphEvent[];
  /** Writes an add-in's custom properties (the cecp-<add-in id> extended property), as Outlook does. */
  setCustomProperties(
    userOid: string,
    id: string,
    addinId: string,
    properties: Record<string, unknown>,
  ): GraphEvent;
  getCustomProperties(userOid: string, id: string, addinId: string): Record<string, unknown> | undefined;
  readonly faults: { inject(fault: Fault): void; clear(): void };
  /** The next n change notifications are lost (to test that delta catches up). */
  dropNextNotifications(n: number): void;
  /** Sends a lifecycle notification to the subscription's lifecycleNotificationUrl and waits for delivery. */
  sendLifecycle(subscriptionId: string, event: LifecycleEvent): Promise<void>;
  /** Active (unexpired) subscriptions. */
  subscriptions(): GraphSubscription[];
  requests(): RecordedRequest[];
  clearRequests(): void;
  deliveries(): DeliveryAttempt[];
  /** CAE: tokens of this user issued before `at` get a claims challenge (clients with xms_cc cp1). */
  revokeSessions(userOid: string, at?: Date): void;
  /** Forgets every delta token; following an old link answers 410 Gone. */
  expireDeltaTokens(): void;
  /** Resolves when every notification raised so far is delivered or has exhausted its retries. */
  flushNotifications(): Promise<void>;
  /** Empties calendars, subscriptions, faults, recorded requests and delta tokens. */
  reset(): void;
  /** Stops retries; the plugin's onClose calls it. */
  close(): Promise<void>;
}

const DEFAULT_AUTHORIZATION_URI = 'https://login.microsoftonline.com/common/oauth2/authorize';
const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

export function createGraphEmulator(options: GraphEmulatorOptions): GraphEmulator {
  const baseUrl = (): string =>
    (typeof options.baseUrl === 'function' ? options.baseUrl() : options.baseUrl).replace(/\/+$/, '');
  const now = options.now ?? (() => new Date());
  const authorizationUri = options.authorizationUri ?? DEFAULT_AUTHORIZATION_URI;
  const webLinkBase = (options.webLinkBase ?? 'https://outlook.office365.com').replace(/\/+$/, '');
  const users = new Map<string, EmulatedUser>();
  const revocations = new Map<string, number>();
  const recorded: RecordedRequest[] = [];

  const store = new CalendarStore(now);
  const delta = new DeltaTracker();
  const faults = new FaultInjector();
  const webhooks = new WebhookClient({
    fetch: options.fetch ?? fetch,
    now,
    validationTimeoutMs: options.validationTimeoutMs ?? 10_000,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 3_000,
    retryDelaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000],
  });
  const resolveUser = (segment: string): string | undefined => {
    const wanted = segment.toLowerCase();
    for (const user of users.values()) {
      if (user.oid.toLowerCase() === wanted || user.mail?.toLowerCase() === wanted) return user.oid;
    }
    return segment;
  };
  const subscriptionManager = new SubscriptionManager({
    now,
    webhooks,
    requireHttps: options.requireHttpsNotificationUrl ?? false,
    resolveUser,
    reauthorizationGraceMs: options.reauthorizationGraceMs ?? 0,
  });
  store.onChange((change) => subscriptionManager.onStoreChange(change));
  const organizer = (oid: string): Recipient => {
    const user = users.get(oid);
    return { emailAddress: { name: user?.displayName ?? '', address: user?.mail ?? '' } };
  };
  const calendar = new CalendarRoutes({ store, delta, baseUrl, webLinkBase, organizer });
  const dispatcher = new Dispatcher({
    now,
    verify: options.verifyAccessToken,
    authorizationUri,
    faults,
    delta,
    calendar,
    subscriptions: new SubscriptionRoutes(subscriptionManager, baseUrl),
    resolveUser,
    revokedBefore: (oid) => revocations.get(oid),
    record: (request) => recorded.push(request),
    newRequestId: randomUUID,
  });

  const view = (instance: EventInstance): GraphEvent =>
    serializeEvent(instance, {
      idType: 'rest',
      timeZone: 'UTC',
      expandExtendedProperties: {},
      webLinkBase,
      organizer,
    }) as unknown as GraphEvent;
  const ref = (id: string): EventRef => {
    const decoded = decodeEventId(id);
    if (!decoded) throw new Error(`Not an event id of this emulator: ${id}`);
    return decoded;
  };
  const occurrenceRef = (seriesMasterId: string, originalStart: Date | string): EventRef => {
    const start =
      typeof originalStart === 'string' ? parseDateTimeOffset(originalStart) : originalStart.getTime();
    if (start === undefined) throw new Error(`Not a DateTimeOffset: ${String(originalStart)}`);
    return { key: ref(seriesMasterId).key, occurrenceStart: start };
  };

  const plugin = graphPlugin({
    dispatcher,
    now,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    onClose: () => webhooks.close(),
  });

  const requireInstance = (userOid: string, eventRef: EventRef): EventInstance => {
    const instance = store.get(userOid, eventRef);
    if (!instance) throw new Error('No such event');
    return instance;
  };

  return {
    plugin,
    get baseUrl() {
      return baseUrl();
    },
    upsertUser(user) {
      users.set(user.oid, { ...users.get(user.oid), ...user });
    },
    createEvent: (userOid, event) => view(store.create(userOid, event)),
    receiveInvitation: (userOid, invitedBy, event) => view(store.create(userOid, event, invitedBy)),
    cancelInvitation: (userOid, id) => view(store.cancelInvitation(userOid, ref(id))),
    updateEvent: (userOid, id, patch) => view(store.update(userOid, ref(id), patch)),
    updateOccurrence: (userOid, seriesMasterId, originalStart, patch) =>
      view(store.update(userOid, occurrenceRef(seriesMasterId, originalStart), patch)),
    deleteOccurrence: (userOid, seriesMasterId, originalStart) =>
      store.delete(userOid, occurrenceRef(seriesMasterId, originalStart)),
    cancelEvent: (userOid, id) => store.delete(userOid, ref(id)),
    deleteEvent: (userOid, id) => store.delete(userOid, ref(id)),
    permanentlyDeleteEvent: (userOid, id) => store.permanentDelete(userOid, ref(id)),
    getEvent(userOid, id) {
      const decoded = decodeEventId(id);
      const instance = decoded ? store.get(userOid, decoded) : undefined;
      return instance ? view(instance) : undefined;
    },
    listEvents: (userOid) => store.listItems(userOid).map(view),
    calendarView: (userOid, start, end) =>
      store.instancesInWindow(userOid, start.getTime(), end.getTime()).map(view),
    setCustomProperties: (userOid, id, addinId, properties) =>
      view(
        store.setExtendedProperty(userOid, ref(id), {
          id: customPropertiesId(addinId),
          value: JSON.stringify(properties),
        }),
      ),
    getCustomProperties(userOid, id, addinId) {
      const value = requireInstance(userOid, ref(id)).extendedProperties.get(
        customPropertiesId(addinId),
      )?.value;
      return value === undefined ? undefined : (JSON.parse(value) as Record<string, unknown>);
    },
    faults: { inject: (fault) => faults.inject(fault), clear: () => faults.clear() },
    dropNextNotifications: (n) => subscriptionManager.dropNext(n),
    async sendLifecycle(subscriptionId, event) {
      subscriptionManager.sendLifecycle(subscriptionId, event);
      await webhooks.flush();
    },
    subscriptions: () => subscriptionManager.all(),
    requests: () => recorded.map((r) => ({ ...r, headers: { ...r.headers } })),
    clearRequests: () => {
      recorded.length = 0;
    },
    deliveries: () => webhooks.attempts(),
    revokeSessions(userOid, at) {
      revocations.set(userOid, (at ?? now()).getTime());
    },
    expireDeltaTokens: () => delta.expireAll(),
    flushNotifications: () => webhooks.flush(),
    reset() {
      store.clear();
      subscriptionManager.clear();
      faults.clear();
      delta.expireAll();
      recorded.length = 0;
      revocations.clear();
    },
    close: () => webhooks.close(),
  };
}

/**
 * Creates the emulator and registers it on `app`, under `prefix` or else under the path of
 * `options.baseUrl` (which must then be a string).
 */
export async function registerGraphEmulator(
  app: FastifyInstance,
  options: GraphEmulatorOptions & { prefix?: string },
): Promise<GraphEmulator> {
  const { prefix, ...rest } = options;
  const emulator = createGraphEmulator(rest);
  const mountPath = prefix ?? new URL(emulator.baseUrl).pathname.replace(/\/+$/, '');
  await app.register(emulator.plugin, { prefix: mountPath });
  return emulator;
}
