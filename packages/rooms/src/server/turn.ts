/**
 * Short-lived TURN credentials in the form coturn checks with `use-auth-secret`
 * (draft-uberti-behave-turn-rest): username "<expiry unix seconds>:<id>",
 * credential base64(HMAC-SHA1(static-auth-secret, username)).
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../shared/protocol.js';

export interface TurnOptions {
  /** coturn's static-auth-secret. */
  readonly secret: string;
  readonly urls: readonly string[];
  readonly ttlSeconds: number;
}

export interface TurnCredential {
  readonly username: string;
  readonly credential: string;
  readonly expiresAt: Date;
}

export function turnCredential(secret: string, ttlSeconds: number, now: Date, id: string): TurnCredential {
  if (secret === '') throw new RangeError('the TURN secret must not be empty');
  if (id.includes(':')) throw new RangeError('a TURN user id must not contain ":"');
  const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const username = `${expiry}:${id}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: new Date(expiry * 1000) };
}

/** The shortest credential handed out, whatever `notAfter` says (the `ttlSeconds` option's minimum). */
export const MIN_TURN_TTL_SECONDS = 60;

/**
 * How long a credential minted at `now` lives: `ttlSeconds`, but not past `notAfter` (a room's closing
 * time plus a margin: a credential must not outlive the room it was given for), and never less than
 * MIN_TURN_TTL_SECONDS.
 */
export function turnLifetime(ttlSeconds: number, now: Date, notAfter?: Date): number {
  if (notAfter === undefined) return ttlSeconds;
  const left = Math.floor((notAfter.getTime() - now.getTime()) / 1000);
  return Math.max(MIN_TURN_TTL_SECONDS, Math.min(ttlSeconds, left));
}

/**
 * The configured STUN/TURN servers, plus the TURN relay with a credential minted for this participant,
 * valid `turn.ttlSeconds` but not past `notAfter` (see turnLifetime).
 */
export function iceServersFor(
  base: readonly IceServer[],
  turn: TurnOptions | undefined,
  now: Date,
  participantId: string,
  notAfter?: Date,
): IceServer[] {
  if (!turn || turn.urls.length === 0) return [...base];
  const ttl = turnLifetime(turn.ttlSeconds, now, notAfter);
  const { username, credential } = turnCredential(turn.secret, ttl, now, participantId);
  return [...base, { urls: [...turn.urls], username, credential }];
}
