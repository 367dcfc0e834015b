/**
 * The interactive endpoints: authorize (authorization code flow with PKCE) and admin consent.
 *
 * Until client_id and redirect_uri are verified, errors are shown on the emulator's own page and
 * never redirected (AADSTS50011); after that they go back to the app with `error` and `state`.
 * A `login_hint` naming a test user signs that user in at once (scripts and tests use this);
 * otherwise an account picker lists the test users of every tenant and POSTs the choice back.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  parseClaimsRequest,
  requestedAuthContexts,
  requestedCapabilities,
  satisfies,
} from './claims-request.js';
import {
  type EmulatorContext,
  endpoint,
  type Params,
  requestParams,
  servicePrincipalDisabled,
} from './context.js';
import { type Authority, admits } from './directory.js';
import { AadstsError, aadsts, aadTimestamp } from './errors.js';
import { CODE_LIFETIME_MS } from './grants.js';
import { accountPicker, errorPage, formPostPage } from './pages.js';
import { parseScopes } from './scopes.js';
import type { RegisteredClient, TestUser } from './types.js';

type ResponseMode = 'query' | 'form_post';
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;

/** Where answers may be sent: the verified redirect URI and how. */
interface Destination {
  readonly client: RegisteredClient;
  readonly redirectUri: string;
  readonly mode: ResponseMode;
  readonly state: string | undefined;
}

export function authorizeRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const authorize = (request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) =>
    handleAuthorize(ctx, request, reply);
  app.get('/:tenant/oauth2/v2.0/authorize', authorize);
  app.post('/:tenant/oauth2/v2.0/authorize', authorize);

  const consent = (request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) =>
    handleAdminConsent(ctx, request, reply);
  app.get('/:tenant/v2.0/adminconsent', consent);
  app.post('/:tenant/v2.0/adminconsent', consent);
}

async function handleAuthorize(
  ctx: EmulatorContext,
  request: FastifyRequest<{ Params: { tenant: string } }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const segment = request.params.tenant;
  const p = requestParams(request);
  const verified = verifyDestination(ctx, segment, p);
  if (verified instanceof AadstsError) return showError(reply, verified);
  const { authority, destination } = verified;

  try {
    if (p.response_type !== 'code') throw aadsts.unsupportedResponseType();
    if (!p.scope) throw aadsts.missingParameter('scope');
    const scopes = parseScopes(p.scope, destination.client.graphPermissions);
    if (!p.code_challenge) throw aadsts.pkceRequired();
    if ((p.code_challenge_method ?? 'plain') !== 'S256')
      throw aadsts.invalidParameter('code_challenge_method');
    if (!S256_CHALLENGE.test(p.code_challenge)) throw aadsts.invalidParameter('code_challenge');
    const claimsRequest = parseClaimsRequest(p.claims);

    const user = p.login_hint ? ctx.directory.userByUpn(p.login_hint) : undefined;
    if (!user) {
      if (p.prompt === 'none') throw aadsts.loginRequired();
      return showPicker(ctx, reply, {
        title: 'Sign in',
        intro: `Pick an account to sign in to the application ${destination.client.clientId}.`,
        action: endpoint(ctx, segment, 'oauth2/v2.0/authorize'),
        params: p,
        notice: p.login_hint ? 'That account is not one of the test users. Pick another account.' : undefined,
      });
    }
    if (!admits(authority, user))
      return showError(reply, aadsts.userNotInTenant(segment, destination.client.clientId));
    if (servicePrincipalDisabled(ctx, user.tenantId, destination.client.clientId))
      throw aadsts.applicationDisabled(destination.client.clientId);

    const requirement = ctx.grants.requirement(user.oid);
    let pendingClaims: string | undefined;
    if (requirement !== undefined) {
      if (p.prompt === 'none') throw aadsts.claimsRequired(requirement);
      if (satisfies(claimsRequest, requirement)) ctx.grants.satisfyRequirement(user.oid);
      else pendingClaims = requirement;
    }

    const session = ctx.grants.newSession({
      oid: user.oid,
      tenantId: user.tenantId,
      clientId: destination.client.clientId,
      scopes,
      capabilities: requestedCapabilities(claimsRequest),
      authContexts: requestedAuthContexts(claimsRequest),
      pendingClaims,
    });
    const now = ctx.now().getTime();
    const code = ctx.grants.issueCode(
      {
        session,
        authoritySegment: segment,
        redirectUri: destination.redirectUri,
        codeChallenge: p.code_challenge,
        nonce: p.nonce,
        expiresAt: now + CODE_LIFETIME_MS,
      },
      now,
    );
    return answer(reply, destination, { code, session_state: randomUUID() });
  } catch (error) {
    if (error instanceof AadstsError) return answer(reply, destination, errorParams(error, ctx));
    throw error;
  }
}

