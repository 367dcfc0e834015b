/** Turns `Authorization: Bearer <add-in session>` into a Principal; expired sessions are deleted. */
import type { Authenticator } from '../http/auth.js';
import { bearerToken } from '../http/auth.js';
import type { AuthFlowRepository } from './ports.js';
import { digest } from './secrets.js';

export function sessionAuthenticator(
  authFlow: AuthFlowRepository,
  now: () => Date = () => new Date(),
): Authenticator {
  return async (request) => {
    const token = bearerToken(request);
    if (!token) return null;
    const session = await authFlow.findSession(digest(token));
    if (!session) return null;
    if (new Date(session.expiresAt) <= now() || session.status === 'signed_out') {
      await authFlow.deleteSession(session.tokenHash);
      return null;
    }
    return { tenantId: session.tenantId, userId: session.userId, isTenantAdmin: session.isAdmin };
  };
}
