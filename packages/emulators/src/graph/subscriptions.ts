/**
 * Change-notification subscriptions on Outlook events: creation with the validation handshake,
 * Outlook's lifetime limits, renewal, deletion, change and lifecycle notifications.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from './auth.js';
import { accessDenied, GraphError } from './errors.js';
import { encodeEventId, type IdType } from './ids.js';
import type { ChangeType, StoreChange } from './store.js';
import { formatTimestamp, parseDateTimeOffset } from './time.js';
import type { GraphSubscription, LifecycleEvent } from './types.js';
import type { WebhookClient } from './webhooks.js';

/**
 * Graph documents 10,080 minutes (under 7 days) for Outlook resources without resource data, but the
 * service rejects anything beyond 10,070 minutes with "Subscription expiration can only be 10070
 * minutes in the future." — the emulator enforces what the service enforces.
 */
export const OUTLOOK_MAX_SUBSCRIPTION_MINUTES = 10_070;
/** "Any value under 45 minutes after the time of the request is automatically set to 45 minutes." */
export const MIN_SUBSCRIPTION_MINUTES = 45;
const CLIENT_STATE_MAX = 128;
const CHANGE_TYPES: readonly ChangeType[] = ['created', 'updated', 'deleted'];

interface StoredSubscription {
  id: string;
  resource: string;
  ownerOid: string;
  tenantId: string;
  applicationId: string | null;
  creatorId: string;
  changeType: string;
  changeTypes: ReadonlySet<ChangeType>;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expiration: number;
  /** Subscriptions created with Prefer: IdType="ImmutableId" notify with immutable ids. */
  idType: IdType;
  /** When a reauthorizationRequired lifecycle event was sent and not yet answered (epoch ms), or null. */
  reauthorizationRequiredAt: number | null;
}

export interface SubscriptionManagerOptions {
  now: () => Date;
  webhooks: WebhookClient;
  /** Graph requires HTTPS notification URLs; a local emulator usually cannot offer them. */
  requireHttps: boolean;
  /** The owner (oid) a users/{id} segment names, if known. */
  resolveUser: (segment: string) => string | undefined;
  /**
   * How long change notifications keep flowing after a reauthorizationRequired lifecycle event;
   * default 0 (delivery pauses at once). See onStoreChange.
   */
  reauthorizationGraceMs?: number;
}

