/**
 * The Microsoft identity platform through openid-client (certified, maintained; see docs/auth.md).
 *
 * Multi-tenant apps discover `…/organizations/v2.0`, whose metadata publishes the issuer as the
 * template `…/{tenantid}/v2.0`; openid-client then checks each ID token's `iss` against that
 * template filled with the token's own `tid`. openid-client recognises that case by the global
 * cloud's origin, so for any other Entra-compatible authority (a national cloud, or the local
 * emulator in demo mode and tests) discovery is addressed to the global origin and `fetch` routes
 * the requests to the configured authority: the same validation code runs everywhere.
 */
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as oidc from 'openid-client';
import type { ClientCredential } from '../config/config.js';

export const SCOPES = [
  'openid',
  'profile',
  'offline_access',
  'https://graph.microsoft.com/Calendars.Read',
] as const;
/**
 * Continuous access evaluation: Graph sends claims challenges (a revoked session, a disabled account,
 * a new location) only to clients that declare capability `cp1`, and Roomlink handles them
 * (graph-client.ts → tokens.ts `onClaimsChallenge`). Without it a revocation is noticed only when the
 * access token expires.
 */
const CLIENT_CAPABILITIES = ['cp1'] as const;
const ENTRA_ORIGIN = 'https://login.microsoftonline.com';
/** Bounded skew for exp/nbf/iat checks. */
const CLOCK_TOLERANCE_SECONDS = 120;

export interface OidcSettings {
  readonly clientId: string;
  readonly credential: ClientCredential;
  readonly authority: URL;
  readonly redirectUri: string;
  readonly fetch?: typeof fetch;
}

export interface IdTokenClaims {
  readonly tid: string;
  readonly oid: string;
  readonly name?: string;
  readonly preferred_username?: string;
  readonly wids?: readonly string[];
}

export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly expiresAt: Date;
  readonly claims?: IdTokenClaims;
}

export class OidcError extends Error {
  /** Claims a new sign-in must ask for, when the token endpoint's refusal named some (Conditional Access). */
  readonly claims: string | undefined;
  /**
   * The AADSTS numbers of the refusal (`error_codes`, e.g. 7000215 for a wrong client secret), for an
   * operator's log line: never the description, which may echo what was sent.
   */
  readonly aadsts: readonly number[];
  /**
   * For `unavailable`, why, as a code and nothing the request carried: the system's (`ENOTFOUND`,
   * `ECONNREFUSED`…), undici's (`UND_ERR_CONNECT_TIMEOUT`…), `TimeoutError`, `http_503`, `not_json`.
   */
  readonly reason: string | undefined;

  constructor(
    /**
     * The OAuth error, or what went wrong without one. `unauthorized_client` (the user's organisation
     * disabled or removed Roomlink's enterprise app) and `access_denied` are the user's tenant
     * refusing; `invalid_client` is Roomlink's own client credential refused (the operator's to fix).
     */
    readonly code:
      | 'invalid_grant'
      | 'interaction_required'
      | 'unauthorized_client'
      | 'access_denied'
      | 'invalid_client'
      | 'validation_failed'
      | 'server_error'
      /**
       * The identity platform could not be asked: the request failed at the network level (DNS,
       * connection refused or reset, TLS, a timeout) or the answer was no identity platform's (a 5xx
       * without an OAuth error, or not JSON: an outage page, a proxy's or firewall's page). `reason`
       * says which, for the operator's log.
       */
      | 'unavailable',
    message: string,
    options?: { cause?: unknown; claims?: string; aadsts?: readonly number[]; reason?: string },
  ) {
    super(message, options);
    this.name = 'OidcError';
    this.claims = options?.claims;
    this.aadsts = options?.aadsts ?? [];
    this.reason = options?.reason;
  }
}

/**
 * Why the identity platform could not be asked, when `error` says it could not (see OidcError's
 * `unavailable`); undefined when it answered, whatever it answered (an OAuth refusal is an answer).
 */
export function unavailableReason(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { name, code, message, cause } = e as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    // fetch's own network failure (Node: TypeError "fetch failed", the reason in its cause: DNS,
    // connection, TLS, socket).
    if (name === 'TypeError' && message === 'fetch failed') return codeOf(cause) ?? 'fetch_failed';
    // openid-client's timeout (30 s), or an abort: a DOMException, or the ClientError wrapping one.
    if (name === 'TimeoutError' || name === 'AbortError') return name;
    if (code === 'OAUTH_TIMEOUT') return 'TimeoutError';
    if (code === 'OAUTH_ABORT') return 'AbortError';
    // oauth4webapi's "unexpected HTTP status code" and "unexpected content-type", about the Response.
    const status = (cause as { status?: unknown } | null | undefined)?.status;
    if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && typeof status === 'number' && status >= 500)
      return `http_${status}`;
    if (code === 'OAUTH_RESPONSE_IS_NOT_JSON') return 'not_json';
    // A fetch of another make that rejects with the system's error itself.
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return code;
    e = cause;
  }
  return undefined;
}

