/**
 * Demo mode (no MS_CLIENT_ID): the identity platform emulator is served by this same process under
 * /_emulator/login, a demo app registration is made in it, and Roomlink signs in against it over
 * plain HTTP with the same code that talks to Microsoft.
 */
import { randomBytes } from 'node:crypto';
import { type IdentityEmulator, registerIdentityEmulator } from '@roomlink/emulators';
import type { AppPlugin } from './app.js';
import type { Config } from './config/config.js';
import { adminConsentRedirectUrl, callbackUrl, type IdentitySettings } from './identity/index.js';

/** The demo app registration's client id: a fixed GUID that means something to the emulator only. */
export const DEMO_CLIENT_ID = '00000000-0000-4000-8000-00000000de30';
export const EMULATOR_LOGIN_PATH = '_emulator/login';

export interface Demo {
  readonly plugin: AppPlugin;
  readonly identity: IdentitySettings;
  /** The emulator's control API, once the plugin is registered (tests use it). */
  emulator(): IdentityEmulator;
}

export async function mountDemo(config: Config): Promise<Demo> {
  const secret = randomBytes(24).toString('base64url');
  let mounted: IdentityEmulator | undefined;
  const loginBase = new URL(EMULATOR_LOGIN_PATH, config.baseUrl).toString();
  const plugin: AppPlugin = async (app) => {
    const emulator = await registerIdentityEmulator(app, {
      baseUrl: loginBase,
      clients: [
        {
          clientId: DEMO_CLIENT_ID,
          secret,
          redirectUris: [callbackUrl(config.baseUrl), adminConsentRedirectUrl(config.baseUrl)],
        },
      ],
    });
    mounted = emulator;
    app.log.warn(
      { emulator: emulator.baseUrl, users: emulator.users().map((u) => u.upn).length },
      'demo mode: signing in against the local identity emulator, not Microsoft',
    );
  };
  return {
    plugin,
    identity: {
      clientId: DEMO_CLIENT_ID,
      credential: { kind: 'secret', secret },
      authority: new URL(`${loginBase}/organizations`),
    },
    emulator: () => {
      if (!mounted) throw new Error('the demo plugin is not registered yet');
      return mounted;
    },
  };
}
