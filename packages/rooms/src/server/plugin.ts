/**
 * The built-in room service as a Fastify plugin: the join page, its static files, the public room
 * status and the signalling WebSocket.
 */
import type { Socket } from 'node:net';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { type Language, parseAcceptLanguage, pickLanguage } from '../shared/language.js';
import { CLOSE, type RoomStatus } from '../shared/protocol.js';
import type { RoomInfo } from './directory.js';
import { RoomHub, type UpgradeRefusal } from './hub.js';
import { clientKey, PinGuard } from './lockout.js';
import { createRoomMetrics, type RoomMetrics } from './metrics.js';
import { type ResolvedRoomsOptions, type RoomsOptions, resolveOptions } from './options.js';
import { notFoundPage, pageHeaders, unavailablePage } from './pages.js';
import { roomTiming } from './room-window.js';
import { loadWebAssets } from './web-assets.js';

export interface RoomService {
  /** Adds the routes to `app` (and @fastify/websocket, unless `app` already has it). */
  register(app: FastifyInstance): Promise<void>;
  /**
   * Disconnects everyone in the room whose slug or meeting id is `key`, telling them why; returns
   * how many were disconnected. Call it when a meeting is cancelled or deleted.
   */
  closeRoom(key: string, reason?: 'cancelled' | 'ended'): number;
  /**
   * Checks the live room whose slug or meeting id is `key` against the directory now: call it when
   * the meeting's times, guest PIN or lobby change. A room no longer open ends; guests who no longer
   * qualify are told to join again. Resolves to how many were disconnected; never rejects.
   */
  recheckRoom(key: string): Promise<number>;
  /** Live counts (no identities). */
  counts(): { rooms: number; participants: number; waiting: number; sockets: number };
}

/** Slugs are base64url; anything else cannot be a room and never reaches the directory. */
const SLUG = /^[A-Za-z0-9_-]{8,64}$/;
/** A little above the largest valid message, so that the hub can answer "too big" itself. */
const MAX_FRAME_BYTES = 64 * 1024;
const PROBLEM_BASE = 'https://roomlink.dev/problems/';

export function createRooms(options: RoomsOptions): RoomService {
  const config = resolveOptions(options);
  const metrics = createRoomMetrics(config.metricsRegistry, {
    rooms: () => hub.counts().rooms,
    participants: () => hub.counts().participants,
    waiting: () => hub.counts().waiting,
  });
  const hub: RoomHub = new RoomHub({
    directory: config.directory,
    window: config,
    maxParticipants: config.maxParticipants,
    iceServers: config.iceServers,
    turn: config.turn,
    pins: new PinGuard(
      {
        attempts: config.pinAttempts,
        roomAttempts: config.roomPinAttempts,
        lockoutMs: config.lockoutMinutes * 60_000,
      },
      () => config.now().getTime(),
      config.pinFailures,
    ),
    metrics,
    now: config.now,
    logger: config.logger,
    joinTimeoutMs: config.joinTimeoutSeconds * 1000,
    heartbeatMs: 30_000,
    maxSocketsPerClient: config.maxSocketsPerClient,
    recheckMs: config.recheckSeconds * 1000,
  });
  return {
    register: (app) => registerRoutes(app, config, hub, metrics),
    closeRoom: (key, reason) => hub.closeRoom(key, reason),
    recheckRoom: (key) => hub.recheckRoom(key),
    counts: () => hub.counts(),
  };
}

/** createRooms + register in one call, for servers that need no handle before the app exists. */
export async function registerRooms(app: FastifyInstance, options: RoomsOptions): Promise<RoomService> {
  const rooms = createRooms(options);
  await rooms.register(app);
  return rooms;
}

