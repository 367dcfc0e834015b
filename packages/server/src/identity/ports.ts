/** What identity needs from the store. Records hold ciphertext where the schema says `Ct`. */
export type UserStatus = 'active' | 'needs_sign_in' | 'signed_out';

export interface UserSettings {
  readonly addToEveryMeeting?: boolean;
  readonly language?: 'en' | 'fr' | null;
}

export interface UserRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly exchangeId: string | null;
  readonly displayNameCt: string | null;
  readonly upnCt: string | null;
  readonly status: UserStatus;
  readonly isAdmin: boolean;
  readonly settings: UserSettings;
  readonly pendingClaims: string | null;
  readonly lastSignInAt: string | null;
  readonly createdAt: string;
}

/** What a sign-in learns of a returning user from Microsoft. */
export type SignInFields = Pick<UserRecord, 'displayNameCt' | 'upnCt' | 'isAdmin' | 'lastSignInAt'>;

/**
 * Each change writes only the columns its path owns, never a whole row read earlier: paths that
 * race (a sign-out and a settings change from another device, say) cannot write back what the
 * other changed, and above all not an Exchange user id that sign-out has just forgotten.
 */
export interface UserRepository {
  findById(id: string): Promise<UserRecord | undefined>;
  findByExchangeId(tenantId: string, exchangeId: string): Promise<UserRecord | undefined>;
  /** Returns false when (tenant, exchange id) exists already (a concurrent first sign-in). */
  insert(user: UserRecord): Promise<boolean>;
  /**
   * A returning user signed in: active again, with what Microsoft said of them now. False when the
   * row no longer holds that Exchange user id (the user signed out meanwhile): nothing is written.
   */
  recordSignIn(id: string, exchangeId: string, fields: SignInFields): Promise<boolean>;
  /** Microsoft refused the user's refresh token: they must sign in again (signed out stays so). */
  requireSignIn(id: string, pendingClaims: string | null): Promise<void>;
  /** Sign-out: forgets the Exchange user id, name and UPN. */
  markSignedOut(id: string): Promise<void>;
  updateSettings(id: string, settings: UserSettings): Promise<void>;
  listByTenant(tenantId: string): Promise<UserRecord[]>;
}

export interface TokenRecord {
  readonly userId: string;
  readonly tenantId: string;
  readonly refreshTokenCt: string;
  readonly accessTokenCt: string | null;
  readonly accessExpiresAt: string | null;
  readonly version: number;
  readonly updatedAt: string;
}

export interface TokenRepository {
  find(userId: string): Promise<TokenRecord | undefined>;
  /**
   * Inserts or replaces regardless of version (a fresh sign-in), in one statement that checks the
   * user has not signed out; false, and nothing written, if they have (or the user is gone).
   */
  put(record: TokenRecord): Promise<boolean>;
  /** Compare-and-set on version: false when another process refreshed meanwhile. */
  replace(record: TokenRecord, expectedVersion: number): Promise<boolean>;
  delete(userId: string): Promise<void>;
  /** Deletes the user's tokens only if they are still that version; false if they are not (or gone). */
  deleteVersion(userId: string, version: number): Promise<boolean>;
}

/**
 * A sign-in under way. Its secrets are stored sealed (identity/sign-in.ts, `sealLoginSecret`): the
 * repository only ever sees ciphertexts.
 */
export interface LoginTransaction {
  /** SHA-256 of the random id only the starting browser holds (its cookie). */
  readonly idHash: string;
  readonly stateCt: string;
  readonly nonceCt: string;
  readonly codeVerifierCt: string;
  readonly purpose: 'addin' | 'browser';
  readonly addinChallenge: string | null;
  readonly expiresAt: string;
}

export interface HandoffCode {
  readonly codeHash: string;
  readonly userId: string;
  readonly tenantId: string;
  readonly challenge: string;
  readonly expiresAt: string;
}

export interface SessionRecord {
  readonly tokenHash: string;
  readonly userId: string;
  readonly tenantId: string;
  readonly kind: 'addin' | 'browser';
  readonly createdAt: string;
  readonly expiresAt: string;
}

/**
 * One-time records: `take` and `redeem` delete in one statement (DELETE … RETURNING), so a value is
 * used at most once, however many requests race for it.
 */
export interface AuthFlowRepository {
  insertTransaction(t: LoginTransaction): Promise<void>;
  /**
   * The login transaction, read without using it up: the callback checks the answer's `state` first,
   * so that a request that does not carry it (a link an attacker's page opens in the browser) leaves
   * the browser's sign-in under way.
   */
  findTransaction(idHash: string): Promise<LoginTransaction | undefined>;
  /**
   * Deletes the login transaction: true for the one request that deleted it, false when it was gone
   * already (another request redeemed it, or it was swept).
   */
  redeemTransaction(idHash: string): Promise<boolean>;
  insertHandoff(h: HandoffCode): Promise<void>;
  takeHandoff(codeHash: string): Promise<HandoffCode | undefined>;
  insertSession(s: SessionRecord): Promise<void>;
  /** The session with its user's status and admin flag (and its tenant's contract end), or undefined. */
  findSession(
    tokenHash: string,
  ): Promise<
    (SessionRecord & { isAdmin: boolean; status: UserStatus; contractEnd?: string | null }) | undefined
  >;
  deleteSession(tokenHash: string): Promise<void>;
  /**
   * Inside a transaction, before a write that must not outlive the session: whether the session
   * still exists. On PostgreSQL the row is then locked (FOR KEY SHARE) until the transaction ends,
   * so a sign-out or erasure deleting it waits for the commit and sees what was written; on SQLite
   * the write transactions are serialised already.
   */
  holdSession(tokenHash: string): Promise<boolean>;
  /** Deletes the user's sessions and the handoff codes they have not redeemed, in one transaction. */
  deleteUserSessionsAndHandoffs(userId: string): Promise<void>;
  deleteExpired(now: Date): Promise<number>;
}

/**
 * What sign-out needs beyond deleting the user's rows, so that no copy of what it removed stays in
 * the database's files (retention/sign-out.ts implements it).
 */
export interface SignOutTraces {
  /**
   * Deletes what other features still hold naming the user outside their rows (calendar sync's
   * queued jobs), then runs `lastWrite` so that once it returns the database's write-ahead log holds
   * no page image from before it (SQLite: the log is checkpointed and `lastWrite` restarts and
   * truncates it; PostgreSQL: `lastWrite` simply runs).
   */
  forget(userId: string, lastWrite: () => Promise<void>): Promise<void>;
}