/** The system's codes of a name that does not resolve, or a connection that fails or breaks off. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EPIPE',
  'EPROTO',
  'EADDRNOTAVAIL',
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A claims request (OpenID Connect Core 5.5) that also declares Roomlink's client capabilities
 * (`access_token.xms_cc`), merged into `claims` from a challenge when there is one. A challenge that is
 * not a JSON object is passed on as it came: the identity platform is the judge of it.
 */
export function withClientCapabilities(claims?: string): string {
  let request: Record<string, unknown> = {};
  if (claims) {
    try {
      const parsed: unknown = JSON.parse(claims);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return claims;
      request = parsed as Record<string, unknown>;
    } catch {
      return claims;
    }
  }
  const accessToken =
    typeof request.access_token === 'object' && request.access_token !== null
      ? (request.access_token as Record<string, unknown>)
      : {};
  return JSON.stringify({
    ...request,
    access_token: { ...accessToken, xms_cc: { values: [...CLIENT_CAPABILITIES] } },
  });
}

export class MicrosoftOidcClient {
  private constructor(
    private readonly config: oidc.Configuration,
    private readonly settings: OidcSettings,
  ) {}

  static async discover(settings: OidcSettings): Promise<MicrosoftOidcClient> {
    const authority = new URL(settings.authority.toString().replace(/\/+$/, ''));
    const routed = authority.origin !== ENTRA_ORIGIN;
    const baseFetch = settings.fetch ?? fetch;
    const customFetch: oidc.CustomFetch = (url, init) => {
      const target = routed
        ? url.replace(ENTRA_ORIGIN + pathPrefix(authority), authority.origin + pathPrefix(authority))
        : url;
      return baseFetch(target, init as RequestInit);
    };
    const tenantSegment = authority.pathname.split('/').filter(Boolean).at(-1) ?? 'organizations';
    const discoveryUrl = new URL(`${ENTRA_ORIGIN}${pathPrefix(authority)}/${tenantSegment}/v2.0`);
    // ID tokens from the token endpoint are verified against the JWKS too (OIDC allows relying on TLS
    // alone; we do not), with openid-client's JWKS cache refetched on an unknown `kid`.
    const execute = [
      oidc.enableNonRepudiationChecks,
      ...(authority.protocol === 'http:' ? [oidc.allowInsecureRequests] : []),
    ];
    const holder: { config?: oidc.Configuration } = {};
    const authentication = await clientAuthentication(settings.credential, () => {
      const endpoint = holder.config?.serverMetadata().token_endpoint;
      if (!endpoint) throw new OidcError('server_error', 'the token endpoint is not known yet');
      return endpoint;
    });
    let config: oidc.Configuration;
    try {
      config = await oidc.discovery(
        discoveryUrl,
        settings.clientId,
        {
          redirect_uris: [settings.redirectUri],
          response_types: ['code'],
          [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS,
        },
        authentication,
        { execute, [oidc.customFetch]: customFetch },
      );
    } catch (error) {
      // Anything else (an issuer that does not match, metadata that does not parse) is a server fault.
      const reason = unavailableReason(error);
      if (reason === undefined) throw error;
      throw new OidcError('unavailable', 'the identity platform’s metadata could not be fetched', {
        cause: error,
        reason,
      });
    }
    holder.config = config;
    return new MicrosoftOidcClient(config, settings);
  }

  authorizationUrl(p: {
    state: string;
    nonce: string;
    codeChallenge: string;
    loginHint?: string;
    claims?: string;
    prompt?: string;
  }): URL {
    return oidc.buildAuthorizationUrl(this.config, {
      redirect_uri: this.settings.redirectUri,
      response_type: 'code',
      response_mode: 'query',
      scope: SCOPES.join(' '),
      state: p.state,
      nonce: p.nonce,
      code_challenge: p.codeChallenge,
      code_challenge_method: 'S256',
      ...(p.loginHint ? { login_hint: p.loginHint } : {}),
      claims: withClientCapabilities(p.claims),
      ...(p.prompt ? { prompt: p.prompt } : {}),
    });
  }

  /** The admin consent endpoint for a tenant admin to consent for the whole organisation. */
  adminConsentUrl(redirectUri: string, state: string): URL {
    const issuerBase = new URL(this.config.serverMetadata().authorization_endpoint as string);
    // …/{tenant}/oauth2/v2.0/authorize → the admin consent endpoint is …/{tenant}/v2.0/adminconsent.
    const tenant = issuerBase.pathname.split('/').filter(Boolean).at(-4) ?? 'organizations';
    const prefix = issuerBase.pathname.slice(0, issuerBase.pathname.indexOf(`/${tenant}/`));
    const url = new URL(`${issuerBase.origin}${prefix}/${tenant}/v2.0/adminconsent`);
    url.searchParams.set('client_id', this.settings.clientId);
    // Every scope sign-in asks for, so that after the admin's consent no user is asked for any (the
    // endpoint accepts OpenID Connect scopes too; offline_access is what keeps sync running).
    url.searchParams.set('scope', SCOPES.join(' '));
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('state', state);
    return url;
  }

  /** Exchanges the code; openid-client checks state, PKCE, signature, iss, aud, exp/nbf and nonce. */
  async exchangeCode(
    callbackUrl: URL,
    checks: { expectedState: string; expectedNonce: string; pkceCodeVerifier: string },
  ): Promise<TokenSet & { claims: IdTokenClaims }> {
    try {
      const tokens = await oidc.authorizationCodeGrant(this.config, callbackUrl, {
        expectedState: checks.expectedState,
        expectedNonce: checks.expectedNonce,
        pkceCodeVerifier: checks.pkceCodeVerifier,
        idTokenExpected: true,
      });
      const claims = tokens.claims() as unknown as IdTokenClaims | undefined;
      if (!claims?.tid || !claims.oid)
        throw new OidcError('validation_failed', 'the ID token lacks tid or oid');
      return { ...toTokenSet(tokens), claims };
    } catch (error) {
      throw asOidcError(error);
    }
  }

  async refresh(refreshToken: string, claims?: string): Promise<TokenSet> {
    try {
      const tokens = await oidc.refreshTokenGrant(this.config, refreshToken, {
        scope: SCOPES.join(' '),
        claims: withClientCapabilities(claims),
      });
      return toTokenSet(tokens);
    } catch (error) {
      throw asOidcError(error);
    }
  }
}

function pathPrefix(authority: URL): string {
  // Everything before the tenant segment: '' for Microsoft, '/_emulator/login' for the emulator.
  const parts = authority.pathname.split('/').filter(Boolean);
  return parts.length > 1 ? `/${parts.slice(0, -1).join('/')}` : '';
}

function toTokenSet(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): TokenSet {
  const expiresIn = tokens.expiresIn() ?? 3600;
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: new Date(Date.now() + expiresIn * 1000),
  };
}

