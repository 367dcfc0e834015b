/**
 * One Graph subscription per signed-in user on me/events (created, updated, deleted), with its own
 * random clientState (only its SHA-256 is kept), renewed well before it expires, recreated when Graph
 * removed it, reauthorized when Graph asks, and deleted when the user signs out or the contract of
 * their organisation ends (offboarding: `retire`).
 *
 * Lifetime: Microsoft documents 10,080 minutes (under 7 days) as the maximum for Outlook resources
 * without resource data, and the service rejects more than 10,070 minutes; sync asks for 10,000 and
 * renews once less than half of it is left.
 *
 * Duplicates: GraphClient sends a request again after a network error, a timeout or a 5xx, and the
 * queue runs a failed subscribe job again. When Graph created the subscription but its answer was
 * lost, the next try creates a second one and only that one is stored: the first would go on
 * notifying Roomlink of the user's calendar until it expires (days), sign-out included. So after
 * each create, this deployment's other subscriptions of the same user are deleted (best effort).
 *
 * Sync stopping meanwhile (sign-out, erasure, offboarding): a new subscription's id is stored only
 * while the user's sync is active. One created as sync stopped is deleted at Graph at once, with the
 * token it was created with if the user's tokens are gone already (see #discard).
 */
import nodeCrypto, { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SyncUserRecord, SyncUserRepository } from '../domain/sync/ports.js';
import { type GraphClient, GraphError, type HeldToken } from './graph-client.js';
import { isSignInRequired } from './token-source.js';

export const SUBSCRIPTION_MINUTES = 10_000;
export const RENEW_BEFORE_MS = (SUBSCRIPTION_MINUTES / 2) * 60_000;

export interface SubscriptionSettings {
  /** ROOMLINK_BASE_URL. */
  readonly baseUrl: URL;
  readonly minutes?: number;
  readonly renewBeforeMs?: number;
  /** Longest wait for Graph when deleting a subscription (sign-out must not hang on it); 5 s. */
  readonly deleteTimeoutMs?: number;
  /** Warnings (no personal data): a failed removal of duplicate subscriptions. */
  readonly log?: { warn(obj: object, msg: string): void };
}

export function notificationUrl(baseUrl: URL): string {
  return new URL('api/graph/notifications', baseUrl).toString();
}

export function lifecycleUrl(baseUrl: URL): string {
  return new URL('api/graph/lifecycle', baseUrl).toString();
}

export function hashClientState(clientState: string): string {
  return createHash('sha256').update(clientState, 'utf8').digest('hex');
}

// Checked on every webhook notification: the one-shot digest (Node ≥ 20.12) skips the Hash object.
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer })
  .hash;
const sha256 = (value: string): Buffer =>
  oneShot ? oneShot('sha256', value, 'buffer') : createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks the clientState of a subscription's notifications against the digest stored for it, in
 * constant time. The first one that matches is kept, as bytes and in memory only (the webhook
 * keeps a checker as long as it caches the subscription, seconds), and later ones are compared
 * with it directly: hashing every notification cost more than the rest of the check. A digest
 * match means the same string, so the answer is the same. Only the length can show through the
 * timing, and every clientState Roomlink makes has the same length.
 */
export class ClientStateCheck {
  readonly #expected: Buffer | null;
  #known: Buffer | undefined;

  constructor(storedHash: string | null) {
    this.#expected =
      storedHash !== null && /^[0-9a-f]{64}$/.test(storedHash) ? Buffer.from(storedHash, 'hex') : null;
  }