async function registerRoutes(
  app: FastifyInstance,
  config: ResolvedRoomsOptions,
  hub: RoomHub,
  metrics: RoomMetrics,
) {
  const web = await loadWebAssets(config.webRoot);
  if (web.page('en') === null)
    config.logger.warn(
      { webRoot: config.webRoot },
      'join page not built: run "npm run build -w @roomlink/rooms"',
    );
  app.addHook('onClose', async () => hub.close());

  /** Upgrades admitted, until their handler runs: what ends the place each holds (see holdPlace). */
  const places = new WeakMap<FastifyRequest, () => void>();

  await app.register(async (scope) => {
    if (!scope.hasDecorator('websocketServer'))
      await scope.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });

    const lookup = async (slug: string): Promise<RoomInfo | null | 'error'> => {
      if (!SLUG.test(slug)) return null;
      try {
        return await config.directory.findBySlug(slug);
      } catch (error) {
        config.logger.warn({ err: { type: (error as Error)?.name } }, 'room directory failed');
        return 'error';
      }
    };

    scope.get<{ Params: { slug: string }; Querystring: { lang?: unknown } }>(
      '/m/:slug',
      { schema: HIDDEN },
      async (request, reply) => {
        // First, so that every answer (an error page too) carries the CSP and the other page headers.
        void reply.headers(pageHeaders(config.socketOrigin)).type('text/html; charset=utf-8');
        // A repeated ?lang is an array: only a single value is a choice.
        const lang = typeof request.query.lang === 'string' ? request.query.lang : undefined;
        const wanted = [lang, ...parseAcceptLanguage(request.headers['accept-language'])];
        const room = await lookup(request.params.slug);
        const language: Language = pickLanguage(wanted, room && room !== 'error' ? room.language : 'en');
        if (room === 'error') return reply.code(503).send(unavailablePage(language, web.stylesheet));
        if (!room) return reply.code(404).send(notFoundPage(language, web.stylesheet));
        const page = web.page(language);
        if (page === null) return reply.code(503).send(unavailablePage(language, web.stylesheet));
        return reply.send(page);
      },
    );

    scope.get<{ Params: { '*': string } }>('/rooms/assets/*', { schema: HIDDEN }, async (request, reply) => {
      const asset = web.asset(request.params['*']);
      if (!asset) return sendProblem(reply, 404, 'not_found', 'Not found', 'no such file');
      // File names carry a content hash: a new build is a new URL.
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .type(asset.type)
        .send(asset.body);
    });

    scope.get<{ Params: { slug: string } }>(
      '/api/v1/rooms/:slug',
      {
        schema: STATUS_ROUTE_SCHEMA,
      },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
        const room = await lookup(request.params.slug);
        if (room === 'error')
          return sendProblem(reply, 503, 'unavailable', 'Service unavailable', 'try again');
        if (!room) return sendProblem(reply, 404, 'not_found', 'Not found', 'no such room');
        return roomStatus(room, config);
      },
    );

    // From the client's address alone, with no directory lookup: the answer says nothing about the
    // room (it is the same for any slug), and asking costs a page whose upgrade failed next to nothing.
    scope.get<{ Params: { slug: string } }>(
      '/api/v1/rooms/:slug/admission',
      { schema: ADMISSION_ROUTE_SCHEMA },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
        const outlook = hub.peekConnection(clientKey(config.clientAddress(request)));
        if (outlook.ok) return reply.code(204).send();
        return reply
          .code(429)
          .header('retry-after', String(outlook.retryAfterSeconds))
          .type('application/problem+json')
          .send(TOO_MANY_CONNECTIONS[outlook.reason]);
      },
    );

    scope.get<{ Params: { slug: string } }>(
      '/api/v1/rooms/:slug/signal',
      {
        websocket: true,
        schema: HIDDEN,
        // First of all, before the upgrade: a client at its socket cap, or connecting too often
        // (reconnecting in a loop), is answered 429 without a handshake, a socket or timers (see
        // NEW_SOCKETS_BURST_PER_SOCKET).
        onRequest: (request, reply, done) => {
          if (request.ws) {
            const admitted = hub.admitConnection(clientKey(config.clientAddress(request)));
            if (!admitted.ok) return refuseUpgrade(request, reply, admitted);
            holdPlace(request, admitted.settle, places);
          }
          done();
        },
        // Before the upgrade: a refused page never gets a socket, so it cannot even try one join.
        preValidation: async (request, reply) => {
          if (originAllowed(request.headers.origin, config.pageOrigin, request.headers.host)) return;
          metrics.connectionRefused('origin');
          config.logger.debug({}, 'signalling upgrade from a foreign origin refused');
          return sendProblem(reply, 403, 'forbidden_origin', 'Forbidden', 'not from this server’s page');
        },
      },
      (socket, request) => {
        // Synchronously before accept: the place passes from the upgrade to the open socket at once.
        places.get(request)?.();
        if (!SLUG.test(request.params.slug)) {
          socket.send(JSON.stringify({ type: 'refused', reason: 'not_found' }));
          socket.close(CLOSE.refused, 'not_found');
          return;
        }
        hub.accept(socket, request.params.slug, clientKey(config.clientAddress(request)));
      },
    );
  });
}

