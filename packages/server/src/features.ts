/**
 * The product's features on top of the core app: identity (real Microsoft or, in demo mode, the
 * local emulators), and later rooms, add-in, sync. server.ts calls this; tests compose their own.
 */
import { registerAddinRoutes } from '@roomlink/addin';
import { createRooms } from '@roomlink/rooms';
import { ADDIN_VERSION } from './addin.js';
import type { AppPlugin } from './app.js';
import { mountDemo } from './demo.js';
import type { Authenticator } from './http/auth.js';
import { authRoutes } from './http/routes/auth.js';
import { createIdentity, type IdentitySettings } from './identity/index.js';
import { meetingRoomDirectory } from './rooms/directory.js';
import type { Runtime } from './runtime.js';
import type { Worker } from './server.js';

export interface Features {
  readonly plugins: AppPlugin[];
  readonly authenticate: Authenticator;
  readonly workers: Worker[];
}

export async function productFeatures(runtime: Runtime): Promise<Features> {
  const { config } = runtime;
  const plugins: AppPlugin[] = [];
  let settings: IdentitySettings;
  if (config.microsoft) {
    settings = { ...config.microsoft };
  } else {
    const demo = await mountDemo(config);
    plugins.push(demo.plugin);
    settings = demo.identity;
  }
  const identity = createIdentity(runtime, settings);
  plugins.push((app) =>
    authRoutes(app, {
      signIn: identity.signIn,
      users: runtime.store.users,
      baseUrl: config.baseUrl,
      adminConsentUrl: identity.adminConsentUrl,
    }),
  );
  const rooms = createRooms({
    directory: meetingRoomDirectory(runtime.meetings, runtime.store.tenants),
    openBeforeMinutes: config.rooms.openBeforeMinutes,
    closeAfterMinutes: config.rooms.closeAfterMinutes,
    iceServers: config.rooms.stunUrls.map((urls) => ({ urls })),
    ...(config.rooms.turn ? { turn: config.rooms.turn } : {}),
    metricsRegistry: runtime.metrics.registry,
  });
  // A cancelled meeting ends its live room at once, not at the next join attempt.
  runtime.roomEvents.on('cancelled', (slug) => rooms.closeRoom(slug, 'cancelled'));
  plugins.push((app) => rooms.register(app));
  // The Outlook add-in: its manifest for this base URL and its built pages under /addin/.
  plugins.push((app) =>
    registerAddinRoutes(app, { baseUrl: config.baseUrl.toString(), version: ADDIN_VERSION }),
  );
  return { plugins, authenticate: identity.authenticate, workers: [] };
}
