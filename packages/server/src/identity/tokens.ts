/**
 * OAuth tokens per user: stored only encrypted, refreshed ahead of expiry with one refresh in
 * flight per user (concurrent callers share it), and turned into a clear "needs sign-in" state
 * when Microsoft refuses the refresh token or asks for more claims.
 */
import type { FieldCipher } from '../crypto/envelope.js';
import { IdentityError, signedOutMeanwhile } from './errors.js';
import { type MicrosoftOidcClient, OidcError, type TokenSet } from './oidc-client.js';
import type { TokenRecord, TokenRepository, UserRepository } from './ports.js';

/** Refresh this long before the access token expires, so a Graph call never starts with a dying token. */
const REFRESH_AHEAD_MS = 5 * 60_000;
const TABLE = 'user_tokens';
/** One log line per this long while Microsoft refuses Roomlink's client credential, not one per user. */
const CLIENT_REFUSED_LOG_EVERY_MS = 60_000;

/**
 * Refusals of a refresh token that mean Microsoft will not let Roomlink act for the user any more:
 * the grant is gone (revoked, expired, password reset), the user must sign in interactively
 * (Conditional Access), the user's organisation disabled or deleted Roomlink's enterprise app
 * (`unauthorized_client`: AADSTS7000112, AADSTS700016 once MS_CLIENT_ID is known good, see
 * `#unknownClient`), or access was refused (`access_denied`).
 * Not `invalid_client`: that is Roomlink's own credential refused, whatever the user. Nor
 * `unavailable`: Microsoft could not be asked at all (network, timeout, outage); the refresh is tried
 * again later.
 */
const SIGN_IN_REQUIRED: ReadonlySet<OidcError['code']> = new Set([
  'invalid_grant',
  'interaction_required',
  'unauthorized_client',
  'access_denied',
]);

/** Where the token service reports what an operator must act on (pino's signature). */
export interface TokenServiceLog {
  error(fields: Record<string, unknown>, message: string): void;
}

export interface TokenServiceDeps {
  readonly tokens: TokenRepository;
  readonly users: UserRepository;
  readonly cipher: FieldCipher;
  readonly oidc: () => Promise<MicrosoftOidcClient>;
  readonly now?: () => Date;
  /** Told when a user must sign in again, e.g. so that sync stops for them. */
  readonly onSignInRequired?: (userId: string) => Promise<void>;
  /** Told, at error level, when Microsoft refuses Roomlink's own client credential (`invalid_client`). */
  readonly log?: TokenServiceLog;
}

export class TokenService {
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #now: () => Date;
  /** When the last `invalid_client` line was logged, and how many refusals came since. */
  #clientRefused = { loggedAt: Number.NEGATIVE_INFINITY, since: 0 };
  /**
   * Whether Microsoft has accepted MS_CLIENT_ID since this process started (a sign-in's tokens were
   * stored, or a refresh succeeded): see `unknownClient`.
   */
  #clientAccepted = false;

