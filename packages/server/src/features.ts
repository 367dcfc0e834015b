/**
 * The product's features on top of the core app: identity (real Microsoft or, in demo mode, the
 * local emulators), and later rooms, add-in, sync. server.ts calls this; tests compose their own.
 */
import type { AppPlugin } from './app.js';
import { mountDemo } from './demo.js';
import type { Authenticator } from './http/auth.js';
import { authRoutes } from './http/routes/auth.js';
import { createIdentity, type IdentitySettings } from './identity/index.js';
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
  return { plugins, authenticate: identity.authenticate, workers: [] };
}
