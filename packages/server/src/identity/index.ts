/** Composes identity: OIDC client (lazy discovery), tokens, sign-in, the session authenticator. */
import type { ClientCredential } from '../config/config.js';
import { signOutTraces } from '../retention/sign-out.js';
import type { Runtime } from '../runtime.js';
import { sessionAuthenticator } from './authenticator.js';
import { identityUnavailable } from './errors.js';
import { MicrosoftOidcClient } from './oidc-client.js';
import { SignInService } from './sign-in.js';
import { TokenService, type TokenServiceLog } from './tokens.js';

export interface IdentitySettings {
  readonly clientId: string;
  readonly credential: ClientCredential;
  readonly authority: URL;
  readonly fetch?: typeof fetch;
  readonly onSignOut?: (userId: string) => Promise<void>;
  readonly onSignedIn?: (userId: string, tenantId: string) => Promise<void>;
  readonly onSignInRequired?: (userId: string) => Promise<void>;
  /** Where the operator hears of a refused client credential (tokens.ts). */
  readonly log?: TokenServiceLog;
}

export function callbackUrl(baseUrl: URL): string {
  return new URL('auth/callback', baseUrl).toString();
}

export function adminConsentRedirectUrl(baseUrl: URL): string {
  return new URL('auth/admin-consent/done', baseUrl).toString();
}

export function createIdentity(runtime: Runtime, settings: IdentitySettings) {
  const { config, store, cipher } = runtime;
  let discovered: Promise<MicrosoftOidcClient> | undefined;
  // Discovery is lazy and retried: the authority may be unreachable at start (or, in demo mode,
  // be this very process, which is not listening yet).
  const oidc = () => {
    discovered ??= MicrosoftOidcClient.discover({
      clientId: settings.clientId,
      credential: settings.credential,
      authority: settings.authority,
      redirectUri: callbackUrl(config.baseUrl),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    }).catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };
  const tokens = new TokenService({
    tokens: store.tokens,
    users: store.users,
    cipher,
    oidc,
    ...(settings.onSignInRequired ? { onSignInRequired: settings.onSignInRequired } : {}),
    ...(settings.log ? { log: settings.log } : {}),
  });
  const signIn = new SignInService({
    oidc,
    users: store.users,
    tenants: store.tenants,
    authFlow: store.authFlow,
    audit: store.audit,
    cipher,
    tokens,
    allowedTenants: config.allowedTenants,
    adminRoleIds: config.adminRoleIds,
    sessionTtlHours: config.sessionTtlHours,
    ...(settings.onSignOut ? { onSignOut: settings.onSignOut } : {}),
    // Sign-out deletes the user's queued sync jobs and leaves nothing of them in SQLite's -wal file.
    signOutTraces: signOutTraces(runtime),
    ...(settings.onSignedIn ? { onSignedIn: settings.onSignedIn } : {}),
  });
  return {
    oidc,
    tokens,
    signIn,
    authenticate: sessionAuthenticator(store.authFlow, config.baseUrl, {
      allowedTenants: config.allowedTenants,
    }),
    /** Microsoft's admin consent link; IdentityError `identity_unavailable` when Microsoft cannot be reached. */
    adminConsentUrl: async (state: string) => {
      const client = await oidc().catch((error: unknown) => {
        throw identityUnavailable(error) ?? error;
      });
      return client.adminConsentUrl(adminConsentRedirectUrl(config.baseUrl), state);
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
