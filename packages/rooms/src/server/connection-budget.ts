/**
 * New signalling connections per client (address): a token bucket per client, taken before the
 * WebSocket handshake. The socket cap and the frame budgets count what a client holds and sends; this
 * counts how often it connects, which they do not see: one address opening and closing sockets in a
 * loop pays for a handshake, a socket and its timers each time, and holds none of them for long.
 *
 * Memory stays bounded: a client's bucket that has refilled completely is the same as none, and
 * sweep() forgets it; past `maxClients` the one unused longest goes first (it gets a full bucket
 * back, which only ever lets a client in).
 */
import { TokenBucket } from '../shared/token-bucket.js';

export class ConnectionBudget {
  /** Least recently used first (take() moves a client to the end). */
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
    private readonly maxClients = 100_000,
  ) {
    if (!(burst >= 1) || !(perSecond > 0)) throw new RangeError('burst must be ≥ 1 and perSecond > 0');
  }

  /** Takes one new connection from `client`'s budget; says whether there was one. */
  take(client: string): boolean {
    let bucket = this.#buckets.get(client);
    if (bucket) this.#buckets.delete(client);
    else {
      if (this.#buckets.size >= this.maxClients) this.#forgetOldest();
      bucket = new TokenBucket(this.burst, this.perSecond, this.now);
    }
    this.#buckets.set(client, bucket);
    return bucket.take();
  }

  /**
   * Whether take(client) would succeed now, taking nothing: a client asking why it was refused must
   * not be refused for asking. A client not remembered stays so, and none moves in the order of use.
   */
  canTake(client: string): boolean {
    return this.#buckets.get(client)?.has() ?? true;
  }

  /** Seconds until `client` may connect again (0: now). */
  retryAfterSeconds(client: string): number {
    return this.#buckets.get(client)?.secondsUntil() ?? 0;
  }

  /** Forgets the clients whose budget has refilled completely. */
  sweep(): void {
    for (const [client, bucket] of this.#buckets) if (bucket.full) this.#buckets.delete(client);
  }

  /** Clients remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  /** The client unused longest goes: O(1), however many are remembered. */
  #forgetOldest(): void {
    const oldest = this.#buckets.keys().next();
    if (!oldest.done) this.#buckets.delete(oldest.value);
  }
}
