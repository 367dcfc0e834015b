/**
 * Outbound HTTP to subscribers: the validation handshake and notification delivery. Notifications
 * for the same URL raised in the same tick go out in one POST (Graph may batch several in `value`);
 * non-2xx answers and timeouts are retried on a schedule. flush() lets tests wait for every pending
 * delivery instead of sleeping.
 */
import { GraphError } from './errors.js';
import type { DeliveryAttempt } from './types.js';

export interface WebhookOptions {
  fetch: typeof fetch;
  now: () => Date;
  /** Graph requires the validation answer within 10 seconds. */
  validationTimeoutMs: number;
  /** Graph's notification client gives up on a POST after 3 seconds. */
  deliveryTimeoutMs: number;
  /** Waits before each retry of a failed delivery; its length is the number of retries. */
  retryDelaysMs: readonly number[];
}

export type NotificationKind = 'change' | 'lifecycle';

const validationFailed = (message: string): GraphError =>
  new GraphError(400, 'ValidationError', `Subscription validation request failed. ${message}`);

function withQuery(url: string, name: string, value: string): string {
  const target = new URL(url);
  target.searchParams.append(name, value);
  return target.toString();
}

export class WebhookClient {
  private readonly queued = new Map<string, { kind: NotificationKind; items: unknown[] }>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Pending retry waits; close() ends them early. */
  private readonly waits = new Set<() => void>();
  private scheduled: NodeJS.Immediate | undefined;
  private readonly log: DeliveryAttempt[] = [];
  private closed = false;

  constructor(private readonly options: WebhookOptions) {}

  attempts(): DeliveryAttempt[] {
    return this.log.map((a) => ({ ...a }));
  }

  /**
   * POSTs `?validationToken=<token>` to the URL and requires 200, text/plain and the token echoed.
   * Graph's token is a readable sentence, so clients must URL-decode it properly.
   */
  async validate(url: string, requestId: string): Promise<void> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${requestId}`;
    let response: Response;
    try {
      response = await this.options.fetch(withQuery(url, 'validationToken', token), {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
        signal: AbortSignal.timeout(this.options.validationTimeoutMs),
      });
    } catch {
      this.record({ url, kind: 'validation', status: 0, notifications: 0 });
      throw validationFailed('Notification endpoint must respond with 200 OK to validation request.');
    }
    const text = await response.text().catch(() => '');
    this.record({ url, kind: 'validation', status: response.status, notifications: 0 });
    if (response.status !== 200) {
      throw validationFailed('Notification endpoint must respond with 200 OK to validation request.');
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.toLowerCase().startsWith('text/plain') || text !== token) {
      throw validationFailed('Response must exactly match validationToken query parameter.');
    }
  }

  /** Queues notifications for a URL; they are POSTed together on the next tick. */
  enqueue(url: string, kind: NotificationKind, items: readonly unknown[]): void {
    if (this.closed || items.length === 0) return;
    const key = `${kind} ${url}`;
    const queue = this.queued.get(key) ?? { kind, items: [] };
    queue.items.push(...items);
    this.queued.set(key, queue);
    this.scheduled ??= setImmediate(() => this.dispatchQueued());
  }

  /** Resolves once nothing is queued, being delivered or waiting for a retry. */
  async flush(): Promise<void> {
    for (;;) {
      this.dispatchQueued();
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Stops retries and drops what is queued; deliveries already on the wire finish. */
  async close(): Promise<void> {
    this.closed = true;
    this.queued.clear();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const end of [...this.waits]) end();
    await Promise.allSettled([...this.inFlight]);
  }

  private dispatchQueued(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batches = [...this.queued];
    this.queued.clear();
    for (const [key, { kind, items }] of batches) {
      const url = key.slice(kind.length + 1);
      const delivery = this.deliver(url, kind, { value: items }).finally(() =>
        this.inFlight.delete(delivery),
      );
      this.inFlight.add(delivery);
    }
  }

  private async deliver(url: string, kind: NotificationKind, payload: { value: unknown[] }): Promise<void> {
    const body = JSON.stringify(payload);
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return;
      let status = 0;
      try {
        const response = await this.options.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          signal: AbortSignal.timeout(this.options.deliveryTimeoutMs),
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
      } catch {
        status = 0;
      }
      this.record({ url, kind, status, notifications: payload.value.length });
      if (status >= 200 && status < 300) return;
      const delay = this.options.retryDelaysMs[attempt];
      if (delay === undefined || this.closed) return;
      await new Promise<void>((resolve) => {
        const end = (): void => {
          clearTimeout(timer);
          this.waits.delete(end);
          resolve();
        };
        const timer = setTimeout(end, delay);
        this.waits.add(end);
      });
    }
  }

  private record(attempt: Omit<DeliveryAttempt, 'time'>): void {
    this.log.push({ ...attempt, time: this.options.now() });
  }
}
