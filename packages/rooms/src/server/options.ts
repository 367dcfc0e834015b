/** What the room service is configured with, checked once, defaults filled in. */
import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { IceServer } from '../shared/protocol.js';
import type { PinFailureLedger, RoomDirectory } from './directory.js';
import type { HubLogger } from './hub.js';
import type { TurnOptions } from './turn.js';

export interface RoomsOptions {
  readonly directory: RoomDirectory;
  /** STUN (and static TURN) servers handed to browsers. Default: none (same network only). */
  readonly iceServers?: readonly IceServer[];
  /** A coturn relay with `use-auth-secret`: each participant gets a credential valid `ttlSeconds`. */
  readonly turn?: TurnOptions;
  /** Default 60, like ROOMLINK_ROOM_OPEN_BEFORE_MINUTES. */
  readonly openBeforeMinutes?: number;
  /** Default 60, like ROOMLINK_ROOM_CLOSE_AFTER_MINUTES. */
  readonly closeAfterMinutes?: number;
  /** Default 6: see README ("Why at most 6"). */
  readonly maxParticipants?: number;
  /** Wrong PINs per client and room before a lockout. Default 5. */
  readonly pinAttempts?: number;
  /**
   * PIN tries per room (all clients) before the room stops taking PINs; each further lockout within
   * a day of the previous one's end lasts twice as long (at most a day). Default 10 × pinAttempts.
   */
  readonly roomPinAttempts?: number;
  /** Length of a client's lockout, and of a room's first one. Default 15. */
  readonly lockoutMinutes?: number;
  /**
   * Where each room's budget of PIN tries is kept (see PinFailureLedger). Default: this process's
   * memory. Give the core's database so that its processes share one budget that outlives restarts.
   */
  readonly pinFailures?: PinFailureLedger;
  /**
   * Signalling sockets one client (see clientAddress) may hold open at once, all rooms together; one
   * more upgrade is answered 429 before the handshake. Default 200; raise it if many people join from
   * behind one shared address. It also sizes how often one client may open a new socket: twice this
   * many at once, then a tenth of it per second.
   */
  readonly maxSocketsPerClient?: number;
  /**
   * How long a signalling socket may stay open without joining (a visitor at the PIN form) before
   * the server closes it. Default 600 (10 minutes); the join page opens a new one when it joins.
   */
  readonly joinTimeoutSeconds?: number;
  /**
   * How often every live room is checked against the directory, for what another process changed
   * (the CLI offboarding a tenant, retention, a second server) or a day that came (a contract end).
   * Default 60.
   */
  readonly recheckSeconds?: number;
  readonly now?: () => Date;
  /** Where join/leave counts go. Without it they are counted in a private registry. */
  readonly metricsRegistry?: Registry;
  readonly logger?: HubLogger;
  /** The built client (Vite output). Default: packages/rooms/dist/web. */
  readonly webRoot?: string;
  /**
   * Who counts as one client for PIN lockouts and the socket cap. Default: the request's address
   * (Fastify's request.ip).
   */
  readonly clientAddress?: (request: FastifyRequest) => string;
  /**
   * The public URL the join page is reached at (Roomlink's ROOMLINK_BASE_URL). The page's CSP names
   * its WebSocket origin (wss: for https:, ws: for http:) in connect-src, for browsers whose 'self'
   * does not cover WebSockets (Safari before 16). Without it, connect-src is 'self' alone. The
   * request's Host header is never used for the CSP: the client controls it.
   *
   * The signalling WebSocket refuses (403) an upgrade whose Origin header is not this URL's origin:
   * a page elsewhere must not join rooms or try PINs from its visitors' browsers and addresses.
   * Without publicUrl, the Origin's host must be the request's Host (a browser sends the real one).
   */
  readonly publicUrl?: string | URL;
}

