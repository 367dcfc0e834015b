/** Exponential backoff with full jitter: a random wait in [0, min(cap, base·2^attempt)). */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
}

export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  // Never zero: a zero wait would retry in a tight loop against a struggling service.
  return Math.max(Math.floor(policy.baseMs / 2), Math.floor(random() * ceiling));
}