const invalidRequest = (message: string): GraphError => new GraphError(400, 'InvalidRequest', message);
const notFound = (): GraphError => new GraphError(404, 'ResourceNotFound', 'The object was not found.');

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class SubscriptionManager {
  private readonly subscriptions = new Map<string, StoredSubscription>();
  private dropCount = 0;

  constructor(private readonly options: SubscriptionManagerOptions) {}

  async create(
    principal: Principal,
    body: unknown,
    idType: IdType,
    requestId: string,
  ): Promise<GraphSubscription> {
    if (!isObject(body)) throw new GraphError(400, 'BadRequest', 'Empty Payload, JSON content expected.');
    const changeType = this.changeType(body.changeType);
    const resource = typeof body.resource === 'string' ? body.resource : '';
    const ownerOid = this.owner(principal, resource);
    const notificationUrl = this.url(body.notificationUrl, 'notificationUrl');
    const lifecycleNotificationUrl =
      body.lifecycleNotificationUrl === undefined || body.lifecycleNotificationUrl === null
        ? null
        : this.url(body.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
    const clientState = this.clientState(body.clientState);
    if (body.includeResourceData === true) {
      throw new GraphError(
        400,
        'BadRequest',
        'The Graph emulator does not support rich notifications (includeResourceData).',
      );
    }
    const expiration = this.expiration(body.expirationDateTime);
    await this.options.webhooks.validate(notificationUrl, requestId);
    if (lifecycleNotificationUrl) await this.options.webhooks.validate(lifecycleNotificationUrl, requestId);
    const subscription: StoredSubscription = {
      id: randomUUID(),
      resource,
      ownerOid,
      tenantId: principal.tid,
      applicationId: principal.appId ?? null,
      creatorId: principal.oid,
      changeType: changeType.raw,
      changeTypes: changeType.set,
      notificationUrl,
      lifecycleNotificationUrl,
      clientState,
      expiration,
      idType,
      reauthorizationRequiredAt: null,
    };
    this.subscriptions.set(subscription.id, subscription);
    return this.view(subscription);
  }

  /** Renewal (expirationDateTime) and/or a new notificationUrl, which is validated again. */
  async update(
    principal: Principal,
    id: string,
    body: unknown,
    requestId: string,
  ): Promise<GraphSubscription> {
    const subscription = this.find(principal, id);
    if (!isObject(body)) throw new GraphError(400, 'BadRequest', 'Empty Payload, JSON content expected.');
    const expiration =
      body.expirationDateTime === undefined ? undefined : this.expiration(body.expirationDateTime);
    const notificationUrl =
      body.notificationUrl === undefined ? undefined : this.url(body.notificationUrl, 'notificationUrl');
    if (notificationUrl !== undefined && notificationUrl !== subscription.notificationUrl) {
      await this.options.webhooks.validate(notificationUrl, requestId);
      subscription.notificationUrl = notificationUrl;
    }
    if (expiration !== undefined) subscription.expiration = expiration;
    // "Renewing your subscription will also reauthorize your endpoint."
    subscription.reauthorizationRequiredAt = null;
    return this.view(subscription);
  }

  reauthorize(principal: Principal, id: string): void {
    this.find(principal, id).reauthorizationRequiredAt = null;
  }

  remove(principal: Principal, id: string): void {
    this.find(principal, id);
    this.subscriptions.delete(id);
  }

  get(principal: Principal, id: string): GraphSubscription {
    return this.view(this.find(principal, id));
  }

  /** Active subscriptions the calling app created for the signed-in user. */
  list(principal: Principal): GraphSubscription[] {
    return this.active()
      .filter((s) => this.ownedBy(s, principal))
      .map((s) => this.view(s));
  }

  /** Every active subscription (control API). */
  all(): GraphSubscription[] {
    return this.active().map((s) => this.view(s));
  }

  clear(): void {
    this.subscriptions.clear();
    this.dropCount = 0;
  }

  /** The next n change notifications are silently lost, as when Graph gives up on a delivery. */
  dropNext(n: number): void {
    this.dropCount += n;
  }

  /**
   * Notifies the subscriptions a change concerns. A subscription that was asked to reauthorize gets
   * nothing once the grace period is over, until POST /subscriptions/{id}/reauthorize or a PATCH
   * renewal: "The flow of change notifications may continue for a while, giving you extra time to
   * respond. However, eventually change notification delivery pauses, until you take the required
   * action. Any notifications about resource changes that happen when the change notification
   * delivery pauses […] are lost." (Microsoft Graph docs, concepts/change-notifications-lifecycle-
   * events.md). "A while" is not specified: the emulator pauses after `reauthorizationGraceMs`
   * (default 0, at once), and the notifications of the pause are dropped, not delivered later.
   */
  onStoreChange(change: StoreChange): void {
    const now = this.options.now().getTime();
    const grace = this.options.reauthorizationGraceMs ?? 0;
    for (const subscription of this.active()) {
      if (subscription.ownerOid !== change.ownerOid || !subscription.changeTypes.has(change.changeType))
        continue;
      const askedAt = subscription.reauthorizationRequiredAt;
      if (askedAt !== null && now >= askedAt + grace) continue;
      if (this.dropCount > 0) {
        this.dropCount--;
        continue;
      }
      const id = encodeEventId(change.ref, subscription.idType);
      const resource = `Users/${change.ownerOid}/Events/${id}`;
      this.options.webhooks.enqueue(subscription.notificationUrl, 'change', [
        {
          subscriptionId: subscription.id,
          subscriptionExpirationDateTime: formatTimestamp(subscription.expiration),
          changeType: change.changeType,
          resource,
          resourceData: {
            '@odata.type': '#Microsoft.Graph.Event',
            '@odata.id': resource,
            '@odata.etag': `W/"${change.changeKey}"`,
            id,
          },
          clientState: subscription.clientState,
          tenantId: subscription.tenantId,
        },
      ]);
    }
  }

  /** Sends a lifecycle notification (if the subscription has a lifecycleNotificationUrl). */
  sendLifecycle(id: string, lifecycleEvent: LifecycleEvent): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw new Error(`No subscription ${id}`);
    if (lifecycleEvent === 'subscriptionRemoved') this.subscriptions.delete(id);
    // Asked again while it waits: the pause that began at the first request goes on.
    if (lifecycleEvent === 'reauthorizationRequired')
      subscription.reauthorizationRequiredAt ??= this.options.now().getTime();
    if (!subscription.lifecycleNotificationUrl) return;
    this.options.webhooks.enqueue(subscription.lifecycleNotificationUrl, 'lifecycle', [
      {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: formatTimestamp(subscription.expiration),
        tenantId: subscription.tenantId,
        clientState: subscription.clientState,
        lifecycleEvent,
      },
    ]);
  }

  private active(): StoredSubscription[] {
    const now = this.options.now().getTime();
    for (const [id, s] of this.subscriptions) if (s.expiration <= now) this.subscriptions.delete(id);
    return [...this.subscriptions.values()];
  }

  private ownedBy(subscription: StoredSubscription, principal: Principal): boolean {
    return (
      subscription.creatorId === principal.oid &&
      (subscription.applicationId === null || subscription.applicationId === (principal.appId ?? null))
    );
  }

  private find(principal: Principal, id: string): StoredSubscription {
    const subscription = this.active().find((s) => s.id.toLowerCase() === id.toLowerCase());
    if (!subscription || !this.ownedBy(subscription, principal)) throw notFound();
    return subscription;
  }

  private changeType(value: unknown): { raw: string; set: Set<ChangeType> } {
    if (typeof value !== 'string' || value.trim() === '') {
      throw invalidRequest('changeType is a required property for subscription creation.');
    }
    const parts = value.split(',').map((p) => p.trim());
    const set = new Set<ChangeType>();
    for (const part of parts) {
      if (!CHANGE_TYPES.includes(part as ChangeType)) throw invalidRequest(`Invalid changeType '${part}'.`);
      set.add(part as ChangeType);
    }
    return { raw: value, set };
  }

  private owner(principal: Principal, resource: string): string {
    const match = /^\/?(?:(me)|users\/([^/]+))\/(?:calendar\/)?events$/i.exec(resource.trim());
    if (!match) {
      throw invalidRequest(
        `The Graph emulator supports subscriptions to me/events and users/{id}/events, not '${resource}'.`,
      );
    }
    if (match[1]) return principal.oid;
    const owner = this.options.resolveUser(decodeURIComponent(match[2] as string));
    // Delegated permissions only reach the signed-in user's mailbox.
    if (owner?.toLowerCase() !== principal.oid.toLowerCase()) throw accessDenied();
    return principal.oid;
  }

  private url(value: unknown, property: string): string {
    if (typeof value !== 'string')
      throw invalidRequest(`${property} is a required property for subscription creation.`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalidRequest(`Invalid ${property}.`);
    }
    const allowed = this.options.requireHttps ? ['https:'] : ['https:', 'http:'];
    if (!allowed.includes(url.protocol)) throw invalidRequest(`The ${property} must use the HTTPS protocol.`);
    return value;
  }

  private clientState(value: unknown): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw invalidRequest('Invalid clientState.');
    if (value.length > CLIENT_STATE_MAX) {
      throw invalidRequest(`clientState must not exceed ${CLIENT_STATE_MAX} characters.`);
    }
    return value;
  }

  private expiration(value: unknown): number {
    const requested = typeof value === 'string' ? parseDateTimeOffset(value) : undefined;
    if (requested === undefined) {
      throw invalidRequest('expirationDateTime is a required property for subscription creation.');
    }
    const now = this.options.now().getTime();
    if (requested > now + OUTLOOK_MAX_SUBSCRIPTION_MINUTES * 60_000) {
      throw new GraphError(
        400,
        'ExtensionError',
        `Subscription expiration can only be ${OUTLOOK_MAX_SUBSCRIPTION_MINUTES} minutes in the future.`,
      );
    }
    return Math.max(requested, now + MIN_SUBSCRIPTION_MINUTES * 60_000);
  }

  private view(s: StoredSubscription): GraphSubscription {
    return {
      id: s.id,
      resource: s.resource,
      applicationId: s.applicationId,
      changeType: s.changeType,
      clientState: s.clientState,
      notificationUrl: s.notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: s.lifecycleNotificationUrl,
      expirationDateTime: formatTimestamp(s.expiration),
      creatorId: s.creatorId,
      includeResourceData: false,
      latestSupportedTlsVersion: 'v1_2',
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }
}
