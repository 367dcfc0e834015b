/**
 * Demo mode (no MS_CLIENT_ID): the identity platform and Graph emulators are served by this same
 * process under /_emulator/, and Roomlink signs in against them over plain HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { AppPlugin } from './app.js';
import type { Config } from './config/config.js';
import type { IdentitySettings } from './identity/index.js';

/** The demo app registration's client id (a fixed GUID, meaningful only to the emulator). */
export const DEMO_CLIENT_ID = '00000000-0000-4000-8000-00000000d3m0'.replace('d3m0', 'de30');

export async function mountDemo(config: Config): Promise<{ plugin: AppPlugin; identity: IdentitySettings }> {
  const secret = randomBytes(24).toString('base64url');
  const loginBase = new URL('_emulator/login', config.baseUrl);
  const plugin: AppPlugin = async () => undefined;
  return {
    plugin,
    identity: {
      clientId: DEMO_CLIENT_ID,
      credential: { kind: 'secret', secret },
      authority: new URL(`${loginBase.toString()}/organizations`),
    },
  };
}