/**
 * Browsers send Origin on every WebSocket upgrade, and a page cannot forge it: one from elsewhere is
 * another site's page using its visitor's browser (and address, so PIN lockouts hit the visitor).
 * No Origin at all is not a browser (a SIP gateway, a test client): it could as well send any Origin,
 * so refusing it would protect nothing.
 */
export function originAllowed(
  origin: string | undefined,
  pageOrigin: string | null,
  host: string | undefined,
): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    // Also "null" (a sandboxed frame, a file: page): never this server's page.
    url = new URL(origin);
  } catch {
    return false;
  }
  if (pageOrigin !== null) return url.origin === pageOrigin;
  return host !== undefined && url.host === host.toLowerCase();
}

function roomStatus(room: RoomInfo, config: ResolvedRoomsOptions): RoomStatus {
  const timing = roomTiming(room, config.now(), config);
  if (timing.state === 'closed' || timing.state === 'cancelled') return { state: timing.state };
  return {
    state: timing.state,
    ...(timing.state === 'not_yet_open' && timing.opensAt ? { opensAt: timing.opensAt.toISOString() } : {}),
    guestPinRequired: room.guestPin !== null,
    lobby: room.lobby,
    ...(room.handOff ? { external: true } : {}),
  };
}

// @fastify/swagger reads `hide`, `summary`, `tags` and `security` when the server registers it.
const HIDDEN: FastifySchema = { hide: true } as FastifySchema;

const ROOM_STATUS_SCHEMA = {
  type: 'object',
  required: ['state'],
  properties: {
    state: { type: 'string', enum: ['open', 'not_yet_open', 'closed', 'cancelled'] },
    opensAt: { type: 'string', format: 'date-time' },
    guestPinRequired: { type: 'boolean' },
    lobby: { type: 'boolean' },
    external: { type: 'boolean' },
  },
} as const;

/** What sendProblem writes (RFC 9457 problem details, as the rest of Roomlink's API). */
const PROBLEM_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
  },
} as const;

const STATUS_ROUTE_SCHEMA: FastifySchema = {
  summary: 'Whether a built-in room can be joined now (public; reveals nothing else)',
  tags: ['rooms'],
  security: [],
  params: { type: 'object', properties: { slug: { type: 'string' } } },
  response: { 200: ROOM_STATUS_SCHEMA, 404: PROBLEM_SCHEMA, 503: PROBLEM_SCHEMA },
} as FastifySchema;

/** A refused upgrade's problem document, with why: too many sockets held, or opened too often. */
const TOO_MANY_CONNECTIONS_SCHEMA = {
  ...PROBLEM_SCHEMA,
  properties: {
    ...PROBLEM_SCHEMA.properties,
    reason: { type: 'string', enum: ['connection_rate', 'socket_cap'] },
  },
} as const;