  matches(received: unknown): boolean {
    if (typeof received !== 'string' || this.#expected === null) return false;
    const known = this.#known;
    if (known !== undefined) {
      const bytes = Buffer.from(received, 'utf8');
      return bytes.length === known.length && timingSafeEqual(bytes, known);
    }
    if (!timingSafeEqual(sha256(received), this.#expected)) return false;
    this.#known = Buffer.from(received, 'utf8');
    return true;
  }
}

interface GraphSubscriptionBody {
  id?: unknown;
  expirationDateTime?: unknown;
  notificationUrl?: unknown;
  creatorId?: unknown;
}

export class SubscriptionManager {
  constructor(
    private readonly graph: GraphClient,
    private readonly users: SyncUserRepository,
    private readonly settings: SubscriptionSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  needsRenewal(user: SyncUserRecord): boolean {
    if (!user.subscriptionId || !user.subscriptionExpiresAt) return true;
    const left = new Date(user.subscriptionExpiresAt).getTime() - this.now().getTime();
    return left < (this.settings.renewBeforeMs ?? RENEW_BEFORE_MS);
  }

  /** Creates, renews or (force) recreates the user's subscription. Returns true when it is new. */
  async ensure(user: SyncUserRecord, options: { force?: boolean } = {}): Promise<boolean> {
    if (!options.force && !this.needsRenewal(user)) return false;
    if (user.subscriptionId && !options.force) {
      try {
        const { body } = await this.graph.request<GraphSubscriptionBody>(user.userId, {
          method: 'PATCH',
          path: `subscriptions/${encodeURIComponent(user.subscriptionId)}`,
          body: { expirationDateTime: this.#expiry() },
          operation: 'subscription.renew',
        });
        await this.users.update(
          user.userId,
          { subscriptionExpiresAt: expiryOf(body) ?? this.#expiry() },
          this.now(),
        );
        return false;
      } catch (error) {
        if (!(error instanceof GraphError && error.status === 404)) throw error;
      }
    }
    if (user.subscriptionId && options.force) await this.#deleteQuietly(user.userId, user.subscriptionId);
    const clientState = randomBytes(32).toString('base64url');
    const ownUrl = notificationUrl(this.settings.baseUrl);
    // The token the subscription is created with, kept for this call: should sync stop meanwhile, the
    // subscription is deleted with it, the user's own tokens being gone already (sign-out deletes them).
    const held: HeldToken = {};
    const { body } = await this.graph.request<GraphSubscriptionBody>(user.userId, {
      method: 'POST',
      path: 'subscriptions',
      body: {
        changeType: 'created,updated,deleted',
        notificationUrl: ownUrl,
        lifecycleNotificationUrl: lifecycleUrl(this.settings.baseUrl),
        resource: 'me/events',
        expirationDateTime: this.#expiry(),
        clientState,
        latestSupportedTlsVersion: 'v1_2',
      },
      operation: 'subscription.create',
      holdToken: held,
    });
    if (typeof body.id !== 'string') throw new GraphError(0, 'subscription_without_id');
    const stored = await this.users.updateIfActive(
      user.userId,
      {
        subscriptionId: body.id,
        clientStateHash: hashClientState(clientState),
        subscriptionExpiresAt: expiryOf(body) ?? this.#expiry(),
      },
      this.now(),
    );
    if (!stored) {
      await this.#discard(user.userId, body.id, body.creatorId, ownUrl, held.token);
      return false;
    }
    // After the new id is stored: a failure here leaves the subscription that Roomlink knows.
    await this.#removeDuplicates(user.userId, body.id, body.creatorId, ownUrl);
    return true;
  }

  /**
   * Sync stopped for the user (sign-out, erasure, offboarding) while their subscription was being
   * created, so its id was not stored, and a sign-out that read the user's row before would never
   * delete it: it would notify Roomlink of the calendar for days. It is deleted at Graph now, with
   * `token` (the one it was created with) once the user's own tokens are gone, and so are this
   * deployment's other subscriptions of the user. GraphClient retries what may pass (the network, a
   * 5xx, a throttle); a deletion that still fails is logged (Graph's status and code, nothing of the
   * user) and shows in `roomlink_graph_requests_total{operation="subscription.delete_unstored"}`:
   * the subscription then expires on its own, its notifications, for an unknown subscription,
   * dropped. No later job can try again: nothing of the user is left to try with.
   */
  async #discard(
    userId: string,
    subscriptionId: string,
    creatorId: unknown,
    ownUrl: string,
    token: string | undefined,
  ): Promise<void> {
    try {
      await this.graph.request(userId, {
        method: 'DELETE',
        path: `subscriptions/${encodeURIComponent(subscriptionId)}`,
        operation: 'subscription.delete_unstored',
        fallbackToken: token,
      });
    } catch (error) {
      // 404: gone already.
      if (!(error instanceof GraphError && error.status === 404)) {
        this.settings.log?.warn(
          errorFields(error),
          'calendar sync: a Graph subscription created as sync stopped for its user could not be deleted (it expires on its own)',
        );
      }
    }
    await this.#removeDuplicates(userId, subscriptionId, creatorId, ownUrl, token);
  }

  /** Graph asked (reauthorizationRequired): reauthorize, or recreate when the subscription is gone. */
  async reauthorize(user: SyncUserRecord): Promise<boolean> {
    if (!user.subscriptionId) return this.ensure(user, { force: true });
    try {
      await this.graph.request(user.userId, {
        method: 'POST',
        path: `subscriptions/${encodeURIComponent(user.subscriptionId)}/reauthorize`,
        operation: 'subscription.reauthorize',
      });
      return false;
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return this.ensure(user, { force: true });
      throw error;
    }
  }

  /** Sign-out: the subscription is deleted at Graph (best effort; it expires anyway). */
  async remove(user: SyncUserRecord): Promise<void> {
    if (user.subscriptionId) await this.#deleteQuietly(user.userId, user.subscriptionId);
  }

  /**
   * The contract of the user's tenant has ended (offboarding): Roomlink no longer follows the
   * calendar, so the subscription is deleted at Graph (bounded as at sign-out) and then forgotten.
   * A failure that may pass (no answer in time, a throttle, a 5xx, the network) keeps the
   * subscription, so that the next maintenance pass, which queues this again for every such user
   * still holding one, tries again until it is deleted or has expired. Any other failure (the user's
   * tokens are gone, a 4xx) is final: the subscription is forgotten and expires by itself within
   * days, its notifications dropped meanwhile. Failures are logged with Graph's status and code only.
   * The user stays active: readmitted, the next maintenance pass subscribes them again.
   */
  async retire(user: SyncUserRecord): Promise<void> {
    if (!user.subscriptionId) return;
    const outcome = await this.#deleteQuietly(user.userId, user.subscriptionId);
    if (outcome !== 'deleted') {
      const expired =
        !user.subscriptionExpiresAt || Date.parse(user.subscriptionExpiresAt) <= this.now().getTime();
      const retry = !expired && mayPass(outcome);
      this.settings.log?.warn(
        outcome === 'timeout' ? { error: 'timeout' } : errorFields(outcome.error),
        retry
          ? "calendar sync: the Graph subscription of a user whose organisation's contract ended could not be deleted (tried again at the next maintenance pass)"
          : "calendar sync: the Graph subscription of a user whose organisation's contract ended could not be deleted (it expires on its own)",
      );
      if (retry) return;
    }
    await this.users.update(
      user.userId,
      { subscriptionId: null, clientStateHash: null, subscriptionExpiresAt: null },
      this.now(),
    );
  }

  /**
   * Deletes the user's other subscriptions to this deployment's notification URL: those an earlier
   * try created when its answer was lost (see the top of the file). With Roomlink's delegated
   * Calendars.Read, GET /subscriptions lists what this app created for the signed-in user; had the
   * app Subscription.Read.All, an admin's list would hold any app's subscriptions of any user of the
   * tenant (Graph's "List subscriptions"). So only those whose creatorId is the new subscription's
   * are the user's, and without a creatorId nothing is deleted. Another deployment (another
   * notificationUrl) keeps its own. Best effort: the subscribe already succeeded, so a failure is
   * logged (codes only) and the strays expire on their own. `fallbackToken`: see #discard.
   */
  async #removeDuplicates(
    userId: string,
    createdId: string,
    creatorId: unknown,
    ownUrl: string,
    fallbackToken?: string,
  ): Promise<void> {
    if (typeof creatorId !== 'string' || creatorId === '') return;
    const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
    const strays: string[] = [];
    let stage: 'list' | 'delete' = 'list';
    let failed = 0;
    try {
      for await (const page of this.graph.pages<GraphSubscriptionBody>(userId, {
        path: 'subscriptions',
        operation: 'subscription.list',
        fallbackToken,
      })) {
        for (const entry of page.value) {
          const id = entry?.id;
          if (typeof id !== 'string' || same(id, createdId) || entry.notificationUrl !== ownUrl) continue;
          if (typeof entry.creatorId === 'string' && same(entry.creatorId, creatorId)) strays.push(id);
        }
      }
      stage = 'delete';
      let lastError: unknown;
      for (const id of strays) {
        try {
          await this.graph.request(userId, {
            method: 'DELETE',
            path: `subscriptions/${encodeURIComponent(id)}`,
            operation: 'subscription.delete_duplicate',
            fallbackToken,
          });
        } catch (error) {
          // 404: gone already (expired, or deleted by another run).
          if (error instanceof GraphError && error.status === 404) continue;
          failed++;
          lastError = error;
        }
      }
      if (failed > 0) throw lastError;
    } catch (error) {
      this.settings.log?.warn(
        { stage, duplicates: strays.length, failed, ...errorFields(error) },
        'calendar sync: a duplicate Graph subscription could not be removed (it expires on its own)',
      );
    }
  }

  /**
   * Deletes the subscription at Graph, waiting `deleteTimeoutMs` at most; never throws. 'deleted'
   * also when Graph no longer had it (404); otherwise what went wrong, for callers that log it.
   */
  async #deleteQuietly(
    userId: string,
    subscriptionId: string,
  ): Promise<'deleted' | 'timeout' | { readonly error: unknown }> {
    // Gone already, or the user's tokens are: the subscription expires on its own. A Graph that
    // is down or throttling must not hold up a sign-out: the call goes on alone after the bound.
    const deleted = this.graph
      .request(userId, {
        method: 'DELETE',
        path: `subscriptions/${encodeURIComponent(subscriptionId)}`,
        operation: 'subscription.delete',
      })
      .then(
        () => 'deleted' as const,
        (error: unknown) =>
          error instanceof GraphError && error.status === 404 ? ('deleted' as const) : { error },
      );
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.settings.deleteTimeoutMs ?? 5_000);
      timer.unref();
    });
    const outcome = await Promise.race([deleted, bound]);
    clearTimeout(timer);
    return outcome;
  }

  #expiry(): string {
    return new Date(
      this.now().getTime() + (this.settings.minutes ?? SUBSCRIPTION_MINUTES) * 60_000,
    ).toISOString();
  }
}

/** What a warning may say of an error: its kind and Graph's status and code, nothing of the user. */
/** A failed deletion that a later try may get past: no answer in time, a throttle, a 5xx, the network. */
function mayPass(outcome: 'timeout' | { readonly error: unknown }): boolean {
  if (outcome === 'timeout') return true;
  const { error } = outcome;
  if (error instanceof GraphError) return error.status === 429 || error.status >= 500;
  return !isSignInRequired(error);
}

function errorFields(error: unknown): { error: string; status?: number; code?: string } {
  if (error instanceof GraphError) return { error: error.name, status: error.status, code: error.code };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    error: error instanceof Error ? error.name : typeof error,
    ...(typeof code === 'string' ? { code: code.slice(0, 80) } : {}),
  };
}

function expiryOf(body: GraphSubscriptionBody): string | undefined {
  if (typeof body.expirationDateTime !== 'string') return undefined;
  const date = new Date(body.expirationDateTime);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
