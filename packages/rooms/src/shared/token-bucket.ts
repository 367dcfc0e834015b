/** A token bucket: `capacity` tokens (messages, or bytes) at once, refilled at `perSecond`. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.#tokens = capacity;
    this.#last = now();
  }

  /** Takes `cost` tokens if there are that many; otherwise takes none. */
  take(cost = 1): boolean {
    this.#refill();
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /** Whether take(cost) would succeed now; takes nothing. */
  has(cost = 1): boolean {
    this.#refill();
    return this.#tokens >= cost;
  }

  /** Seconds until `cost` tokens are there (0: now). */
  secondsUntil(cost = 1): number {
    this.#refill();
    const missing = cost - this.#tokens;
    return missing <= 0 ? 0 : Math.ceil(missing / this.perSecond);
  }

  /** Refilled completely: the same as a new bucket, so a holder may forget it. */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.capacity;
  }

  #refill(): void {
    const now = this.now();
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + (Math.max(0, now - this.#last) / 1000) * this.perSecond,
    );
    this.#last = now;
  }
}
