/**
 * Authentication is one pluggable hook: it turns a request into a Principal or null. The add-in
 * session authenticator (identity/) is the production one; tests plug in their own.
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Principal } from '../domain/principal.js';
import { HttpError } from './errors.js';

/**
 * May answer synchronously (a request carrying no credentials needs no lookup): the hook then
 * lets the request go on without a promise, as Graph's webhook deliveries and most page loads do.
 */
export type Authenticator = (request: FastifyRequest) => Principal | null | Promise<Principal | null>;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function registerAuthentication(app: FastifyInstance, authenticate: Authenticator): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', (request, _reply, done) => {
    let result: ReturnType<Authenticator>;
    try {
      result = authenticate(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (!(result instanceof Promise)) {
      request.principal = result;
      done();
      return;
    }
    result.then(
      (principal) => {
        request.principal = principal;
        done();
      },
      (error: Error) => done(error),
    );
  });
}

/**
 * Requests whose session cookie the authenticator ignored: an unsafe method whose Origin is not
 * Roomlink's own (the cookie rides along on cross-site requests). Refused with 403 saying so,
 * rather than a 401 that would send the user to sign in again for nothing.
 */
const crossSiteCookies = new WeakSet<FastifyRequest>();

export function markCrossSiteCookie(request: FastifyRequest): void {
  crossSiteCookies.add(request);
}

/** The answer to a request without a principal: 401 naming how to sign in, or 403 (see above). */
export function unauthenticated(
  request: FastifyRequest,
  signIn = 'sign in with Roomlink to use this API',
): HttpError {
  return crossSiteCookies.has(request)
    ? new HttpError(
        'forbidden',
        "a request carrying Roomlink's session cookie must come from Roomlink's own pages (its Origin header is another site's, or missing); nothing was done",
      )
    : new HttpError('unauthorized', signIn);
}

/** For handlers that need a signed-in user: returns the principal or answers 401. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated(request);
  return request.principal;
}

/**
 * A route-level onRequest hook answering 401 to a caller without a session before the body is
 * parsed or validated, so that an anonymous caller learns nothing of the route's schemas. Runs
 * after authentication (an app-wide onRequest hook, which comes first). A session whose user
 * Microsoft no longer signs in (Principal.signInNeeded) is refused too: a disabled account's add-in
 * token must not go on creating meetings or host links for the 30 days it lasts.
 */
export const requireSignedIn: onRequestHookHandler = (request, _reply, done) => {
  if (!request.principal) done(unauthenticated(request));
  else if (request.principal.signInNeeded) done(new HttpError('sign_in_required', SIGN_IN_AGAIN));
  else done();
};

/**
 * As requireSignedIn, but also for a session whose user must sign in again: for what that session
 * still may do, which is to learn why (GET /api/v1/me) and sign out.
 */
export const requireSession: onRequestHookHandler = (request, _reply, done) => {
  if (request.principal) done();
  else done(unauthenticated(request));
};

const SIGN_IN_AGAIN =
  'Microsoft no longer accepts your sign-in to Roomlink (account disabled, password changed, access ' +
  'revoked, or your organisation asks you to sign in again): sign in again (GET /api/v1/me gives the ' +
  'claims the sign-in must satisfy, if any); nothing was done';

/** Reads `Authorization: Bearer <token>`; undefined when absent or of another scheme. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header) : null;
  return match?.[1];
}
