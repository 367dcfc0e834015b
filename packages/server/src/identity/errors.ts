import { OidcError } from './oidc-client.js';

/** Why a sign-in or session step was refused; mapped to HTTP problems in http/routes/auth.ts. */
export type IdentityErrorCode =
  | 'login_expired'
  | 'state_mismatch'
  | 'sign_in_failed'
  | 'tenant_not_allowed'
  /** The organisation's contract has ended (offboarded), or Roomlink deleted it since. */
  | 'tenant_offboarded'
  | 'invalid_handoff'
  | 'session_invalid'
  | 'sign_in_required'
  | 'claims_required'
  /** Microsoft's identity platform could not be reached (OidcError `unavailable`): nothing was refused. */
  | 'identity_unavailable';

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    readonly extra: {
      claims?: string;
      /** The flow that met the error, where it is known (the callback's). */
      purpose?: 'addin' | 'browser';
      /** For `identity_unavailable`, why (OidcError's `reason`): a code, for the operator's log. */
      reason?: string;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IdentityError';
  }
}

/** A sign-in of a tenant whose contract has ended, or that Roomlink deleted after offboarding. */
export function tenantOffboarded(): IdentityError {
  return new IdentityError(
    'tenant_offboarded',
    'your organisation’s contract for this Roomlink has ended: its users can no longer sign in',
  );
}

/** A sign-out (from another device) ended the user while this sign-in was completing. */
export function signedOutMeanwhile(): IdentityError {
  return new IdentityError(
    'sign_in_failed',
    'you signed out while this sign-in was completing; sign in again',
  );
}

/**
 * The IdentityError for a step that could not reach Microsoft's identity platform (an OidcError
 * `unavailable`, from discovery or the token endpoint); undefined for any other error.
 */
export function identityUnavailable(
  error: unknown,
  purpose?: 'addin' | 'browser',
): IdentityError | undefined {
  if (!(error instanceof OidcError) || error.code !== 'unavailable') return undefined;
  return new IdentityError(
    'identity_unavailable',
    'Microsoft’s identity platform cannot be reached',
    { ...(purpose ? { purpose } : {}), ...(error.reason ? { reason: error.reason } : {}) },
    { cause: error },
  );
}
