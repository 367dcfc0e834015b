/**
 * Graph's webhooks: POST /api/graph/notifications (change notifications) and POST /api/graph/lifecycle.
 * - validation handshake: `?validationToken=` is echoed back decoded, 200 text/plain, before any body
 *   is read;
 * - bodies are checked for shape and size (malformed: 400 problem+json, nothing queued);
 * - a notification whose clientState does not match its subscription's is dropped and counted;
 * - so is one whose tenantId is not its subscriber's tenant;
 * - so is one of a user whose organisation's contract has ended (offboarded: `contract_ended`);
 * - one delivery looks each subscription up at most once, and stops looking up new ones after
 *   MAX_UNKNOWN_LOOKUPS of them found no active user (the rest are dropped and counted);
 * - valid ones are written to the durable queue and answered 202; no Graph or room work happens here.
 * Notification contents are never logged.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SyncUserRecord, SyncUserRepository } from '../domain/sync/ports.js';
import { contractEnded } from '../domain/tenants/tenant.js';
import type { JobQueue, JobSpec } from '../jobs/queue.js';
import type { SyncMetrics } from './graph-metrics.js';
import { ClientStateCheck } from './subscriptions.js';
import { JOB, mailboxJobKey } from './sync-worker.js';

export const NOTIFICATIONS_PATH = '/api/graph/notifications';
export const LIFECYCLE_PATH = '/api/graph/lifecycle';
/** Graph sends batches of notifications; this bounds one POST. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
const MAX_NOTIFICATIONS = 1000;
/**
 * How many subscriptions one delivery may look up and find without an active user (unknown, or a
 * user who is not syncing); past that, notifications of subscriptions not cached here are dropped
 * without a look-up and counted (`unknown_subscription_limit`). The bodies are unauthenticated:
 * without it, one 1 MiB POST of 1,000 made-up ids cost 1,000 sequential database queries and held
 * up Graph's real deliveries. A look-up that finds an active user does not count: Graph batches the
 * notifications of every subscription that shares a notificationUrl (here, every user's) in one
 * POST, so a real delivery may name many of them, cached or not (the cache keeps one only 5 s), but
 * only few Roomlink does not know (a subscription of a user who just signed out, or whose deletion
 * at Graph failed, until it expires). A delivery that passes the limit is still answered 202 (any
 * other answer has Graph try it again, for up to 4 hours); a change dropped by it reaches the
 * meeting with the hourly reconciliation.
 */
export const MAX_UNKNOWN_LOOKUPS = 20;
/**
 * An accepted change notification (202) is logged at debug level only. Graph may deliver thousands
 * a second for a large tenant: at info, one line each was most of the log's volume and a tenth to
 * a quarter of the route's event-loop time (bench/sync-README.md, seventh pass), while /metrics
 * counts every delivery by status and every notification by outcome. Handshakes (200), rejected
 * bodies (4xx) and the rare lifecycle notifications keep their info line.
 */
const QUIET_ACCEPTED = { quietAccessLogStatus: 202 } as const;

export interface WebhookDeps {
  readonly users: Pick<SyncUserRepository, 'findBySubscription'>;
  readonly queue: Pick<JobQueue, 'enqueue'>;
  readonly metrics: SyncMetrics;
  /**
   * An active subscription's user is looked up once per this many ms at most; default 5000. Unknown
   * or inactive subscriptions are never cached (only remembered for the rest of one delivery): a
   * user who signs in again is heard at once.
   */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

/** The webhook routes (an AppPlugin), and a way to drop what they cached of a user. */
export interface GraphWebhooks {
  (app: FastifyInstance): Promise<void>;
  /**
   * Sync stopped or started for the user in this process (sign-out, sign-in): their cached
   * subscriptions are dropped, so that the next notification is checked against the database.
   */
  forgetUser(userId: string): void;
}

const shortString = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

/** Graph posts notifications as `{ value: [...] }`; the fields every kind carries. */
const notifications = <P extends object>(required: readonly string[], properties: P) =>
  ({
    type: 'object',
    required: ['value'],
    properties: {
      value: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_NOTIFICATIONS,
        items: {
          type: 'object',
          required: ['subscriptionId', ...required],
          properties: {
            subscriptionId: shortString(128),
            clientState: { type: ['string', 'null'], maxLength: 512 },
            tenantId: { type: 'string', maxLength: 64 },
            subscriptionExpirationDateTime: { type: 'string', maxLength: 64 },
            ...properties,
          },
        },
      },
    },
  }) as const;

const changeSchema = notifications(['changeType', 'resource'], {
  changeType: { type: 'string', enum: ['created', 'updated', 'deleted'] },
  resource: shortString(2048),
  resourceData: { type: 'object', properties: { id: shortString(1024) } },
});