/**
 * Client authentication. For a certificate, Entra requires the assertion's `aud` to be exactly the
 * token endpoint (AADSTS700023 otherwise), while openid-client defaults to the issuer — which for a
 * multi-tenant authority is the `{tenantid}` template — so the audience is set explicitly.
 */
async function clientAuthentication(
  credential: ClientCredential,
  tokenEndpoint: () => string,
): Promise<oidc.ClientAuth> {
  if (credential.kind === 'secret') return oidc.ClientSecretPost(credential.secret);
  const [certPem, keyPem] = await Promise.all([
    readFile(credential.certificateFile, 'utf8'),
    readFile(credential.privateKeyFile, 'utf8'),
  ]);
  const certificate = new X509Certificate(certPem);
  // Entra identifies the certificate by its SHA-1 thumbprint in the assertion's x5t header.
  const x5t = createHash('sha1').update(certificate.raw).digest('base64url');
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  const cryptoKey = await webcrypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return oidc.PrivateKeyJwt(cryptoKey as unknown as oidc.CryptoKey, {
    [oidc.modifyAssertion]: (header, payload) => {
      header.x5t = x5t;
      payload.aud = tokenEndpoint();
    },
  });
}

function asOidcError(error: unknown): OidcError {
  if (error instanceof OidcError) return error;
  const e = error as { error?: string; code?: string; message?: string; cause?: Record<string, unknown> };
  const oauthError = e.error;
  // Entra names the claims a sign-in must satisfy in the error body (e.g. AADSTS50076 with
  // suberror basic_action); signing in again without them would be refused again.
  const claims = typeof e.cause?.claims === 'string' && e.cause.claims !== '' ? e.cause.claims : undefined;
  const aadsts = Array.isArray(e.cause?.error_codes)
    ? e.cause.error_codes.filter((c): c is number => Number.isInteger(c))
    : [];
  const refusal = { cause: error, aadsts, ...(claims ? { claims } : {}) };
  // Not asked at all, or no identity platform answered: nothing was refused.
  const reason = oauthError ? undefined : unavailableReason(error);
  if (reason !== undefined)
    return new OidcError('unavailable', 'the identity platform could not be reached', {
      cause: error,
      reason,
    });
  if (oauthError === 'invalid_grant') return new OidcError('invalid_grant', 'the grant was refused', refusal);
  if (
    oauthError === 'interaction_required' ||
    oauthError === 'login_required' ||
    oauthError === 'consent_required'
  ) {
    return new OidcError('interaction_required', 'the user must sign in again', refusal);
  }
  // What a refresh of these means is decided by the token service (tokens.ts); a sign-in that meets
  // them fails with the same message as any other refusal.
  if (oauthError === 'access_denied')
    return new OidcError('access_denied', 'access was denied', { cause: error, aadsts });
  if (oauthError === 'unauthorized_client' || oauthError === 'invalid_client')
    return new OidcError(oauthError, `the identity platform answered ${oauthError}`, {
      cause: error,
      aadsts,
    });
  if (oauthError)
    return new OidcError('server_error', `the identity platform answered ${oauthError}`, {
      cause: error,
      aadsts,
    });
  return new OidcError('validation_failed', e.message ?? 'the sign-in response did not validate', {
    cause: error,
  });
}