  constructor(private readonly deps: TokenServiceDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  async store(userId: string, tenantId: string, tokens: TokenSet): Promise<void> {
    if (!tokens.refreshToken)
      throw new IdentityError('sign_in_failed', 'Microsoft returned no refresh token (offline_access)');
    // Only a sign-in Microsoft completed for MS_CLIENT_ID brings tokens here.
    this.#clientAccepted = true;
    const existing = await this.deps.tokens.find(userId);
    const sealed = await this.#seal(userId, tenantId, tokens, (existing?.version ?? 0) + 1);
    if (!(await this.deps.tokens.put(sealed))) throw signedOutMeanwhile();
  }

  /** Whether Microsoft tokens are kept for the user. */
  async holds(userId: string): Promise<boolean> {
    return (await this.deps.tokens.find(userId)) !== undefined;
  }

  /** A valid Graph access token for the user, refreshed if it expires soon. */
  async getAccessToken(userId: string): Promise<string> {
    const record = await this.deps.tokens.find(userId);
    if (!record)
      throw new IdentityError('sign_in_required', 'the user has no Microsoft tokens; sign in again');
    if (record.accessTokenCt && record.accessExpiresAt) {
      if (new Date(record.accessExpiresAt).getTime() - REFRESH_AHEAD_MS > this.#now().getTime()) {
        return this.#open(record, 'access_token', record.accessTokenCt);
      }
    }
    return this.#refreshOnce(userId);
  }

  /**
   * Graph refused an access token that is not expired by our clock (revoked, or signed with a key
   * since withdrawn): refresh it now, so that the caller's retry uses a new one. A refresh token
   * Microsoft no longer accepts turns into "needs sign-in", as in getAccessToken.
   */
  async invalidate(userId: string): Promise<void> {
    await this.#refreshOnce(userId);
  }

  /** Graph answered with a claims challenge (Conditional Access / CAE): try a refresh with the claims. */
  async onClaimsChallenge(userId: string, claims: string): Promise<string> {
    return this.#refreshOnce(userId, claims);
  }

  async forget(userId: string): Promise<void> {
    this.#inflight.delete(userId);
    await this.deps.tokens.delete(userId);
  }

  #refreshOnce(userId: string, claims?: string): Promise<string> {
    const key = claims ? `${userId}\u0000claims` : userId;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#refresh(userId, claims).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #refresh(userId: string, claims?: string): Promise<string> {
    const record = await this.deps.tokens.find(userId);
    if (!record)
      throw new IdentityError('sign_in_required', 'the user has no Microsoft tokens; sign in again');
    const refreshToken = await this.#open(record, 'refresh_token', record.refreshTokenCt);
    let fresh: TokenSet;
    try {
      fresh = await (await this.deps.oidc()).refresh(refreshToken, claims);
    } catch (error) {
      if (error instanceof OidcError && error.code === 'invalid_client') this.#clientRefusedLog(error);
      if (error instanceof OidcError && this.#unknownClient(error)) {
        this.#clientRefusedLog(error);
        throw error;
      }
      if (error instanceof OidcError && SIGN_IN_REQUIRED.has(error.code)) {
        // What the token endpoint asked for, else the challenge this refresh answered.
        const required = error.claims ?? claims;
        await this.#requireSignIn(userId, record.version, required ?? null);
        throw new IdentityError(
          required ? 'claims_required' : 'sign_in_required',
          required
            ? 'your organisation requires you to sign in again'
            : 'Microsoft no longer accepts this sign-in',
          required ? { claims: required } : {},
          { cause: error },
        );
      }
      throw error;
    }
    this.#clientAccepted = true;
    // Microsoft rotates refresh tokens; keep the newest, or the old one when none came back.
    const next = await this.#seal(
      userId,
      record.tenantId,
      { ...fresh, refreshToken: fresh.refreshToken ?? refreshToken },
      record.version + 1,
    );
    if (!(await this.deps.tokens.replace(next, record.version))) {
      // Another process refreshed first: its token is as good as ours.
      const winner = await this.deps.tokens.find(userId);
      if (winner?.accessTokenCt) return this.#open(winner, 'access_token', winner.accessTokenCt);
    }
    return fresh.accessToken;
  }

  /**
   * AADSTS700016, "application not found in the directory", is what an organisation that deleted
   * Roomlink's enterprise application answers, and also what every organisation answers when
   * MS_CLIENT_ID is mistyped. Only the first is about the user. Until Microsoft has accepted
   * MS_CLIENT_ID in this process, it is taken for the second: an operator's typo must not make every
   * user who refreshes sign in again and lose their tokens.
   */
  #unknownClient(error: OidcError): boolean {
    return !this.#clientAccepted && error.code === 'unauthorized_client' && error.aadsts.includes(700016);
  }

  /**
   * Microsoft refused Roomlink's client authentication, or does not know MS_CLIENT_ID: every user's
   * refresh fails alike until the operator fixes the configuration, so the users and their tokens
   * stay as they are (the refresh is retried later) and the operator is told, at most once a minute.
   * Only the AADSTS numbers are logged, never the error description or anything that was sent.
   */
  #clientRefusedLog(error: OidcError): void {
    const now = this.#now().getTime();
    this.#clientRefused.since += 1;
    if (now - this.#clientRefused.loggedAt < CLIENT_REFUSED_LOG_EVERY_MS) return;
    const fields = {
      oauthError: error.code,
      aadsts: error.aadsts.map((code) => `AADSTS${code}`),
      refusals: this.#clientRefused.since,
    };
    this.#clientRefused = { loggedAt: now, since: 0 };
    if (error.code === 'unauthorized_client') {
      this.deps.log?.error(
        fields,
        'Microsoft does not know the application MS_CLIENT_ID in the users’ directory (AADSTS700016), and ' +
          'no sign-in or token refresh has succeeded with it since Roomlink started: check MS_CLIENT_ID ' +
          "against the Application (client) ID of Roomlink's app registration. (An organisation that " +
          "deleted Roomlink's enterprise application answers the same.) Users keep their sign-in and " +
          'tokens; later refreshes try again.',
      );
      return;
    }
    this.deps.log?.error(
      fields,
      "Microsoft refused Roomlink's client credential (invalid_client): token refreshes fail for every " +
        'user, and calendar sync with them. Check that the client secret (MS_CLIENT_SECRET) or the ' +
        'certificate (MS_CLIENT_CERT, MS_CLIENT_KEY) is current and registered on the app registration ' +
        'of MS_CLIENT_ID (AADSTS7000222: the secret expired; AADSTS7000215: a wrong secret; ' +
        'AADSTS700027: a certificate the app does not hold). Users keep their sign-in and tokens; ' +
        'later refreshes try again.',
    );
  }

  /**
   * Microsoft refused the tokens of `version`. Only those go: if the user has signed in again
   * meanwhile, the new tokens and the new sign-in stand, and if they signed out, nothing is left.
   */
  async #requireSignIn(userId: string, version: number, claims: string | null): Promise<void> {
    if (!(await this.deps.tokens.deleteVersion(userId, version))) return;
    await this.deps.users.requireSignIn(userId, claims);
    await this.deps.onSignInRequired?.(userId);
  }

  async #seal(userId: string, tenantId: string, tokens: TokenSet, version: number): Promise<TokenRecord> {
    const enc = (column: string, value: string) =>
      this.deps.cipher.encrypt({ tenantId, table: TABLE, column, rowId: userId }, value);
    return {
      userId,
      tenantId,
      refreshTokenCt: await enc('refresh_token', tokens.refreshToken as string),
      accessTokenCt: await enc('access_token', tokens.accessToken),
      accessExpiresAt: tokens.expiresAt.toISOString(),
      version,
      updatedAt: this.#now().toISOString(),
    };
  }

  #open(record: TokenRecord, column: string, value: string): Promise<string> {
    return this.deps.cipher.decrypt(
      { tenantId: record.tenantId, table: TABLE, column, rowId: record.userId },
      value,
    );
  }
}
