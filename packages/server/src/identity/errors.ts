/** Why a sign-in or session step was refused; mapped to HTTP problems in http/routes/auth.ts. */
export type IdentityErrorCode =
  | 'login_expired'
  | 'state_mismatch'
  | 'sign_in_failed'
  | 'tenant_not_allowed'
  | 'invalid_handoff'
  | 'session_invalid'
  | 'sign_in_required'
  | 'claims_required';

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    readonly extra: { claims?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IdentityError';
  }
}

/** A sign-out (from another device) ended the user while this sign-in was completing. */
export function signedOutMeanwhile(): IdentityError {
  return new IdentityError(
    'sign_in_failed',
    'you signed out while this sign-in was completing; sign in again',
  );
}
