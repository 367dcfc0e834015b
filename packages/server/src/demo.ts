/**
 * Demo mode (no MS_CLIENT_ID): the identity platform emulator is served by this same process under
 * /_emulator/login, a demo app registration is made in it, and Roomlink signs in against it over
 * plain HTTP with the same code that talks to Microsoft.
 */
import { randomBytes } from 'node:crypto';
import {
  type GraphEmulator,
  type IdentityEmulator,
  jwksVerifier,
  registerGraphEmulator,
  registerIdentityEmulator,
} from '@roomlink/emulators';
import { ADDIN_VERSION } from './addin.js';
import type { AppPlugin } from './app.js';
import type { Config } from './config/config.js';
import { mountSandbox } from './demo-sandbox.js';
import { adminConsentRedirectUrl, callbackUrl, type IdentitySettings } from './identity/index.js';

/** The demo app registration's client id: a fixed GUID that means something to the emulator only. */
export const DEMO_CLIENT_ID = '00000000-0000-4000-8000-00000000de30';
export const EMULATOR_LOGIN_PATH = '_emulator/login';
export const EMULATOR_GRAPH_PATH = '_emulator/graph';

export interface Demo {
  readonly plugin: AppPlugin;
  readonly identity: IdentitySettings;
  /** The emulator's control API, once the plugin is registered (tests use it). */
  emulator(): IdentityEmulator;
  /** The Graph emulator's control API (and event store, for the Outlook sandbox). */
  graph(): GraphEmulator;
  /** Where Roomlink's Graph client should send requests in demo mode. */
  readonly graphBaseUrl: URL;
}

export async function mountDemo(config: Config): Promise<Demo> {
  const secret = randomBytes(24).toString('base64url');
  let mounted: IdentityEmulator | undefined;
  let graph: GraphEmulator | undefined;
  const graphBase = new URL(EMULATOR_GRAPH_PATH, config.baseUrl).toString();
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
    graph = await registerGraphEmulator(app, {
      baseUrl: graphBase,
      // Graph accepts the identity platform's access tokens: verified against its published keys.
      verifyAccessToken: jwksVerifier(`${loginBase}/common/discovery/v2.0/keys`, {
        issuer: (tenantId: string) => emulator.issuer(tenantId),
      }),
    });
    // The Outlook sandbox at /sandbox: the real add-in pages in an Outlook-like appointment form.
    await mountSandbox(app, { baseUrl: config.baseUrl, version: ADDIN_VERSION, identity: emulator, graph });
    app.log.warn(
      { emulator: emulator.baseUrl, users: emulator.users().map((u) => u.upn).length },
      config.demoLocal
        ? 'demo mode: signing in against the local identity emulator and using the Graph emulator, not Microsoft; for this machine only (requests through a proxy, or to a host name other than localhost, are refused; ROOMLINK_DEMO_PUBLIC=true runs the demo elsewhere)'
        : 'demo mode: signing in against the local identity emulator and using the Graph emulator, not Microsoft',
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
    graph: () => {
      if (!graph) throw new Error('the demo plugin is not registered yet');
      return graph;
    },
    graphBaseUrl: new URL(graphBase),
  };
}
