/**
 * The emulator's memory of what it granted: one-time authorization codes, refresh tokens, per-user
 * revocations and Conditional Access claim requirements. Values are random and opaque, like
 * Microsoft's; nothing is persisted.
 */
import { randomBytes } from 'node:crypto';
import type { Scopes } from './scopes.js';

/** A sign-in: codes and every refresh token rotated from them share it. */
export interface Session {
  /** Increasing number: a revocation covers the sessions numbered up to it. */
  readonly seq: number;
  readonly oid: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly scopes: Scopes;
  /** Client capabilities asked for at sign-in (xms_cc). */
  readonly capabilities: readonly string[];
  readonly authContexts: readonly string[];
  /** Claims a Conditional Access requirement still asks for (refresh fails with them). */
  readonly pendingClaims: string | undefined;
}

export interface AuthorizationCode {
  readonly session: Session;
  /** The tenant segment of the authorize request (a code is redeemed against the same authority). */
  readonly authoritySegment: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly nonce: string | undefined;
  readonly expiresAt: number;
  redeemed: boolean;
}

export interface RefreshGrant {
  readonly session: Session;
  readonly issuedAt: number;
}

/** Microsoft's documented code lifetime is about 10 minutes; refresh tokens die after 90 days unused. */
export const CODE_LIFETIME_MS = 10 * 60 * 1000;
export const REFRESH_INACTIVITY_MS = 90 * 24 * 60 * 60 * 1000;

export function opaqueToken(bytes = 48): string {
  return randomBytes(bytes).toString('base64url');
}

export class Grants {
  private seq = 0;
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  /** oid → highest session seq revoked. */
  private readonly revokedUpTo = new Map<string, number>();
  /** oid → claims a new sign-in must ask for. */
  private readonly requirements = new Map<string, string>();

  newSession(fields: Omit<Session, 'seq'>): Session {
    this.seq += 1;
    return { ...fields, seq: this.seq };
  }

  issueCode(code: Omit<AuthorizationCode, 'redeemed'>, now: number): string {
    this.purgeCodes(now);
    const value = opaqueToken();
    this.codes.set(value, { ...code, redeemed: false });
    return value;
  }

  findCode(value: string): AuthorizationCode | undefined {
    return this.codes.get(value);
  }

  issueRefreshToken(session: Session, now: number): string {
    const value = `0.${opaqueToken(64)}`;
    this.refreshTokens.set(value, { session, issuedAt: now });
    return value;
  }

  findRefreshToken(value: string): RefreshGrant | undefined {
    return this.refreshTokens.get(value);
  }

  revoke(oid: string): void {
    this.revokedUpTo.set(oid, this.seq);
  }

  isRevoked(session: Session): boolean {
    return session.seq <= (this.revokedUpTo.get(session.oid) ?? 0);
  }

  requireClaims(oid: string, claimsJson: string): void {
    this.requirements.set(oid, claimsJson);
    // Grants issued so far lack the claims: they keep failing even after a later compliant sign-in.
    for (const [value, grant] of this.refreshTokens) {
      if (grant.session.oid === oid) {
        this.refreshTokens.set(value, { ...grant, session: { ...grant.session, pendingClaims: claimsJson } });
      }
    }
    for (const [value, code] of this.codes) {
      if (code.session.oid === oid) {
        this.codes.set(value, { ...code, session: { ...code.session, pendingClaims: claimsJson } });
      }
    }
  }

  requirement(oid: string): string | undefined {
    return this.requirements.get(oid);
  }

  satisfyRequirement(oid: string): void {
    this.requirements.delete(oid);
  }

  private purgeCodes(now: number): void {
    for (const [value, code] of this.codes) {
      if (code.expiresAt + CODE_LIFETIME_MS < now) this.codes.delete(value);
    }
  }
}
