/**
 * Microsoft's identity platform and Graph as `roomlink doctor` reaches them: both emulators on their
 * own loopback servers, and the variables that point a Roomlink (in process or a child) at them.
 */
import { startGraphEmulator, startIdentityEmulator } from '@roomlink/emulators';

export interface MicrosoftEmulators {
  /** MS_AUTHORITY (multi-tenant, `organizations`) and GRAPH_BASE_URL. */
  readonly env: { readonly MS_AUTHORITY: string; readonly GRAPH_BASE_URL: string };
  readonly identityBaseUrl: string;
  close(): Promise<void>;
}

export async function startMicrosoftEmulators(): Promise<MicrosoftEmulators> {
  const identity = await startIdentityEmulator();
  const graph = await startGraphEmulator({
    // Nothing here signs in: every Graph call doctor makes carries no token.
    verifyAccessToken: async () => {
      throw new Error('no access token is expected in this test');
    },
  });
  return {
    env: { MS_AUTHORITY: `${identity.baseUrl}/organizations`, GRAPH_BASE_URL: graph.baseUrl },
    identityBaseUrl: identity.baseUrl,
    close: async () => {
      await Promise.all([identity.close(), graph.close()]);
    },
  };
}
