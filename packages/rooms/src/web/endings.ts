/**
 * How a call ends, from what the server sent or how the socket closed, and what the page says then.
 * Free of the DOM, so that the Node tests can read it.
 */
import { CLOSE, type ServerMessage } from '../shared/protocol.js';
import type { MessageKey } from './texts.js';

export type EndReason =
  | 'leftMeeting'
  | 'removed'
  | 'denied'
  | 'endedCancelled'
  | 'endedTime'
  | 'endedChanged'
  | 'endedMoved'
  | 'replaced'
  | 'connectionLost';

export interface Ending {
  readonly reason: EndReason;
  /** endedMoved only: when the room opens again (ISO 8601), if known. */
  readonly opensAt?: string;
}

export const END_MESSAGES: Record<EndReason, MessageKey> = {
  leftMeeting: 'leftMeeting',
  removed: 'removed',
  denied: 'denied',
  endedCancelled: 'endedCancelled',
  endedTime: 'endedTime',
  endedChanged: 'endedChanged',
  endedMoved: 'endedMoved',
  replaced: 'replaced',
  connectionLost: 'connectionLost',
};

const END_REASONS: Record<Extract<ServerMessage, { type: 'closed' }>['reason'], EndReason> = {
  cancelled: 'endedCancelled',
  ended: 'endedTime',
  changed: 'endedChanged',
  moved: 'endedMoved',
};

/** The end a server message means, or null for one that does not end the call. */
export function endingOf(message: ServerMessage): Ending | null {
  switch (message.type) {
    case 'removed':
    case 'denied':
    case 'replaced':
      return { reason: message.type };
    case 'closed': {
      const reason = END_REASONS[message.reason] ?? 'endedTime';
      return message.opensAt !== undefined ? { reason, opensAt: message.opensAt } : { reason };
    }
    default:
      return null;
  }
}

/**
 * The end of a call whose socket closed with `code` and no message saying why first. A replaced
 * connection is told apart by its code too: taken for a lost one, the page would offer to take the
 * seat back from the window that just took it.
 */
export function endingOnClose(code: number): EndReason {
  return code === CLOSE.replaced ? 'replaced' : 'connectionLost';
}
