/**
 * Taking a meeting back after sign-out. Sign-out deletes the user's Exchange id, so a later sign-in
 * creates a fresh user row and the meetings stay with the old, signed-out one (docs/auth.md). The
 * add-in proves that the caller can open the Outlook appointment by presenting the idempotency key it
 * stored in that appointment's custom properties (header Roomlink-Item-Key); MeetingService then moves
 * the meeting to the caller, but only from a signed-out organizer of the same tenant (the store's
 * guarded update, MeetingRepository.reassignFromSignedOut).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The HTTP header carrying the item's key (lower case, as Node presents header names). */
export const ITEM_KEY_HEADER = 'roomlink-item-key';

/** What a request about one meeting may present besides its session. */
export interface MeetingAccess {
  /** The idempotency key of the Outlook item that carries the meeting, when the client has it. */
  readonly itemKey?: string | undefined;
}

/**
 * True when the presented key is the meeting's stored key. Compared in constant time (over digests,
 * so that the length of the stored key does not show either): the key is a bearer secret.
 */
export function sameItemKey(stored: string | null, presented: string | undefined): boolean {
  if (stored === null || presented === undefined || presented === '') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(stored), digest(presented));
}
