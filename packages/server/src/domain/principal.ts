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
}
