/**
 * Host links are single use: the hub remembers the ids of tickets it admitted a host with until they
 * expire, in memory. All signalling for a room reaches one process, so one memory is enough; a
 * restart forgets, which lets a ticket already used in again for at most the rest of its life
 * (15 minutes from issue), only to someone who already held it.
 */
import type { HostTicketClaim } from './directory.js';

export type TicketVerdict =
  | 'valid'
  | 'expired'
  | 'spent'
  /** So many unexpired tickets spent that one more could not be remembered (see SpentTickets). */
  | 'full';

/**
 * Spent ticket ids until their expiry. At `capacity` unexpired ids, new tickets are refused rather
 * than an unexpired id forgotten: forgetting would make a used ticket good again, while a refusal
 * only sends a host to the PIN, which still works. Tickets are issued only to signed-in organizers,
 * and each lives 15 minutes, so the default capacity is far beyond what a deployment spends.
 */
export class SpentTickets {
  /** Ticket id → its expiry (ms). */
  readonly #until = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** Whether a host may be admitted with `claim` at `now` (ms); spends nothing. */
  judge(claim: HostTicketClaim, now: number): TicketVerdict {
    const expiresAt = claim.expiresAt.getTime();
    // NaN (an invalid date) is expired too.
    if (!(expiresAt > now)) return 'expired';
    if (this.#until.has(claim.id)) return 'spent';
    if (this.#until.size >= this.capacity) this.prune(now);
    return this.#until.size >= this.capacity ? 'full' : 'valid';
  }

  /** The host was admitted with `claim`: it may not be used again while it is valid. */
  spend(claim: HostTicketClaim): void {
    this.#until.set(claim.id, claim.expiresAt.getTime());
  }

  /** Forgets the ids of tickets expired at `now` (ms): they are refused as expired anyway. */
  prune(now: number): void {
    for (const [id, until] of this.#until) if (until <= now) this.#until.delete(id);
  }

  get size(): number {
    return this.#until.size;
  }
}
