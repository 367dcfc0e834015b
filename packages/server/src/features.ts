/**
 * The product's features on top of the core app: identity (real Microsoft or, in demo mode, the
 * local emulators), calendar sync, rooms, the add-in. server.ts calls this; tests compose their own.
 */
import { registerAddinRoutes } from '@roomlink/addin';
import { createRooms } from '@roomlink/rooms';
import pino, { type Logger } from 'pino';
import { ADDIN_VERSION } from './addin.js';
import type { AppPlugin } from './app.js';
import { clientAddressesKnown } from './config/config.js';
import { mountDemo } from './demo.js';
import { calendarSyncFor } from './graph/index.js';
import type { Authenticator } from './http/auth.js';
import { authRoutes } from './http/routes/auth.js';
import { createIdentity, type IdentitySettings } from './identity/index.js';
import { loggerOptions } from './observability/logger.js';
import { retentionFeature } from './retention/feature.js';
import { meetingRoomDirectory } from './rooms/directory.js';
import type { Runtime } from './runtime.js';
import type { Worker } from './server.js';
import { KyselyRoomPinFailureRepository } from './store/repositories/room-pin-failures.js';

export interface Features {
  readonly plugins: AppPlugin[];
  readonly authenticate: Authenticator;
  readonly workers: Worker[];
}

/** `logger`: the server's own; without it (tests) features log with the configured policy. */
export async function productFeatures(
  runtime: Runtime,
  logger: Logger = pino(loggerOptions(runtime.config.logLevel)),
): Promise<Features> {
  const { config } = runtime;
  const plugins: AppPlugin[] = [];
  let settings: IdentitySettings;
  let graphBaseUrl = config.graphBaseUrl;
  if (config.microsoft) {
    settings = { ...config.microsoft };
  } else {
    const demo = await mountDemo(config);
    plugins.push(demo.plugin);
    settings = demo.identity;
    graphBaseUrl = demo.graphBaseUrl;
  }
  // Identity and sync need each other: sign-in starts a mailbox's sync, sign-out ends it (and
  // deletes its Graph subscription while the user's token still exists); sync uses identity's tokens.
  // (The hooks run at sign-in/out, long after calendarSync below exists.)
  const identity = createIdentity(runtime, {
    ...settings,
    onSignedIn: (userId, tenantId) => calendarSync.startSyncForUser(userId, tenantId),
    onSignOut: (userId) => calendarSync.stopSyncForUser(userId),
    log: logger.child({ component: 'identity' }),
  });
  const calendarSync = calendarSyncFor(runtime, {
    tokens: identity.tokens,
    graphBaseUrl,
    log: logger.child({ component: 'sync' }),
  });
  plugins.push(calendarSync.plugin);
  plugins.push((app) =>
    authRoutes(app, {
      signIn: identity.signIn,
      users: runtime.store.users,
      tenants: runtime.store.tenants,
      baseUrl: config.baseUrl,
      adminConsentUrl: identity.adminConsentUrl,
      limitPerAddress: clientAddressesKnown(config),
    }),
  );
  const rooms = createRooms({
    directory: meetingRoomDirectory(runtime.meetings, runtime.store.tenants, calendarSync.service),
    openBeforeMinutes: config.rooms.openBeforeMinutes,
    closeAfterMinutes: config.rooms.closeAfterMinutes,
    maxParticipants: config.rooms.maxParticipants,
    // Each room's budget of PIN tries lives in the database: shared by every process on it, kept
    // across restarts, deleted with its meeting.
    pinFailures: new KyselyRoomPinFailureRepository(runtime.store.db),
    iceServers: config.rooms.stunUrls.map((urls) => ({ urls })),
    ...(config.rooms.turn ? { turn: config.rooms.turn } : {}),
    metricsRegistry: runtime.metrics.registry,
    // The join page's CSP names this origin's WebSockets; never the request's Host header.
    publicUrl: config.baseUrl,
    // Directory failures, failed joins, refused sockets and upgrades: counts and error types only,
    // never names, PINs, slugs, chat or client addresses.
    logger: logger.child({ component: 'rooms' }),
  });
  // A cancelled meeting ends its live room at once, not at the next join attempt.
  runtime.roomEvents.on('cancelled', (slug) => rooms.closeRoom(slug, 'cancelled'));
  // A moved meeting, or a new guest PIN or lobby, applies to those already in the room, not only to
  // the next to join (recheckRoom never rejects).
  runtime.roomEvents.on('changed', (slug) => void rooms.recheckRoom(slug));
  // A meeting taken back after a new sign-in is linked to its event again by a fresh round.
  runtime.meetingEvents.on('reclaimed', (userId) => {
    calendarSync
      .resyncUser(userId)
      .catch((error: unknown) =>
        logger.warn({ err: error }, 'could not queue a calendar resync after a meeting was taken back'),
      );
  });
  plugins.push((app) => rooms.register(app));
  // The Outlook add-in: its manifest for this base URL and its built pages under /addin/.
  plugins.push((app) =>
    registerAddinRoutes(app, { baseUrl: config.baseUrl.toString(), version: ADDIN_VERSION }),
  );
  // Retention (the hourly purge worker) and the tenant admin console.
  const retention = retentionFeature(runtime, {
    stopSyncForUser: (userId) => calendarSync.stopSyncForUser(userId),
    logger: logger.child({ component: 'retention' }),
  });
  plugins.push(...retention.plugins);
  return {
    plugins,
    authenticate: identity.authenticate,
    workers: [
      {
        start: () => calendarSync.start(),
        halt: () => calendarSync.halt(),
        stop: () => calendarSync.stop(),
        health: () => calendarSync.health(),
      },
      ...retention.workers,
    ],
  };
}