async function handleAdminConsent(
  ctx: EmulatorContext,
  request: FastifyRequest<{ Params: { tenant: string } }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const segment = request.params.tenant;
  const p = requestParams(request);
  const verified = verifyDestination(ctx, segment, { ...p, response_mode: 'query' });
  if (verified instanceof AadstsError) return showError(reply, verified);
  const { authority, destination } = verified;
  // Every answer of this endpoint, error or not, says it comes from an admin consent flow.
  const consentAnswer = (fields: Params) => answer(reply, destination, { admin_consent: 'True', ...fields });

  if (!p.scope) return consentAnswer(errorParams(aadsts.missingParameter('scope'), ctx));
  const user = p.login_hint ? ctx.directory.userByUpn(p.login_hint) : undefined;
  if (!user) {
    return showPicker(ctx, reply, {
      title: 'Permissions requested',
      intro: `Sign in as a Global Administrator to approve ${p.scope} for your whole organisation (application ${destination.client.clientId}).`,
      action: endpoint(ctx, segment, 'v2.0/adminconsent'),
      params: p,
      notice: p.login_hint ? 'That account is not one of the test users. Pick another account.' : undefined,
    });
  }
  if (!admits(authority, user))
    return showError(reply, aadsts.userNotInTenant(segment, destination.client.clientId));
  if (!user.admin) return consentAnswer(errorParams(aadsts.adminRequired(), ctx));
  ctx.consents.push({
    tenantId: user.tenantId,
    clientId: destination.client.clientId,
    scope: p.scope,
    at: ctx.now(),
  });
  return consentAnswer({ tenant: user.tenantId, scope: p.scope });
}

/** Checks the tenant, client_id, redirect_uri and response_mode; failures are for the emulator's page. */
function verifyDestination(
  ctx: EmulatorContext,
  segment: string,
  p: Params,
): { authority: Authority; destination: Destination } | AadstsError {
  const authority = ctx.directory.authority(segment);
  if (!authority) return aadsts.unknownTenant(segment, 'invalid_request');
  if (!p.client_id) return aadsts.missingParameter('client_id');
  const client = ctx.clients.get(p.client_id);
  if (!client) return aadsts.unknownClient(p.client_id, segment);
  if (!p.redirect_uri) return aadsts.missingParameter('redirect_uri');
  if (!client.redirectUris.includes(p.redirect_uri))
    return aadsts.redirectMismatch(p.redirect_uri, client.clientId);
  const mode = p.response_mode ?? 'query';
  if (mode !== 'query' && mode !== 'form_post') return aadsts.unsupportedResponseMode();
  return { authority, destination: { client, redirectUri: p.redirect_uri, mode, state: p.state } };
}

function errorParams(error: AadstsError, ctx: EmulatorContext): Params {
  const timestamp = aadTimestamp(ctx.now());
  return {
    error: error.error,
    error_description: `${error.message}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${timestamp}`,
    error_uri: `${ctx.baseUrl}/error?code=${error.code}`,
    ...(error.extra.claims ? { claims: error.extra.claims } : {}),
  };
}

/** Sends fields (plus state) to the verified redirect URI by the requested response mode. */
function answer(reply: FastifyReply, destination: Destination, fields: Params): FastifyReply {
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) all[name] = value;
  if (destination.state !== undefined) all.state = destination.state;
  reply.header('cache-control', 'no-store');
  if (destination.mode === 'form_post') {
    return reply.type('text/html; charset=utf-8').send(formPostPage(destination.redirectUri, all));
  }
  const target = new URL(destination.redirectUri);
  for (const [name, value] of Object.entries(all)) target.searchParams.set(name, value);
  return reply.redirect(target.toString(), 302);
}

function showError(reply: FastifyReply, error: AadstsError): FastifyReply {
  return reply
    .code(400)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(errorPage(error.code, error.description));
}

function showPicker(
  ctx: EmulatorContext,
  reply: FastifyReply,
  page: { title: string; intro: string; action: string; params: Params; notice: string | undefined },
): FastifyReply {
  const hidden: Record<string, string> = {};
  for (const [name, value] of Object.entries(page.params)) {
    if (name !== 'login_hint' && value !== undefined) hidden[name] = value;
  }
  return reply
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      accountPicker({
        title: page.title,
        intro: page.intro,
        action: page.action,
        hidden,
        tenants: ctx.directory.tenants(),
        users: ctx.directory.users() as TestUser[],
        ...(page.notice ? { notice: page.notice } : {}),
      }),
    );
}
