/** Who is acting: an add-in session's user, or the system (calendar sync, retention). */
export interface Principal {
  readonly tenantId: string;
  readonly userId: string;
  readonly isTenantAdmin: boolean;
  /**
   * The session the request authenticated with (its token's digest, `sessions.token_hash`), for an
   * add-in or browser session; absent for the system and for tests' principals. A meeting create
   * writes only while that session still exists (sign-out or erasure meanwhile: nothing is written).
   */
  readonly sessionKey?: string;
  /**
   * An add-in session whose user Microsoft no longer signs in to Roomlink (a refresh refused: account
   * disabled, password reset, access revoked, or a Conditional Access challenge). The session may
   * still tell its user so (GET /api/v1/me) and sign out; nothing else until they sign in again.
   */
  readonly signInNeeded?: true;
}
