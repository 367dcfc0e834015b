/**
 * The sign-in flow (see the sequence diagram in docs/auth.md):
 * 1. start: a login transaction (state, nonce, PKCE verifier, each sealed: SIGN_IN_KEY_SCOPE) is
 *    stored, keyed by the digest of a random id that only the starting browser holds in an HttpOnly
 *    cookie;
 * 2. callback: the cookie finds the transaction, redeemed (deleted, once) only when the answer's
 *    `state` matches it (a request without that state leaves it), openid-client validates the answer,
 *    the user is created or refreshed, tokens are stored encrypted and calendar sync starts (not for
 *    an account that only signs in to the admin console);
 * 3. the add-in's dialog receives a one-time handoff code bound to the task pane's verifier hash,
 *    which the task pane exchanges for an add-in session.
 */
import { randomUUID } from 'node:crypto';
import type { CipherContext, FieldCipher } from '../crypto/envelope.js';
import type { AuditRepository } from '../domain/audit/audit.js';
import type { Principal } from '../domain/principal.js';
import { TenantOffboardedError, type TenantRepository } from '../domain/tenants/tenant.js';
import { IdentityError, identityUnavailable, signedOutMeanwhile, tenantOffboarded } from './errors.js';
import { type MicrosoftOidcClient, OidcError } from './oidc-client.js';
import type { AuthFlowRepository, SignInFields, SignOutTraces, UserRecord, UserRepository } from './ports.js';
import { constantTimeEqual, digest, randomToken, s256 } from './secrets.js';
import type { TokenService } from './tokens.js';

const LOGIN_TTL_MS = 10 * 60_000;
const HANDOFF_TTL_MS = 2 * 60_000;

/**
 * The key scope of sign-ins under way. A login transaction belongs to no tenant yet (the tenant is
 * known only from the ID token, at the callback), so its secrets are sealed with the envelope cipher
 * under a data key of this reserved scope rather than a tenant's: one row of tenant_keys, made and
 * wrapped by the master key provider, cached, checked by `roomlink doctor` and rewrapped by
 * `roomlink keys rotate` exactly as a tenant's. No tenant has this id (tenant ids are Entra tenant
 * ids, GUIDs), so no offboarding or erasure ever touches it.
 */
export const SIGN_IN_KEY_SCOPE = 'roomlink:sign-in';

type LoginSecret = 'state' | 'nonce' | 'code_verifier';

/** A login secret is bound to its column and to its transaction's row (the id's digest). */
export function loginSecretContext(idHash: string, column: LoginSecret): CipherContext {
  return { tenantId: SIGN_IN_KEY_SCOPE, table: 'login_transactions', column, rowId: idHash };
}

export interface SignInDeps {
  readonly oidc: () => Promise<MicrosoftOidcClient>;
  readonly users: UserRepository;
  readonly tenants: TenantRepository;
  readonly authFlow: AuthFlowRepository;
  readonly audit: AuditRepository;
  readonly cipher: FieldCipher;
  readonly tokens: TokenService;
  readonly allowedTenants: readonly string[] | null;
  readonly adminRoleIds: readonly string[];
  readonly sessionTtlHours: number;
  /** Called at sign-out so that calendar sync stops and deletes its subscription. */
  readonly onSignOut?: (userId: string) => Promise<void>;
  /**
   * Sign-out's last step: what else names the user goes, and the database's log keeps no copy of
   * what sign-out removed (SQLite's -wal file). Without it the last write simply runs.
   */
  readonly signOutTraces?: SignOutTraces;
  /**
   * After a completed sign-in whose tokens were stored (calendar sync subscribes the mailbox): every
   * add-in sign-in, and a console sign-in of an account whose calendar Roomlink follows.
   */
  readonly onSignedIn?: (userId: string, tenantId: string) => Promise<void>;
  readonly now?: () => Date;
}

