/**
 * A small Microsoft Graph v1.0 client for one job: reading organizers' calendars on their behalf.
 * - the token comes from the AccessTokenSource, per user; claims challenges are handed back to it;
 * - 429/503/504: wait what Retry-After says (the whole mailbox pauses, so no request of that mailbox
 *   goes out before it elapses); otherwise exponential backoff with full jitter, capped;
 * - a wait longer than maxRetryAfterMs (a Retry-After, or what is left of the mailbox's pause) is
 *   never slept in-process: a GraphError 429 carrying the wait as retryAfterMs goes back to the job
 *   queue, which runs the job again only then (a sleeping job would hold a worker slot and the lease);
 * - at most 4 requests in flight per mailbox; JSON $batch for many reads;
 * - every request asks for immutable ids and UTC times;
 * - every call is counted by outcome. Nothing of a request or response is logged.
 */
import { type BackoffPolicy, backoffDelay } from '../jobs/backoff.js';
import type { GraphOutcome, SyncMetrics } from './graph-metrics.js';
import { MailboxLimiter } from './mailbox-limiter.js';
import { type AccessTokenSource, isSignInRequired, SignInRequiredError } from './token-source.js';

export const PREFER = 'IdType="ImmutableId", outlook.timezone="UTC"';
export const MAX_BATCH = 20;

export interface GraphClientOptions {
  /** GRAPH_BASE_URL, without /v1.0. */
  readonly baseUrl: URL | string;
  readonly tokens: AccessTokenSource;
  readonly metrics: SyncMetrics;
  readonly fetch?: typeof fetch;
  /** Epoch ms. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly maxConcurrencyPerMailbox?: number;
  /** Tries per request (and per batch item) before giving up; default 5. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffPolicy;
  /**
   * A longer Retry-After (or what remains of the mailbox's pause) is not waited in-process: a
   * GraphError 429 with `retryAfterMs` goes back to the job queue. Default 120 s.
   */
  readonly maxRetryAfterMs?: number;
  readonly timeoutMs?: number;
}

export interface GraphRequest {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to /v1.0 ('me/events/…'), or an absolute @odata.nextLink / deltaLink from Graph. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Metric label, e.g. 'event.get'. */
  readonly operation: string;
  /**
   * Keeps the access token the request was last sent with (in memory, for the caller's run only): what
   * the request made can then be undone with `fallbackToken` after the user's tokens are gone.
   */
  readonly holdToken?: HeldToken;
  /**
   * Sent with this token (one `holdToken` kept) when the token source has none any more for the user
   * (they signed out meanwhile): only for undoing what a request sent with it made on their behalf.
   */
  readonly fallbackToken?: string | undefined;
}

/** Where `GraphRequest.holdToken` keeps an access token. */
export interface HeldToken {
  token?: string;
}

export interface GraphResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface BatchRequest {
  readonly id: string;
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to /v1.0, with its query string. */
  readonly url: string;
  readonly body?: unknown;
}

