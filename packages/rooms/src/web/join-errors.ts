/**
 * What the pre-join form says when the server answers a join with a recoverable error. Every code a
 * join can get has an answer: one left out would leave the page on "Joining…" for good.
 */
import type { ErrorCode } from '../shared/protocol.js';
import type { MessageKey } from './texts.js';

export interface JoinErrorText {
  readonly key: MessageKey;
  readonly vars?: Record<string, number>;
  /** The field the visitor should fix; `form` puts focus back on the Join button. */
  readonly field: 'name' | 'pin' | 'form';
}

/** Null for codes that do not answer a join (they come during the call). */
export function joinErrorFor(code: ErrorCode, remainingAttempts?: number): JoinErrorText | null {
  switch (code) {
    case 'wrong_pin':
      return { key: 'wrongPin', vars: { remaining: remainingAttempts ?? 0 }, field: 'pin' };
    case 'pin_required':
      return { key: 'pinRequired', field: 'pin' };
    // The server found no name left after cleaning it, or the message did not fit its schema.
    case 'invalid_message':
      return { key: 'nameInvalid', field: 'name' };
    case 'already_joined':
      return { key: 'alreadyJoining', field: 'form' };
    case 'rate_limited':
      return { key: 'tooFast', field: 'form' };
    // The page forgets the ticket and shows the PIN field: the host PIN still gets in.
    case 'host_link_invalid':
      return { key: 'hostLinkInvalid', field: 'pin' };
    default:
      return null;
  }
}
