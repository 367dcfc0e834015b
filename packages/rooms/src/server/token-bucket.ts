/** A token bucket: `capacity` messages at once, refilled at `perSecond`. */
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

  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