/** Graph refused (after retries, where retrying made sense). `code` is Graph's error code. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly retryAfterMs?: number,
  ) {
    super(`Graph answered ${status} ${code}`);
    this.name = 'GraphError';
  }
}

const RETRY_STATUSES = new Set([429, 503, 504]);

export class GraphClient {
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #limiter: MailboxLimiter;
  readonly #root: string;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffPolicy;
  readonly #maxRetryAfterMs: number;

  constructor(private readonly options: GraphClientOptions) {
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#limiter = new MailboxLimiter(options.maxConcurrencyPerMailbox ?? 4);
    this.#root = `${options.baseUrl.toString().replace(/\/+$/, '')}/v1.0/`;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#backoff = options.backoff ?? { baseMs: 500, capMs: 30_000 };
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  }

  /** For tests and metrics: requests of this mailbox in flight now. */
  inFlight(userId: string): number {
    return this.#limiter.inFlight(userId);
  }

  async request<T = unknown>(userId: string, req: GraphRequest): Promise<GraphResponse<T>> {
    const url = this.#url(req.path, req.query);
    let authRetried = false;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#send(userId, 1, req, url);
      if ('error' in outcome) {
        if (attempt >= this.#maxAttempts) throw new GraphError(0, 'network_error');
        await this.#sleep(backoffDelay(attempt, this.#backoff, this.#random));
        continue;
      }
      const { response, body } = outcome;
      if (response.status < 300) return { status: response.status, body: body as T };
      const code = errorCode(body);
      if (response.status === 401 && !authRetried) {
        authRetried = true;
        await this.#reauthenticate(userId, response.headers.get('www-authenticate'));
        continue;
      }
      const retryable = RETRY_STATUSES.has(response.status) || response.status >= 500;
      if (!retryable) throw new GraphError(response.status, code);
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), this.#now());
      if (retryAfter !== undefined) {
        if (retryAfter > this.#maxRetryAfterMs || attempt >= this.#maxAttempts) {
          this.#limiter.pause(userId, this.#now() + retryAfter);
          throw new GraphError(response.status, code, retryAfter);
        }
        this.#limiter.pause(userId, this.#now() + retryAfter);
        continue; // #send waits for the pause
      }
      if (attempt >= this.#maxAttempts) throw new GraphError(response.status, code);
      await this.#sleep(backoffDelay(attempt, this.#backoff, this.#random));
    }
  }

  /**
   * Runs requests through JSON $batch (20 per call). Items Graph throttled are sent again after
   * Retry-After (one longer than maxRetryAfterMs pauses the mailbox and throws, as request() does);
   * every other answer (including 404) is returned as is.
   */
  async batch(
    userId: string,
    items: readonly BatchRequest[],
    operation: string,
  ): Promise<Map<string, GraphResponse>> {
    const results = new Map<string, GraphResponse>();
    for (let i = 0; i < items.length; i += MAX_BATCH) {
      let pending = items.slice(i, i + MAX_BATCH);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const outer = await this.request<{ responses?: unknown }>(userId, {
          method: 'POST',
          path: '$batch',
          operation: 'batch',
          body: {
            requests: pending.map((item) => ({
              id: item.id,
              method: item.method ?? 'GET',
              url: `/${item.url.replace(/^\/+/, '')}`,
              headers: {
                prefer: PREFER,
                ...(item.body !== undefined ? { 'content-type': 'application/json' } : {}),
              },
              ...(item.body !== undefined ? { body: item.body } : {}),
            })),
          },
        });
        const responses = Array.isArray(outer.body.responses) ? outer.body.responses : [];
        const again: BatchRequest[] = [];
        let wait = 0;
        for (const item of pending) {
          const raw = responses.find((r) => (r as { id?: unknown })?.id === item.id) as
            | { status?: number; headers?: Record<string, string>; body?: unknown }
            | undefined;
          const status = typeof raw?.status === 'number' ? raw.status : 0;
          this.options.metrics.graphRequests.inc({ operation, outcome: outcomeOf(status) });
          if (RETRY_STATUSES.has(status) || status === 0) {
            const headers = lowerKeys(raw?.headers ?? {});
            wait = Math.max(
              wait,
              parseRetryAfter(headers['retry-after'] ?? null, this.#now()) ??
                backoffDelay(attempt, this.#backoff, this.#random),
            );
            again.push(item);
          } else {
            results.set(item.id, { status, body: raw?.body });
          }
        }
        pending = again;
        if (pending.length === 0) break;
        if (attempt >= this.#maxAttempts) throw new GraphError(429, 'batch_items_throttled', wait);
        this.#limiter.pause(userId, this.#now() + wait);
        // Too long to wait here: the mailbox stays paused and the job goes back to the queue.
        if (wait > this.#maxRetryAfterMs) throw new GraphError(429, 'batch_items_throttled', wait);
      }
    }
    return results;
  }

  /** Follows @odata.nextLink until the last page; returns every item and the last page's body. */
  async *pages<T>(
    userId: string,
    first: GraphRequest,
  ): AsyncGenerator<{ value: T[]; nextLink?: string; deltaLink?: string }> {
    let req: GraphRequest | undefined = first;
    while (req) {
      const response: GraphResponse<Record<string, unknown>> = await this.request(userId, req);
      const body = response.body ?? {};
      const value = Array.isArray(body.value) ? (body.value as T[]) : [];
      const next: unknown = body['@odata.nextLink'];
      const delta: unknown = body['@odata.deltaLink'];
      const nextLink = typeof next === 'string' ? next : undefined;
      const deltaLink = typeof delta === 'string' ? delta : undefined;
      yield { value, ...(nextLink ? { nextLink } : {}), ...(deltaLink ? { deltaLink } : {}) };
      req = nextLink
        ? {
            path: nextLink,
            operation: first.operation,
            ...(first.fallbackToken !== undefined ? { fallbackToken: first.fallbackToken } : {}),
          }
        : undefined;
    }
  }

  async #send(
    userId: string,
    permits: number,
    req: GraphRequest,
    url: string,
  ): Promise<{ response: Response; body: unknown } | { error: unknown }> {
    const { operation, body } = req;
    const method = req.method ?? 'GET';
    return this.#limiter.run(userId, permits, async () => {
      // Inside the slot: a pause set while this request waited still applies to it. A pause too long
      // to wait here (a long Retry-After another request got) goes back to the job queue.
      for (let until = this.#limiter.pausedUntil(userId); until > this.#now(); ) {
        const remaining = until - this.#now();
        if (remaining > this.#maxRetryAfterMs) throw new GraphError(429, 'mailbox_paused', remaining);
        await this.#sleep(remaining);
        until = this.#limiter.pausedUntil(userId);
      }
      const token = await this.#token(userId, req.fallbackToken);
      if (req.holdToken) req.holdToken.token = token;
      const end = this.options.metrics.graphDuration.startTimer({ operation });
      try {
        const response = await this.#fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            prefer: PREFER,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
        const text = await response.text();
        end();
        this.options.metrics.graphRequests.inc({ operation, outcome: outcomeOf(response.status) });
        return { response, body: text ? safeJson(text) : undefined };
      } catch (error) {
        end();
        this.options.metrics.graphRequests.inc({ operation, outcome: 'network_error' });
        return { error };
      }
    });
  }

  async #token(userId: string, fallback: string | undefined): Promise<string> {
    try {
      return await this.options.tokens.getAccessToken(userId);
    } catch (error) {
      if (isSignInRequired(error) && fallback !== undefined) return fallback;
      if (isSignInRequired(error)) throw new SignInRequiredError(userId, { cause: error });
      throw error;
    }
  }

  async #reauthenticate(userId: string, challenge: string | null): Promise<void> {
    const claims = claimsFrom(challenge);
    try {
      if (claims) await this.options.tokens.onClaimsChallenge(userId, claims);
      else await this.options.tokens.invalidate?.(userId);
    } catch (error) {
      if (isSignInRequired(error)) throw new SignInRequiredError(userId, { cause: error });
      throw error;
    }
  }

  #url(path: string, query: Readonly<Record<string, string>> | undefined): string {
    let url: URL;
    if (/^https?:\/\//i.test(path)) {
      url = new URL(path);
      // Links come from Graph's answers: never send a token anywhere but Graph.
      if (!url.toString().startsWith(this.#root)) throw new GraphError(0, 'foreign_link');
    } else {
      url = new URL(path.replace(/^\/+/, ''), this.#root);
    }
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    return url.toString();
  }
}

function outcomeOf(status: number): GraphOutcome {
  if (status === 0) return 'network_error';
  if (status < 300) return 'ok';
  if (status === 404) return 'not_found';
  if (status === 429) return 'throttled';
  if (status === 401) return 'unauthorized';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `claims` parameter of a CAE challenge, base64-decoded. */
export function claimsFrom(header: string | null): string | undefined {
  if (!header || !/error="insufficient_claims"/i.test(header)) return undefined;
  const match = /claims="([^"]+)"/i.exec(header);
  return match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : undefined;
}

function errorCode(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code.slice(0, 80) : 'unknown';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