export interface SignedInUser {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly upn: string;
  readonly isTenantAdmin: boolean;
}

export class SignInService {
  readonly #now: () => Date;

  constructor(private readonly deps: SignInDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  async start(p: {
    purpose: 'addin' | 'browser';
    addinChallenge?: string;
    loginHint?: string;
    claims?: string;
  }): Promise<{ cookie: string; redirect: URL }> {
    if (p.purpose === 'addin' && !/^[A-Za-z0-9_-]{43}$/.test(p.addinChallenge ?? '')) {
      throw new IdentityError('invalid_handoff', 'the add-in must send the S256 hash of its verifier');
    }
    // The identity platform first: a sign-in that cannot go there leaves no transaction behind.
    const oidc = await this.#oidc(p.purpose);
    const cookie = randomToken();
    const idHash = digest(cookie);
    const state = randomToken();
    const nonce = randomToken();
    const verifier = randomToken(48);
    const seal = (column: LoginSecret, value: string) =>
      this.deps.cipher.encrypt(loginSecretContext(idHash, column), value);
    const [stateCt, nonceCt, codeVerifierCt] = await Promise.all([
      seal('state', state),
      seal('nonce', nonce),
      seal('code_verifier', verifier),
    ]);
    await this.deps.authFlow.insertTransaction({
      idHash,
      stateCt,
      nonceCt,
      codeVerifierCt,
      purpose: p.purpose,
      addinChallenge: p.addinChallenge ?? null,
      expiresAt: new Date(this.#now().getTime() + LOGIN_TTL_MS).toISOString(),
    });
    const redirect = oidc.authorizationUrl({
      state,
      nonce,
      codeChallenge: s256(verifier),
      ...(p.loginHint ? { loginHint: p.loginHint } : {}),
      ...(p.claims ? { claims: p.claims } : {}),
      // The console is signed in from a browser that may hold another Microsoft account (a colleague's,
      // or the one the console just refused): Microsoft would sign that one in silently. The add-in
      // names the mailbox's account instead (login_hint).
      ...(p.purpose === 'browser' ? { prompt: 'select_account' } : {}),
    });
    return { cookie, redirect };
  }

  /** Completes the callback. Returns the user and, for the add-in, the one-time handoff code. */
  async complete(
    cookie: string | undefined,
    callbackUrl: URL,
  ): Promise<{
    user: SignedInUser;
    purpose: 'addin' | 'browser';
    handoffCode?: string;
    sessionToken?: string;
  }> {
    const idHash = cookie ? digest(cookie) : undefined;
    // Read, not yet used up: anyone can send this browser to the callback (a link, another site's
    // page navigating it there, the browser sending the SameSite=Lax cookie along), and such a request
    // must not cost the sign-in under way its transaction. It is redeemed only once `state` matches.
    const transaction = idHash ? await this.deps.authFlow.findTransaction(idHash) : undefined;
    if (!transaction)
      throw new IdentityError('login_expired', 'this sign-in was not started in this browser, or expired');
    if (new Date(transaction.expiresAt) <= this.#now()) {
      await this.deps.authFlow.redeemTransaction(transaction.idHash);
      throw new IdentityError('login_expired', 'the sign-in took too long');
    }
    // A ciphertext that does not open (moved from another row, altered) is a KeyError: a server fault.
    const open = (column: LoginSecret, ciphertext: string) =>
      this.deps.cipher.decrypt(loginSecretContext(transaction.idHash, column), ciphertext);
    const expectedState = await open('state', transaction.stateCt);
    const state = callbackUrl.searchParams.get('state') ?? '';
    // openid-client checks state too; checking first gives a precise answer without a token call, and
    // leaves the transaction to the answer that carries it.
    if (!constantTimeEqual(state, expectedState)) {
      throw new IdentityError('state_mismatch', 'the sign-in answer does not belong to this browser');
    }
    // Used once: of two requests carrying the right state (a replay, a double submit), one goes on.
    if (!(await this.deps.authFlow.redeemTransaction(transaction.idHash)))
      throw new IdentityError('login_expired', 'this sign-in was used already; sign in again');
    const [nonce, codeVerifier] = await Promise.all([
      open('nonce', transaction.nonceCt),
      open('code_verifier', transaction.codeVerifierCt),
    ]);
    const error = callbackUrl.searchParams.get('error');
    if (error) throw new IdentityError('sign_in_failed', `Microsoft answered: ${error}`);

    let result: Awaited<ReturnType<MicrosoftOidcClient['exchangeCode']>>;
    try {
      result = await (await this.deps.oidc()).exchangeCode(callbackUrl, {
        expectedState,
        expectedNonce: nonce,
        pkceCodeVerifier: codeVerifier,
      });
    } catch (cause) {
      // The identity platform (its metadata, token endpoint or signing keys) could not be reached:
      // nothing was refused, and the user is told so, not that their sign-in "did not validate".
      const unavailable = identityUnavailable(cause, transaction.purpose);
      if (unavailable) throw unavailable;
      const detail = cause instanceof OidcError ? cause.message : 'the sign-in answer did not validate';
      throw new IdentityError('sign_in_failed', detail, {}, { cause });
    }
    const { claims } = result;
    const tenantId = claims.tid.toLowerCase();
    // With MS_AUTHORITY=…/common, Microsoft also signs personal accounts in, all under this one
    // tenant id: they would share one Roomlink tenant (its settings, its admin console).
    if (tenantId === PERSONAL_ACCOUNTS_TENANT_ID) {
      throw new IdentityError(
        'tenant_not_allowed',
        'personal Microsoft accounts cannot use Roomlink; sign in with a work or school account',
      );
    }
    if (this.deps.allowedTenants && !this.deps.allowedTenants.includes(tenantId)) {
      throw new IdentityError('tenant_not_allowed', 'your organisation is not enabled on this Roomlink');
    }
    // Offboarded: from its contract end on, and once retention deleted it, until an operator readmits
    // it. Made anew by this sign-in, the tenant would have no contract end, hence no deletion day.
    // Between the contract end and the deletion, the admin console stays open: the tenant's admins
    // can still see, export and delete their data; only the add-in (the service) is refused.
    const refusal = await this.deps.tenants.refusal(tenantId, this.#now());
    if (refusal === 'offboarded' || (refusal === 'contract_ended' && transaction.purpose === 'addin'))
      throw tenantOffboarded();
    // Every check of Microsoft's answer runs before anything is written: a refused sign-in must leave a
    // new user unrecorded and a user who must sign in again in that state (TokenService.store checks too).
    if (!result.refreshToken) {
      throw new IdentityError('sign_in_failed', 'Microsoft returned no refresh token (offline_access)');
    }
    const isAdmin = (claims.wids ?? []).some((w) => this.deps.adminRoleIds.includes(w.toLowerCase()));
    const known = await this.deps.users.findByExchangeId(tenantId, claims.oid);
    const follows = transaction.purpose === 'addin' || (await this.#followsCalendar(known));
    const user = await this.#upsertUser(
      tenantId,
      claims.oid,
      claims.name ?? '',
      claims.preferred_username ?? '',
      isAdmin,
      known,
    );
    if (follows) {
      await this.deps.tokens.store(user.id, tenantId, result);
      await this.deps.onSignedIn?.(user.id, tenantId);
    }
    // A sign-out from another device may have come between the token write and now: it stopped
    // sync before this sign-in started it (which then wrote nothing) and deleted the tokens.
    if ((await this.deps.users.findById(user.id))?.status === 'signed_out') throw signedOutMeanwhile();
    await this.deps.audit.append(
      { tenantId, actorId: user.id, action: 'session.signed_in', targetType: 'user', targetId: user.id },
      this.#now(),
    );
    const signedIn: SignedInUser = {
      id: user.id,
      tenantId,
      name: claims.name ?? '',
      upn: claims.preferred_username ?? '',
      isTenantAdmin: isAdmin,
    };
    if (transaction.purpose === 'browser') {
      return { user: signedIn, purpose: 'browser', sessionToken: await this.#createSession(user, 'browser') };
    }
    const handoffCode = randomToken();
    await this.deps.authFlow.insertHandoff({
      codeHash: digest(handoffCode),
      userId: user.id,
      tenantId,
      challenge: transaction.addinChallenge as string,
      expiresAt: new Date(this.#now().getTime() + HANDOFF_TTL_MS).toISOString(),
    });
    return { user: signedIn, purpose: 'addin', handoffCode };
  }

  /** The identity platform's client; IdentityError `identity_unavailable` when it cannot be reached. */
  async #oidc(purpose: 'addin' | 'browser'): Promise<MicrosoftOidcClient> {
    try {
      return await this.deps.oidc();
    } catch (error) {
      throw identityUnavailable(error, purpose) ?? error;
    }
  }

  /** The task pane trades the dialog's code and its own verifier for a session token. */
  async exchangeHandoff(
    code: string,
    verifier: string,
  ): Promise<{ token: string; expiresAt: Date; user: SignedInUser }> {
    const handoff = await this.deps.authFlow.takeHandoff(digest(code));
    if (
      !handoff ||
      new Date(handoff.expiresAt) <= this.#now() ||
      !constantTimeEqual(s256(verifier), handoff.challenge)
    ) {
      throw new IdentityError('invalid_handoff', 'the sign-in code is unknown, used, expired or not yours');
    }
    const user = await this.deps.users.findById(handoff.userId);
    if (!user || user.status === 'signed_out')
      throw new IdentityError('invalid_handoff', 'the user signed out');
    const token = await this.#createSession(user, 'addin');
    return {
      token,
      expiresAt: new Date(this.#now().getTime() + this.deps.sessionTtlHours * 3600_000),
      user: await this.describe(user),
    };
  }

  /**
   * Revokes the user's sessions and unredeemed handoff codes and deletes tokens, subscriptions and
   * the Exchange user id; with `signOutTraces`, no copy of them stays in the database's write-ahead
   * log either.
   */
  async signOut(actor: Principal): Promise<void> {
    const user = await this.deps.users.findById(actor.userId);
    if (!user) return;
    // Marked first: a sign-in completing on another device writes its tokens and starts calendar
    // sync only while the user is not marked (TokenRepository.put, SyncUserRepository.activate), so
    // neither outlives this sign-out. Sync stops before the tokens go: it deletes the mailbox's
    // Graph subscription with them.
    await this.deps.users.markSignedOut(user.id);
    await this.deps.onSignOut?.(user.id);
    await this.deps.tokens.forget(user.id);
    // With the handoff codes not yet redeemed: each names the user, and would become a session.
    await this.deps.authFlow.deleteUserSessionsAndHandoffs(user.id);
    const audit = () =>
      this.deps.audit.append(
        {
          tenantId: user.tenantId,
          actorId: user.id,
          action: 'session.signed_out',
          targetType: 'user',
          targetId: user.id,
        },
        this.#now(),
      );
    // The audit entry, written last, is the commit that empties SQLite's write-ahead log of the
    // page images holding what sign-out removed (the Exchange id, names, tokens, sync state).
    if (this.deps.signOutTraces) await this.deps.signOutTraces.forget(user.id, audit);
    else await audit();
  }

  async describe(user: UserRecord): Promise<SignedInUser> {
    const open = (column: string, value: string | null) =>
      value
        ? this.deps.cipher.decrypt({ tenantId: user.tenantId, table: 'users', column, rowId: user.id }, value)
        : '';
    return {
      id: user.id,
      tenantId: user.tenantId,
      name: await open('display_name', user.displayNameCt),
      upn: await open('upn', user.upnCt),
      isTenantAdmin: user.isAdmin,
    };
  }

  /**
   * Whether Roomlink follows (or, waiting for a new sign-in, followed) this account's calendar: it
   * signed in from the add-in and has not signed out since. Only then does a console sign-in keep its
   * tokens and calendar sync (and bring back sync that waited for it). Opening the admin console is
   * no reason to follow anyone's calendar: for an account that only opened the console, Microsoft's
   * tokens are dropped and sync never starts.
   */
  async #followsCalendar(known: UserRecord | undefined): Promise<boolean> {
    if (!known) return false;
    return known.status === 'needs_sign_in' || (await this.deps.tokens.holds(known.id));
  }

  async #upsertUser(
    tenantId: string,
    oid: string,
    name: string,
    upn: string,
    isAdmin: boolean,
    /** The user's row found by their Exchange id just before, if any. */
    existing: UserRecord | undefined,
  ): Promise<UserRecord> {
    try {
      await this.deps.tenants.ensure(tenantId, this.#now());
    } catch (error) {
      // Retention deleted the tenant after the check above: it is not made anew.
      if (error instanceof TenantOffboardedError) throw tenantOffboarded();
      throw error;
    }
    // Names are sealed for their row (its id is bound to the ciphertext).
    const signInFields = async (rowId: string): Promise<SignInFields> => {
      const seal = (column: string, value: string) =>
        this.deps.cipher.encrypt({ tenantId, table: 'users', column, rowId }, value);
      return {
        displayNameCt: await seal('display_name', name),
        upnCt: await seal('upn', upn),
        isAdmin,
        lastSignInAt: this.#now().toISOString(),
      };
    };
    if (existing) {
      const fields = await signInFields(existing.id);
      if (await this.deps.users.recordSignIn(existing.id, oid, fields)) {
        return { ...existing, ...fields, status: 'active', pendingClaims: null };
      }
      // The user signed out meanwhile: that row no longer stands for them; a new one does.
    }
    const id = randomUUID();
    const fresh: UserRecord = {
      id,
      tenantId,
      exchangeId: oid,
      settings: {},
      status: 'active',
      pendingClaims: null,
      createdAt: this.#now().toISOString(),
      ...(await signInFields(id)),
    };
    if (await this.deps.users.insert(fresh)) return fresh;
    // A concurrent first sign-in of the same user won: use its row.
    return this.#upsertUser(
      tenantId,
      oid,
      name,
      upn,
      isAdmin,
      await this.deps.users.findByExchangeId(tenantId, oid),
    );
  }

  async #createSession(user: UserRecord, kind: 'addin' | 'browser'): Promise<string> {
    const token = randomToken();
    const now = this.#now();
    await this.deps.authFlow.insertSession({
      tokenHash: digest(token),
      userId: user.id,
      tenantId: user.tenantId,
      kind,
      createdAt: now.toISOString(),
      expiresAt: new Date(
        now.getTime() + sessionHours(kind, this.deps.sessionTtlHours) * 3600_000,
      ).toISOString(),
    });
    return token;
  }
}

/** The tenant id Microsoft gives every personal Microsoft account (outlook.com, live.com). */
export const PERSONAL_ACCOUNTS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

/**
 * How long a session lasts. An add-in session lasts ROOMLINK_SESSION_TTL_HOURS (default 30 days), as
 * users expect of an Outlook add-in. A browser session opens the admin console, which reads and
 * erases everyone's data, so it lasts a working day at most: an admin whose access was withdrawn in
 * Microsoft Entra keeps no console for weeks (Roomlink learns of a withdrawn role only at sign-in).
 */
export const BROWSER_SESSION_HOURS = 12;

function sessionHours(kind: 'addin' | 'browser', addinHours: number): number {
  return kind === 'browser' ? Math.min(BROWSER_SESSION_HOURS, addinHours) : addinHours;
}