const lifecycleSchema = notifications(['lifecycleEvent'], {
  lifecycleEvent: { type: 'string', enum: ['missed', 'subscriptionRemoved', 'reauthorizationRequired'] },
});

interface ChangeNotification {
  subscriptionId: string;
  clientState?: string | null;
  tenantId?: string;
  changeType: 'created' | 'updated' | 'deleted';
  resource: string;
  resourceData?: { id?: string };
}

interface LifecycleNotification {
  subscriptionId: string;
  clientState?: string | null;
  tenantId?: string;
  lifecycleEvent: 'missed' | 'subscriptionRemoved' | 'reauthorizationRequired';
}

export function graphWebhooks(deps: WebhookDeps): GraphWebhooks {
  const now = deps.now ?? Date.now;
  const ttl = deps.cacheTtlMs ?? 5000;
  /** A subscription's user, and the check of its notifications' clientState. */
  interface Subscriber {
    readonly user: SyncUserRecord | undefined;
    readonly clientState: ClientStateCheck;
    readonly until: number;
  }
  const cache = new Map<string, Subscriber>();
  /** Bumped by forgetUser: a look-up that began before it must not cache what it read. */
  let generation = 0;

  const cached = (subscriptionId: string): Subscriber | undefined => {
    const hit = cache.get(subscriptionId);
    return hit && hit.until > now() ? hit : undefined;
  };

  const lookUp = async (subscriptionId: string): Promise<Subscriber> => {
    const startedAt = generation;
    const user = await deps.users.findBySubscription(subscriptionId);
    const entry = {
      user,
      clientState: new ClientStateCheck(user?.clientStateHash ?? null),
      until: now() + ttl,
    };
    // Only an active user is cached: "unknown" or "waits for sign-in" can end at any moment (a
    // notification dropped then is answered 202, and Graph never sends it again).
    if (user?.status === 'active' && startedAt === generation) {
      if (cache.size > 10_000) cache.clear();
      cache.set(subscriptionId, entry);
    }
    return entry;
  };

  /**
   * One delivery's look-ups: `known` answers from the cache, or from this delivery's earlier look-up
   * of the same subscription (unless forgetUser ran since), without a turn of the event loop;
   * `lookUp` asks the database, or, once MAX_UNKNOWN_LOOKUPS look-ups of this delivery found no
   * active user, counts the notification and answers undefined (dropped).
   */
  const deliveryLookUps = (kind: 'change' | 'lifecycle') => {
    const looked = new Map<string, { readonly entry: Subscriber; readonly generation: number }>();
    let misses = 0;
    return {
      known(subscriptionId: string): Subscriber | undefined {
        const hit = cached(subscriptionId);
        if (hit) return hit;
        const earlier = looked.get(subscriptionId);
        return earlier && earlier.generation === generation ? earlier.entry : undefined;
      },
      async lookUp(subscriptionId: string): Promise<Subscriber | undefined> {
        if (misses >= MAX_UNKNOWN_LOOKUPS) {
          deps.metrics.notifications.inc({ kind, outcome: 'unknown_subscription_limit' });
          return undefined;
        }
        const startedAt = generation;
        const entry = await lookUp(subscriptionId);
        looked.set(subscriptionId, { entry, generation: startedAt });
        if (entry.user?.status !== 'active') misses++;
        return entry;
      },
    };
  };

  const forgetUser = (userId: string): void => {
    generation++;
    for (const [subscriptionId, entry] of cache) {
      if (entry.user?.userId === userId) cache.delete(subscriptionId);
    }
  };

  /** The user a notification speaks for, or undefined (then it is counted and dropped). */
  const authentic = (
    kind: 'change' | 'lifecycle',
    n: { subscriptionId: string; clientState?: string | null; tenantId?: string },
    { user, clientState }: Subscriber,
  ): SyncUserRecord | undefined => {
    if (user?.status !== 'active') {
      deps.metrics.notifications.inc({ kind, outcome: 'unknown_subscription' });
      return undefined;
    }
    if (!clientState.matches(n.clientState)) {
      deps.metrics.notifications.inc({ kind, outcome: 'client_state_mismatch' });
      return undefined;
    }
    // Graph names the tenant each notification comes from (a required field of changeNotification).
    // A subscription belongs to one user of one tenant, so a notification naming another tenant, or
    // none, did not come from that subscription, whatever its clientState says: a second check that
    // costs nothing, should a clientState ever leak.
    if (n.tenantId?.toLowerCase() !== user.tenantId.toLowerCase()) {
      deps.metrics.notifications.inc({ kind, outcome: 'tenant_mismatch' });
      return undefined;
    }
    // The contract of the user's organisation has ended (offboarded): acknowledged like the rest (Graph
    // wants its 2xx), but nothing is queued, so nothing of the calendar is read; the worker deletes
    // the subscription meanwhile (sync-worker.ts).
    if (contractEnded(user.contractEnd, new Date(now()))) {
      deps.metrics.notifications.inc({ kind, outcome: 'contract_ended' });
      return undefined;
    }
    return user;
  };

  const register = async (app: FastifyInstance): Promise<void> => {
    await app.register(async (scope) => {
      // The handshake needs no body and must be fast: answer before parsing.
      // (A callback hook: every delivery passes here, and a promise per request costs more than the check.)
      scope.addHook('onRequest', (request, reply, done) => {
        const token = (request.query as Record<string, unknown> | undefined)?.validationToken;
        if (typeof token !== 'string') {
          done();
          return;
        }
        // The token is the caller's own text, sent back: kept nosniff here too, whatever the
        // application's hooks (http/security-headers.ts) send.
        reply
          .code(200)
          .header('x-content-type-options', 'nosniff')
          .type('text/plain; charset=utf-8')
          .send(token);
      });

      scope.post(
        NOTIFICATIONS_PATH,
        { bodyLimit: WEBHOOK_BODY_LIMIT, schema: { body: changeSchema, hide: true }, config: QUIET_ACCEPTED },
        async (request: FastifyRequest, reply: FastifyReply) => {
          const { value } = request.body as { value: ChangeNotification[] };
          const jobs: JobSpec[] = [];
          const seen = new Map<string, { userId: string; eventId: string; changeType: string }>();
          const subscribers = deliveryLookUps('change');
          for (const n of value) {
            const eventId = n.resourceData?.id ?? eventIdFromResource(n.resource);
            if (!eventId) {
              deps.metrics.notifications.inc({ kind: 'change', outcome: 'no_event_id' });
              continue;
            }
            // A cached subscription is checked without a turn of the event loop.
            const subscriber =
              subscribers.known(n.subscriptionId) ?? (await subscribers.lookUp(n.subscriptionId));
            if (!subscriber) continue;
            const user = authentic('change', n, subscriber);
            if (!user) continue;
            const key = `${user.userId}\u0000${eventId}`;
            const earlier = seen.get(key);
            if (earlier) {
              // One read of the event serves both; a deletion among them must not be lost (sync-worker.ts).
              if (n.changeType === 'deleted') earlier.changeType = 'deleted';
              continue;
            }
            seen.set(key, { userId: user.userId, eventId, changeType: n.changeType });
          }
          for (const payload of seen.values()) jobs.push({ kind: JOB.change, payload });
          // Made-up or foreign notifications cost no write: the queue is not even woken for them.
          if (jobs.length > 0) {
            await deps.queue.enqueue(jobs);
            deps.metrics.notifications.inc({ kind: 'change', outcome: 'queued' }, jobs.length);
          }
          return reply.code(202).send();
        },
      );

      scope.post(
        LIFECYCLE_PATH,
        { bodyLimit: WEBHOOK_BODY_LIMIT, schema: { body: lifecycleSchema, hide: true } },
        async (request: FastifyRequest, reply: FastifyReply) => {
          const { value } = request.body as { value: LifecycleNotification[] };
          const jobs: JobSpec[] = [];
          const subscribers = deliveryLookUps('lifecycle');
          for (const n of value) {
            const subscriber =
              subscribers.known(n.subscriptionId) ?? (await subscribers.lookUp(n.subscriptionId));
            if (!subscriber) continue;
            const user = authentic('lifecycle', n, subscriber);
            if (!user) continue;
            const userId = user.userId;
            if (n.lifecycleEvent === 'missed') {
              jobs.push({ kind: JOB.reconcile, payload: { userId, reason: 'missed' }, dedupeKey: userId });
            } else if (n.lifecycleEvent === 'subscriptionRemoved') {
              jobs.push({
                kind: JOB.subscribe,
                payload: { userId, force: true },
                dedupeKey: mailboxJobKey(userId, true),
              });
            } else {
              jobs.push({ kind: JOB.reauthorize, payload: { userId }, dedupeKey: userId });
            }
            deps.metrics.notifications.inc({ kind: 'lifecycle', outcome: n.lifecycleEvent });
          }
          if (jobs.length > 0) await deps.queue.enqueue(jobs);
          return reply.code(202).send();
        },
      );
    });
  };
  return Object.assign(register, { forgetUser });
}

/** `Users/{id}/Events/{id}` (any case): the event id, URL-decoded. */
export function eventIdFromResource(resource: string): string | undefined {
  const match = /(?:^|\/)events(?:\/([^/?]+)|\('([^']+)'\))$/i.exec(resource);
  if (!match) return undefined;
  try {
    return decodeURIComponent((match[1] ?? match[2]) as string);
  } catch {
    return undefined;
  }
}