const ADMISSION_ROUTE_SCHEMA: FastifySchema = {
  summary: 'Whether this client may open the signalling WebSocket now (public; reveals nothing of the room)',
  description:
    'For a join page whose signalling connection failed: a browser never sees why an upgrade was refused. The answer depends on the client address alone, the same for any slug, and asking takes nothing from the limits it reports.',
  tags: ['rooms'],
  security: [],
  params: { type: 'object', properties: { slug: { type: 'string' } } },
  response: {
    204: { type: 'null', description: 'An upgrade would be admitted now' },
    429: {
      ...TOO_MANY_CONNECTIONS_SCHEMA,
      description: 'An upgrade would be refused: `reason` says why, Retry-After when to try again',
    },
  },
} as FastifySchema;

/**
 * Keeps the place an admitted upgrade holds under its client's socket cap until its handler runs (the
 * hub takes the socket, or closes it at once) or its connection closes without one: a 403, a failed
 * handshake and a client that hung up all end so (@fastify/websocket destroys the socket after any
 * answer but the upgrade). Without a TCP socket to watch (an injected request), no place is held: the
 * hub's own check still caps what is accepted.
 */
function holdPlace(request: FastifyRequest, settle: () => void, places: WeakMap<FastifyRequest, () => void>) {
  const socket = request.raw.socket as Socket | undefined;
  if (!socket || socket.closed) return settle();
  socket.once('close', settle);
  places.set(request, settle);
}

/**
 * Why a client may not connect now, as a problem document: the refused upgrade and the admission
 * route answer the same one, so that the page (and an admin with curl) learns from the route what
 * the upgrade said to a browser that cannot read it.
 */
const TOO_MANY_CONNECTIONS: Record<UpgradeRefusal['reason'], TooManyConnections> = {
  connection_rate: tooManyConnections('connection_rate', 'connecting too often'),
  socket_cap: tooManyConnections(
    'socket_cap',
    'this address already holds as many connections as it may: one must close first',
  ),
};

interface TooManyConnections {
  readonly type: string;
  readonly title: string;
  readonly status: 429;
  readonly detail: string;
  readonly code: 'too_many_connections';
  readonly reason: UpgradeRefusal['reason'];
}

function tooManyConnections(reason: UpgradeRefusal['reason'], detail: string): TooManyConnections {
  return {
    type: `${PROBLEM_BASE}too-many-connections`,
    title: 'Too many requests',
    status: 429,
    detail,
    code: 'too_many_connections',
    reason,
  };
}

/** The end of each refused upgrade's answer after its Retry-After: built once, nothing per request. */
const REFUSED_UPGRADE: Record<UpgradeRefusal['reason'], string> = {
  connection_rate: upgradeAnswer(TOO_MANY_CONNECTIONS.connection_rate),
  socket_cap: upgradeAnswer(TOO_MANY_CONNECTIONS.socket_cap),
};

function upgradeAnswer(problem: TooManyConnections): string {
  const body = JSON.stringify(problem);
  return (
    'content-type: application/problem+json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body
  );
}

/**
 * Answers an upgrade 429 on its socket itself, as `ws` refuses a handshake, and closes it once written:
 * refused a thousand times a second, it must cost little more than Node's own accepting and parsing of
 * the request (~100 µs of CPU each, measured; this adds ~25 µs). A reply through Fastify (serialization,
 * onSend and onResponse hooks, the socket destroyed under its pending write) added twice as much.
 */
function refuseUpgrade(request: FastifyRequest, reply: FastifyReply, refusal: UpgradeRefusal): void {
  void reply.hijack();
  const socket = request.raw.socket;
  if (socket.destroyed) return;
  socket.once('finish', () => socket.destroy());
  socket.end(
    'HTTP/1.1 429 Too Many Requests\r\n' +
      'connection: close\r\n' +
      'cache-control: no-store\r\n' +
      `retry-after: ${refusal.retryAfterSeconds}\r\n` +
      REFUSED_UPGRADE[refusal.reason],
  );
}

function sendProblem(reply: FastifyReply, status: number, code: string, title: string, detail: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `${PROBLEM_BASE}${code.replaceAll('_', '-')}`, title, status, detail, code });
}
