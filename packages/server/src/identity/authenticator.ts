/**
 * Turns a request into a Principal:
 * - `Authorization: Bearer <token>`: an add-in session;
 * - the console's session cookie (`__Host-roomlink_session` over https, `roomlink_session` over
 *   http: http/cookies.ts; a cookie of the other name is ignored): a browser session (admin
 *   console). Cookies ride along on cross-site requests, so a cookie session is accepted for unsafe
 *   methods only when the request's Origin is Roomlink's own (the cookie is also SameSite=Strict).
 *   SameSite=Strict still sends it from a sibling host of the same site, safe methods included: the
 *   admin API also refuses a cookie request whose Sec-Fetch-Site is not its own (admin/api.ts,
 *   refuseOtherSites), so that an `<img>` elsewhere cannot run an export.
 * Expired sessions are deleted when seen, and so are browser sessions of users who must sign in again.
 * Sessions of a tenant not on ROOMLINK_ALLOWED_TENANTS, and add-in sessions of a tenant whose contract
 * has ended, are refused.
 */
import { contractEnded } from '../domain/tenants/tenant.js';
import type { Authenticator } from '../http/auth.js';
import { bearerToken, markCrossSiteCookie } from '../http/auth.js';
import { cookieValue, roomlinkCookies } from '../http/cookies.js';
import type { AuthFlowRepository } from './ports.js';
import { digest } from './secrets.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionAuthenticator(
  authFlow: AuthFlowRepository,
  baseUrl: URL,
  options: {
    readonly now?: () => Date;
    /** ROOMLINK_ALLOWED_TENANTS (lower case); null or absent for any tenant. */
    readonly allowedTenants?: readonly string[] | null;
  } = {},
): Authenticator {
  const now = options.now ?? (() => new Date());
  const allowedTenants = options.allowedTenants ?? null;
  // The one name in force: over https only the __Host- one, which no other host can plant.
  const sessionCookie = roomlinkCookies(baseUrl).session.name;
  const lookUp = async (token: string, kind: 'addin' | 'browser') => {
    const session = await authFlow.findSession(digest(token));
    if (!session || session.kind !== kind) return null;
    // A tenant taken off the list since its users signed in is refused at once, not when their
    // sessions end (up to 30 days). Its sessions stay: put back on the list, it needs no new sign-in.
    if (allowedTenants && !allowedTenants.includes(session.tenantId)) return null;
    // So is the add-in of a tenant whose contract has ended (offboarded); its admin console stays open
    // until retention deletes the tenant, for its admins to export or delete their data. The sessions
    // stay, so that a readmission before then (`roomlink tenant readmit`) needs no new sign-in.
    if (session.kind === 'addin' && contractEnded(session.contractEnd, now())) return null;
    if (
      new Date(session.expiresAt) <= now() ||
      session.status === 'signed_out' ||
      // The admin console acts on everyone's data: it needs a user whose Microsoft sign-in still
      // holds. One Microsoft refused (account disabled, password reset, consent revoked) ends it;
      // the add-in's session stays, but only so that the task pane can ask the user to sign in
      // again (signInNeeded: http/auth.ts lets it read GET /api/v1/me and sign out, nothing more).
      (kind === 'browser' && session.status !== 'active')
    ) {
      await authFlow.deleteSession(session.tokenHash);
      return null;
    }
    // Admin rights come with the console's browser session only: an add-in session (30 days, kept
    // while the user must sign in again, held by the task pane) opens the add-in's API, never
    // everyone's data.
    return {
      tenantId: session.tenantId,
      userId: session.userId,
      isTenantAdmin: kind === 'browser' && session.isAdmin,
      // Writes that must not outlive the session (a meeting create) check it again as they commit.
      sessionKey: session.tokenHash,
      ...(session.status === 'active' ? {} : { signInNeeded: true as const }),
    };
  };
  return (request) => {
    const bearer = bearerToken(request);
    if (bearer) return lookUp(bearer, 'addin');
    const cookie = cookieValue(request.headers.cookie, sessionCookie);
    // Without credentials, or a cookie on a cross-site unsafe request: no lookup, answered at once.
    if (!cookie) return null;
    if (!SAFE_METHODS.has(request.method) && request.headers.origin !== baseUrl.origin) {
      markCrossSiteCookie(request);
      return null;
    }
    return lookUp(cookie, 'browser');
  };
}
