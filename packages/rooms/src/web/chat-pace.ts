/**
 * The page keeps to the server's chat limit itself, so that a line over it never leaves the page.
 * Refused by the server, a line came back after later ones had gone (the limit refills while it
 * travels), and the conversation read out of order. Kept in the page, it stays in the message field
 * and nothing typed after it can overtake it.
 */
import { LIMITS } from '../shared/protocol.js';
import { TokenBucket } from '../shared/token-bucket.js';

/**
 * Lines the page keeps in hand below the server's burst. The server counts a line when it arrives:
 * a line held up on the way (a lost packet resent) reaches it together with the lines sent after it,
 * which the page had counted a refill apart. Each line in hand covers one refill's worth of such
 * delay (a second), so the server refuses nothing the page sent unless the network held a line back
 * more than two seconds longer than a later one; then the server's own answer still comes.
 */
export const PAGE_CHAT_HEADROOM = 2;

export function chatPace(now: () => number = () => performance.now()): TokenBucket {
  return new TokenBucket(LIMITS.chatBurst - PAGE_CHAT_HEADROOM, LIMITS.chatPerSecond, now);
}
