/**
 * Where calendar sync gets delegated Graph access tokens. Identity implements it (its TokenService
 * fits structurally); tests use a local signer.
 */
export interface AccessTokenSource {
  /** A valid access token for the user's mailbox (aud https://graph.microsoft.com). */
  getAccessToken(userId: string): Promise<string>;
  /**
   * Graph answered with a claims challenge (Continuous Access Evaluation / Conditional Access): get a
   * token satisfying `claims` (decoded JSON text), or throw SignInRequiredError-like errors.
   */
  onClaimsChallenge(userId: string, claims: string): Promise<unknown>;
  /** Optional: Graph refused a token that was not expired by our clock; drop any cached copy. */
  invalidate?(userId: string): Promise<void>;
}

/** The user must sign in again (refresh token revoked, consent withdrawn…): sync stops for them. */
export class SignInRequiredError extends Error {
  readonly code = 'sign_in_required';

  constructor(
    readonly userId: string,
    options?: { cause?: unknown },
  ) {
    super('the user must sign in again', options);
    this.name = 'SignInRequiredError';
  }
}

/**
 * True for our error and for identity's IdentityError codes `sign_in_required` / `claims_required`,
 * so that the token service can be plugged in as it is.
 */
export function isSignInRequired(error: unknown): boolean {
  if (error instanceof SignInRequiredError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'sign_in_required' || code === 'claims_required';
}