export interface ResolvedRoomsOptions {
  readonly directory: RoomDirectory;
  readonly iceServers: readonly IceServer[];
  readonly turn: TurnOptions | undefined;
  readonly openBeforeMinutes: number;
  readonly closeAfterMinutes: number;
  readonly maxParticipants: number;
  readonly pinAttempts: number;
  readonly roomPinAttempts: number;
  readonly lockoutMinutes: number;
  readonly pinFailures: PinFailureLedger | undefined;
  readonly maxSocketsPerClient: number;
  readonly joinTimeoutSeconds: number;
  readonly recheckSeconds: number;
  readonly now: () => Date;
  readonly metricsRegistry: Registry | undefined;
  readonly logger: HubLogger;
  readonly webRoot: string;
  readonly clientAddress: (request: FastifyRequest) => string;
  /** `wss://host[:port]` or `ws://host[:port]` from publicUrl, or null. */
  readonly socketOrigin: string | null;
  /** `https://host[:port]` or `http://host[:port]` from publicUrl, or null: the join page's origin. */
  readonly pageOrigin: string | null;
}

/** From src/server or dist/server alike, the built client is two levels up in dist/web. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const silent: HubLogger = { debug: () => undefined, warn: () => undefined };

export function resolveOptions(options: RoomsOptions): ResolvedRoomsOptions {
  const pinAttempts = integer('pinAttempts', options.pinAttempts, 5, 1, 100);
  const resolved: ResolvedRoomsOptions = {
    directory: options.directory,
    iceServers: options.iceServers ?? [],
    turn: options.turn,
    openBeforeMinutes: integer('openBeforeMinutes', options.openBeforeMinutes, 60, 0, 24 * 60),
    closeAfterMinutes: integer('closeAfterMinutes', options.closeAfterMinutes, 60, 0, 24 * 60),
    maxParticipants: integer('maxParticipants', options.maxParticipants, 6, 2, 50),
    pinAttempts,
    roomPinAttempts: integer('roomPinAttempts', options.roomPinAttempts, pinAttempts * 10, 1, 10_000),
    lockoutMinutes: integer('lockoutMinutes', options.lockoutMinutes, 15, 1, 24 * 60),
    pinFailures: options.pinFailures,
    // Generous: a whole office behind one public address (NAT) joins its meetings at once; the cap
    // only bounds how many room lookups one address can have in flight.
    maxSocketsPerClient: integer('maxSocketsPerClient', options.maxSocketsPerClient, 200, 1, 10_000),
    joinTimeoutSeconds: integer('joinTimeoutSeconds', options.joinTimeoutSeconds, 600, 1, 24 * 3600),
    recheckSeconds: integer('recheckSeconds', options.recheckSeconds, 60, 1, 3600),
    now: options.now ?? (() => new Date()),
    metricsRegistry: options.metricsRegistry,
    logger: options.logger ?? silent,
    webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
    clientAddress: options.clientAddress ?? ((request) => request.ip),
    ...origins(options.publicUrl),
  };
  if (resolved.turn) {
    const { secret, urls, ttlSeconds } = resolved.turn;
    if (!secret) throw new RangeError('turn.secret must not be empty');
    if (urls.length === 0 || !urls.every((u) => /^turns?:/.test(u)))
      throw new RangeError('turn.urls must be turn: or turns: URLs');
    integer('turn.ttlSeconds', ttlSeconds, 0, 60, 7 * 24 * 3600);
  }
  for (const server of resolved.iceServers) {
    const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
    if (urls.length === 0 || !urls.every((u) => /^(stun|stuns|turn|turns):/.test(u)))
      throw new RangeError('iceServers urls must be stun:, stuns:, turn: or turns: URLs');
  }
  return resolved;
}

/** The page and WebSocket origins of the public URL, checked to be safe to put in a header. */
function origins(publicUrl: string | URL | undefined): {
  socketOrigin: string | null;
  pageOrigin: string | null;
} {
  if (publicUrl === undefined) return { socketOrigin: null, pageOrigin: null };
  const problem = new RangeError('publicUrl must be an absolute http: or https: URL');
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw problem;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw problem;
  // URL.host is normalized (lower case, punycode, no default port) but may still hold ; or ,
  if (!/^[a-z0-9.:[\]-]+$/.test(url.host)) throw problem;
  return {
    socketOrigin: `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`,
    pageOrigin: `${url.protocol}//${url.host}`,
  };
}

function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}
