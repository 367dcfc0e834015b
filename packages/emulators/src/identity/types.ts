/** Public types of the identity platform emulator: its directory, app registrations and control API. */
import type { FastifyPluginAsync } from 'fastify';

/** A directory (Microsoft Entra tenant) of the emulator. */
export interface TestTenant {
  /** The tenant id (a GUID), as in the `tid` claim. */
  readonly id: string;
  /** Display name shown on the sign-in page. */
  readonly name: string;
  /** A verified domain; also accepted in place of the id in URLs, like `contoso.onmicrosoft.com`. */
  readonly domain?: string;
}

/** A test user. Sign-in needs no password: the emulator signs a named user in directly. */
export interface TestUser {
  /** The object id (a GUID), as in the `oid` claim and Graph's user id. */
  readonly oid: string;
  readonly tenantId: string;
  /** The user principal name, used as `login_hint` and `preferred_username`. */
  readonly upn: string;
  readonly name: string;
  /** Holds the Global Administrator directory role (reported in `wids`). */
  readonly admin?: boolean;
  readonly password?: never;
}

/** A client certificate as registered on an app (Certificates & secrets). */
export interface RegisteredCertificate {
  /** The certificate's public key, PEM (SPKI) form. */
  readonly publicKeyPem: string;
  /** Base64url SHA-1 thumbprint of the certificate's DER encoding, as sent in the assertion's `x5t`. */
  readonly x5t: string;
  /** Base64url SHA-256 thumbprint, as sent in `x5t#S256`; accepted too when given. */
  readonly x5tS256?: string;
}

/** An app registration. Registrations are multi-tenant: any tenant's users may sign in. */
export interface RegisteredClient {
  readonly clientId: string;
  /** Exact redirect URIs (no wildcards, compared as strings). */
  readonly redirectUris: readonly string[];
  readonly secret?: string;
  readonly certificate?: RegisteredCertificate;
  /** Graph permissions granted for the static `https://graph.microsoft.com/.default` scope (default User.Read). */
  readonly graphPermissions?: readonly string[];
}

export interface IdentityEmulatorOptions {
  /** Absolute URL where the plugin is mounted, e.g. `http://127.0.0.1:3000/_emulator/login`. */
  readonly baseUrl: string | URL;
  /** Default: DEMO_USERS (two tenants, one admin each). */
  readonly users?: readonly TestUser[];
  /** Default: DEMO_TENANTS when `users` is not given; tenants only named by users get their id as name. */
  readonly tenants?: readonly TestTenant[];
  readonly clients?: readonly RegisteredClient[];
  /** Injectable clock for token times, code and refresh-token expiry. */
  readonly now?: () => Date;
  /** Default 3600. */
  readonly accessTokenLifetimeSeconds?: number;
  /** Published as `userinfo_endpoint` (Microsoft publishes Graph's `/oidc/userinfo`); omitted by default. */
  readonly userinfoEndpoint?: string;
}

/** A tenant-wide admin consent given through the admin consent endpoint. */
export interface AdminConsent {
  readonly tenantId: string;
  readonly clientId: string;
  readonly scope: string;
  readonly at: Date;
}

/** Extra claims for access tokens minted through the control API. */
export interface IssueOptions {
  /** Client capabilities (`xms_cc`), e.g. ['cp1'] for a CAE-capable client. */
  readonly capabilities?: readonly string[];
  readonly lifetimeSeconds?: number;
}

/** The emulator: its Fastify plugin plus the control API for tests and the demo. */
export interface IdentityEmulator {
  /** Register with `app.register(emulator.plugin, { prefix })`, the prefix being baseUrl's path. */
  readonly plugin: FastifyPluginAsync;
  /** baseUrl without a trailing slash. */
  readonly baseUrl: string;
  /** The issuer of a tenant's v2.0 tokens: `{baseUrl}/{tid}/v2.0`. */
  issuer(tenantId: string): string;
  registerClient(client: RegisteredClient): void;
  users(): TestUser[];
  tenants(): TestTenant[];
  /**
   * A new current signing key (the staged one, if any); the previous one stays in the JWKS until
   * dropRetiredKeys().
   */
  rotateSigningKey(): Promise<void>;
  /**
   * Publishes the next signing key in the JWKS without signing with it yet, as Microsoft rolls keys
   * over. Clients that cache the JWKS (openid-client refetches on an unknown kid only when its copy
   * is a minute old) then validate tokens of the next rotateSigningKey() at once.
   */
  stageSigningKey(): Promise<void>;
  dropRetiredKeys(): void;
  /** Revokes every refresh token issued to the user so far (later refresh: invalid_grant, AADSTS50173). */
  revokeRefreshTokens(oid: string): void;
  /**
   * A Conditional Access / CAE requirement: the user's refresh grants fail with interaction_required
   * (the error carrying `claims`) until the user signs in again interactively through authorize
   * with a `claims` parameter that asks for every claim `claimsJson` names.
   */
  requireClaims(oid: string, claimsJson: string): void;
  /**
   * A tenant admin disables the app's enterprise application (service principal) in that tenant
   * ("Enabled for users to sign in?" No; `accountEnabled` false): while it is disabled, every grant
   * for a user of the tenant, refresh tokens issued before included, is refused with
   * `unauthorized_client` AADSTS7000112 ("Application '…' is disabled."), and so is the sign-in of
   * such a user at the authorize endpoint. Users of other tenants are not affected.
   */
  disableServicePrincipal(tenantId: string, clientId: string): void;
  /** The admin enables it again (`accountEnabled` true): grants not otherwise refused work again. */
  enableServicePrincipal(tenantId: string, clientId: string): void;
  /** A Graph access token, exactly as the token endpoint issues them, without a sign-in. */
  issueAccessToken(
    user: TestUser,
    scopes: readonly string[],
    clientId: string,
    options?: IssueOptions,
  ): Promise<string>;
  /** The published JWKS (current key first, then retired ones). */
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;
  adminConsents(): AdminConsent[];
}
