/**
 * Why the signalling connection did not open. A browser never sees the status of a refused WebSocket
 * upgrade, so after a failed connect the page asks the server's admission route (fetchAdmission),
 * which answers as the upgrade would have without taking anything from this client's limits; this
 * reads its answer.
 */
import type { MessageKey } from './texts.js';

export type BusyReason = 'socket_cap' | 'connection_rate';

export type Admission =
  /** The server refuses this network's connections for now: try again in `retryAfterSeconds`. */
  | { readonly state: 'busy'; readonly reason: BusyReason; readonly retryAfterSeconds: number }
  /** Anything else (admitted now, no answer, an older server): the failure was something else. */
  | { readonly state: 'unknown' };

/** The wait when Retry-After is missing or unreadable: the server's own wait at the socket cap. */
export const DEFAULT_RETRY_SECONDS = 5;
/** Never sooner, whatever the header says: the page retries on a timer, never in a loop. */
export const MIN_RETRY_SECONDS = 1;
/** Never later: a page left open should still get in soon after the server lets it. */
export const MAX_RETRY_SECONDS = 300;

export const BUSY_MESSAGES: Record<BusyReason, MessageKey> = {
  socket_cap: 'tooManyConnections',
  connection_rate: 'connectingTooOften',
};

const UNKNOWN: Admission = { state: 'unknown' };

/** What a 429 of the admission route says: its problem document and Retry-After header. */
export function admissionFrom(problem: unknown, retryAfter: string | null): Admission {
  const { code, reason } = (problem ?? {}) as { code?: unknown; reason?: unknown };
  if (code !== 'too_many_connections' || (reason !== 'socket_cap' && reason !== 'connection_rate'))
    return UNKNOWN;
  return { state: 'busy', reason, retryAfterSeconds: retrySeconds(retryAfter) };
}

/**
 * Retry-After in seconds, kept within MIN_RETRY_SECONDS..MAX_RETRY_SECONDS. Roomlink sends seconds;
 * anything else (an HTTP date from a proxy) gets the default wait.
 */
export function retrySeconds(retryAfter: string | null): number {
  const seconds = retryAfter !== null && /^\s*\d+\s*$/.test(retryAfter) ? Number(retryAfter) : Number.NaN;
  if (!Number.isFinite(seconds)) return DEFAULT_RETRY_SECONDS;
  return Math.min(MAX_RETRY_SECONDS, Math.max(MIN_RETRY_SECONDS, seconds));
}

/**
 * How long the page waits before its `attempt`-th try in a row (1 for the first) after the server
 * said `seconds`: that wait, doubled for every try in a row that was refused again, and up to a fifth
 * more at random (`random` in [0, 1)); never less than the server said, never over MAX_RETRY_SECONDS.
 * Everyone behind one crowded address was refused at about the same moment; without the spread they
 * would all come back at the same moment too, and be refused together again.
 */
export function retryDelayMs(seconds: number, attempt: number, random: number): number {
  const doubled = seconds * 2 ** Math.max(0, Math.min(attempt - 1, 16));
  const spread = 1 + 0.2 * Math.min(Math.max(random, 0), 1);
  const wait = Math.min(MAX_RETRY_SECONDS, Math.max(MIN_RETRY_SECONDS, doubled * spread));
  return Math.round(wait * 1000);
}
