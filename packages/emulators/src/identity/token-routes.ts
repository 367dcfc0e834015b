/**
 * The token endpoint: authorization_code (one-time, PKCE S256, bound to client, redirect URI and
 * authority) and refresh_token (rotated on every use; like Microsoft, an earlier refresh token stays
 * valid until it is revoked or unused for 90 days). The client authenticates first. Errors are
 * Microsoft's JSON bodies with AADSTS codes, 400 or 401.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseClaimsRequest, requestedAuthContexts, requestedCapabilities } from './claims-request.js';
import { authenticateClient } from './client-auth.js';
import {
  type EmulatorContext,
  endpoint,
  errorContext,
  type Params,
  requestParams,
  servicePrincipalDisabled,
} from './context.js';
import type { Authority } from './directory.js';
import { AadstsError, aadsts, errorBody } from './errors.js';
import { REFRESH_INACTIVITY_MS, type Session } from './grants.js';
import { isSubset, parseScopes, responseScope, scpClaim } from './scopes.js';
import { mintGraphAccessToken, mintIdToken } from './tokens.js';
import type { RegisteredClient } from './types.js';

export function tokenRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (request, reply) => {
    try {
      return await token(ctx, request, reply);
    } catch (error) {
      if (!(error instanceof AadstsError)) throw error;
      return reply
        .code(error.status)
        .header('cache-control', 'no-store')
        .send(errorBody(error, errorContext(ctx, request)));
    }
  });
  app.get('/:tenant/oauth2/v2.0/token', async (request, reply) =>
    reply
      .code(405)
      .header('allow', 'POST, OPTIONS')
      .send(errorBody(aadsts.wrongMethod(), errorContext(ctx, request))),
  );
}

async function token(
  ctx: EmulatorContext,
  request: FastifyRequest<{ Params: { tenant: string } }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const segment = request.params.tenant;
  const authority = ctx.directory.authority(segment);
  if (!authority) throw aadsts.unknownTenant(segment, 'invalid_request');
  const p = requestParams(request);
  if (!p.grant_type) throw aadsts.missingParameter('grant_type');
  const tokenEndpoint = endpoint(ctx, segment, 'oauth2/v2.0/token');
  const client = await authenticateClient(
    {
      body: p,
      authorization: request.headers.authorization,
      tokenEndpoint,
      nowSeconds: Math.floor(ctx.now().getTime() / 1000),
      tenantLabel: segment,
    },
    (id) => ctx.clients.get(id),
  );
  let result: { session: Session; nonce: string | undefined };
  if (p.grant_type === 'authorization_code') result = redeemCode(ctx, authority, client, p);
  else if (p.grant_type === 'refresh_token') result = redeemRefreshToken(ctx, authority, client, p);
  else throw aadsts.unsupportedGrantType(p.grant_type);
  return reply
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send(await tokenResponse(ctx, result.session, result.nonce));
}

function redeemCode(
  ctx: EmulatorContext,
  authority: Authority,
  client: RegisteredClient,
  p: Params,
): { session: Session; nonce: string | undefined } {
  if (!p.code) throw aadsts.missingParameter('code');
  if (!p.redirect_uri) throw aadsts.missingParameter('redirect_uri');
  const code = ctx.grants.findCode(p.code);
  if (!code) throw aadsts.grantMalformed();
  if (code.session.clientId !== client.clientId) throw aadsts.grantInvalid();
  if (code.redeemed) throw aadsts.codeRedeemed();
  // Any redemption attempt by the right client uses the code up, successful or not.
  code.redeemed = true;
  if (servicePrincipalDisabled(ctx, code.session.tenantId, client.clientId))
    throw aadsts.applicationDisabled(client.clientId);
  if (ctx.now().getTime() >= code.expiresAt) throw aadsts.grantExpired();
  if (!redeemableAt(authority, code.authoritySegment, code.session.tenantId)) throw aadsts.wrongTenant();
  if (p.redirect_uri !== code.redirectUri) throw aadsts.replyMismatch();
  if (!p.code_verifier || s256(p.code_verifier) !== code.codeChallenge) throw aadsts.pkceMismatch();
  if (ctx.grants.isRevoked(code.session)) throw aadsts.grantRevoked();
  return { session: code.session, nonce: code.nonce };
}

function redeemRefreshToken(
  ctx: EmulatorContext,
  authority: Authority,
  client: RegisteredClient,
  p: Params,
): { session: Session; nonce: undefined } {
  if (!p.refresh_token) throw aadsts.missingParameter('refresh_token');
  const grant = ctx.grants.findRefreshToken(p.refresh_token);
  if (!grant) throw aadsts.grantMalformed();
  const { session } = grant;
  if (session.clientId !== client.clientId) throw aadsts.grantInvalid();
  if (authority.kind === 'tenant' && authority.tenant.id !== session.tenantId) throw aadsts.wrongTenant();
  if (servicePrincipalDisabled(ctx, session.tenantId, client.clientId))
    throw aadsts.applicationDisabled(client.clientId);
  if (ctx.grants.isRevoked(session)) throw aadsts.grantRevoked();
  if (ctx.now().getTime() - grant.issuedAt > REFRESH_INACTIVITY_MS) throw aadsts.refreshInactive();
  if (session.pendingClaims !== undefined) throw aadsts.claimsRequired(session.pendingClaims);

  let scopes = session.scopes;
  if (p.scope) {
    const requested = parseScopes(p.scope, client.graphPermissions);
    if (!isSubset(requested, session.scopes)) throw aadsts.consentMissing(client.clientId);
    scopes = {
      oidc: new Set([...requested.oidc].filter((s) => session.scopes.oidc.has(s))),
      graph: requested.graph.length > 0 ? requested.graph : session.scopes.graph,
    };
  }
  const claimsRequest = parseClaimsRequest(p.claims);
  // The same sign-in (same place in the revocation order), with what this refresh asked for.
  const refreshed: Session = {
    ...session,
    scopes,
    capabilities: [...new Set([...session.capabilities, ...requestedCapabilities(claimsRequest)])],
    authContexts: [...new Set([...session.authContexts, ...requestedAuthContexts(claimsRequest)])],
  };
  return { session: refreshed, nonce: undefined };
}

/** A code is redeemed at the authority that issued it, or at the signed-in user's own tenant. */
function redeemableAt(authority: Authority, issuedAt: string, userTenantId: string): boolean {
  if (authority.kind === 'tenant') return authority.tenant.id === userTenantId;
  return issuedAt.toLowerCase() === 'common' || issuedAt.toLowerCase() === 'organizations';
}

async function tokenResponse(
  ctx: EmulatorContext,
  session: Session,
  nonce: string | undefined,
): Promise<Record<string, unknown>> {
  const user = ctx.directory.userByOid(session.oid);
  if (!user) throw aadsts.grantRevoked();
  const lifetime = ctx.accessTokenLifetimeSeconds;
  const accessToken = await mintGraphAccessToken(ctx.minter, {
    user,
    clientId: session.clientId,
    scp: scpClaim(session.scopes),
    lifetimeSeconds: lifetime,
    capabilities: session.capabilities,
    authContexts: session.authContexts,
  });
  const now = ctx.now().getTime();
  return {
    token_type: 'Bearer',
    scope: responseScope(session.scopes),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
    ...(session.scopes.oidc.has('offline_access')
      ? { refresh_token: ctx.grants.issueRefreshToken(session, now) }
      : {}),
    ...(session.scopes.oidc.has('openid')
      ? {
          id_token: await mintIdToken(ctx.minter, {
            user,
            clientId: session.clientId,
            nonce,
            profile: session.scopes.oidc.has('profile'),
            email: session.scopes.oidc.has('email'),
          }),
        }
      : {}),
  };
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
