/**
 * Bearer authentication as Graph does it for delegated calls: the token must verify (signature,
 * audience, lifetime), the call acts as the token's user (oid) in its tenant (tid), and delegated
 * scopes (scp) decide what it may do. Failures are Graph's 401 InvalidAuthenticationToken with a
 * WWW-Authenticate challenge; CAE-capable clients (xms_cc contains cp1) get claims challenges.
 */
import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { accessDenied, GraphError } from './errors.js';
import type { AccessTokenClaims, AccessTokenVerifier } from './types.js';

/** Graph accepts its resource URI or its application id as the audience. */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'];
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The caller of one request. */
export interface Principal {
  oid: string;
  tid: string;
  scopes: ReadonlySet<string>;
  appId?: string;
  /** Token issue time, epoch ms. */
  issuedAt: number;
  capabilities: ReadonlySet<string>;
}

export interface JwksVerifierOptions {
  audience?: string | string[];
  /** Expected issuer for a tenant, e.g. tid => `${identityBase}/${tid}/v2.0`. */
  issuer?: (tid: string) => string;
  now?: () => Date;
  clockToleranceSeconds?: number;
}

/**
 * A verifier for RS256 access tokens signed by a key in a JWKS (URL) or supplied by `getKey`.
 * Checks signature, audience, exp and nbf (by the injected clock) and, if configured, the issuer.
 */
export function jwksVerifier(
  source: string | URL | JWTVerifyGetKey,
  options: JwksVerifierOptions = {},
): AccessTokenVerifier {
  const getKey = typeof source === 'function' ? source : createRemoteJWKSet(new URL(source));
  return async (jwt) => {
    const { payload } = await jwtVerify(jwt, getKey, {
      audience: options.audience ?? GRAPH_AUDIENCES,
      algorithms: ['RS256'],
      clockTolerance: options.clockToleranceSeconds ?? 0,
      ...(options.now ? { currentDate: options.now() } : {}),
    });
    return claimsOf(payload, options.issuer);
  };
}

function claimsOf(payload: JWTPayload, issuer: JwksVerifierOptions['issuer']): AccessTokenClaims {
  const { tid, oid, scp, appid, azp, xms_cc } = payload as Record<string, unknown>;
  if (typeof tid !== 'string' || typeof oid !== 'string') {
    throw Object.assign(new Error('token has no tid/oid'), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  }
  if (issuer && payload.iss !== issuer(tid)) {
    throw Object.assign(new Error('unexpected iss'), {
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'iss',
    });
  }
  return {
    tid,
    oid,
    scp: typeof scp === 'string' ? scp : '',
    ...(typeof appid === 'string' ? { appid } : {}),
    ...(typeof azp === 'string' ? { azp } : {}),
    iat: typeof payload.iat === 'number' ? payload.iat : 0,
    ...(Array.isArray(xms_cc) ? { xms_cc: xms_cc.filter((c): c is string => typeof c === 'string') } : {}),
  };
}

export function challengeHeader(authorizationUri: string, extra = ''): string {
  return `Bearer realm="", authorization_uri="${authorizationUri}", client_id="${GRAPH_APP_ID}"${extra}`;
}

export function unauthorized(message: string, authorizationUri: string): GraphError {
  return new GraphError(401, 'InvalidAuthenticationToken', message, {
    'www-authenticate': challengeHeader(authorizationUri),
  });
}

/** A CAE claims challenge asking for a token issued after `notBefore` (epoch seconds). */
export function claimsChallenge(authorizationUri: string, claims: string): GraphError {
  const encoded = Buffer.from(claims).toString('base64');
  return new GraphError(
    401,
    'InvalidAuthenticationToken',
    'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
    {
      'www-authenticate': challengeHeader(
        authorizationUri,
        `, error="insufficient_claims", claims="${encoded}"`,
      ),
    },
  );
}

export const revocationClaims = (notBeforeSeconds: number): string =>
  JSON.stringify({ access_token: { nbf: { essential: true, value: String(notBeforeSeconds) } } });

function messageFor(error: unknown): string {
  const { code, claim } = (error ?? {}) as { code?: string; claim?: string };
  if (code === 'ERR_JWT_EXPIRED') return 'Lifetime validation failed, the token is expired.';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'aud') {
    return 'Access token validation failure. Invalid audience.';
  }
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'nbf') {
    return 'Lifetime validation failed, the token is not yet valid.';
  }
  if (code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID') {
    return 'IDX14100: JWT is not well formed, there are no dots (.).';
  }
  return 'Access token validation failure.';
}

export interface AuthenticateOptions {
  verify: AccessTokenVerifier;
  authorizationUri: string;
  /** Epoch ms before which a user's CAE tokens count as revoked. */
  revokedBefore: (oid: string) => number | undefined;
}

export async function authenticate(
  header: string | undefined,
  options: AuthenticateOptions,
): Promise<Principal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) throw unauthorized('Access token is empty.', options.authorizationUri);
  let claims: AccessTokenClaims;
  try {
    claims = await options.verify(match[1] as string);
  } catch (error) {
    throw unauthorized(messageFor(error), options.authorizationUri);
  }
  const capabilities = new Set(claims.xms_cc ?? []);
  const revokedBefore = options.revokedBefore(claims.oid);
  if (revokedBefore !== undefined && claims.iat * 1000 < revokedBefore && capabilities.has('cp1')) {
    throw claimsChallenge(options.authorizationUri, revocationClaims(Math.floor(revokedBefore / 1000)));
  }
  const appId = claims.appid ?? claims.azp;
  return {
    oid: claims.oid,
    tid: claims.tid,
    scopes: new Set(claims.scp.split(' ').filter(Boolean)),
    ...(appId ? { appId } : {}),
    issuedAt: claims.iat * 1000,
    capabilities,
  };
}

const READ_SCOPES = ['Calendars.Read', 'Calendars.ReadWrite'];
const WRITE_SCOPES = ['Calendars.ReadWrite'];

/** Delegated permission check; Graph answers ErrorAccessDenied when a scope is missing. */
export function requireScope(principal: Principal, access: 'read' | 'write'): void {
  const accepted = access === 'read' ? READ_SCOPES : WRITE_SCOPES;
  if (!accepted.some((scope) => principal.scopes.has(scope))) throw accessDenied();
}
