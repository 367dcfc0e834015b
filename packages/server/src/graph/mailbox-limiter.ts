/**
 * Per-mailbox request gate: at most `limit` requests in flight per mailbox (Graph's Outlook limit is
 * four concurrent requests per app and mailbox), and a pause shared by every request of a mailbox
 * once Graph said "Retry-After".
 */
export class MailboxLimiter {
  readonly #slots = new Map<string, { used: number; waiting: (() => void)[] }>();
  readonly #pausedUntil = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Runs `work` holding `permits` slots (a $batch takes several). */
  async run<T>(mailbox: string, permits: number, work: () => Promise<T>): Promise<T> {
    const wanted = Math.max(1, Math.min(this.limit, permits));
    let state = this.#slots.get(mailbox);
    if (!state) {
      state = { used: 0, waiting: [] };
      this.#slots.set(mailbox, state);
    }
    const slot = state;
    while (slot.used + wanted > this.limit) await new Promise<void>((resolve) => slot.waiting.push(resolve));
    slot.used += wanted;
    try {
      return await work();
    } finally {
      slot.used -= wanted;
      const next = slot.waiting.splice(0);
      for (const wake of next) wake();
      if (slot.used === 0 && slot.waiting.length === 0) this.#slots.delete(mailbox);
    }
  }

  pause(mailbox: string, until: number): void {
    if (until > (this.#pausedUntil.get(mailbox) ?? 0)) this.#pausedUntil.set(mailbox, until);
  }

  /** Epoch ms until which the mailbox must not be called, or 0. */
  pausedUntil(mailbox: string): number {
    return this.#pausedUntil.get(mailbox) ?? 0;
  }

  inFlight(mailbox: string): number {
    return this.#slots.get(mailbox)?.used ?? 0;
  }
}
