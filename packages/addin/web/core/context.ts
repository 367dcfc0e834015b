/** What every add-in flow needs, and the two things they share: an authorised call and error wording. */
import { ApiError, type RoomlinkApi, type Session } from './api.js';
import { type Lang, t } from './i18n.js';
import { OfficeCallError, type OfficeLike } from './office.js';
import type { SessionStore } from './session.js';
import { SignInError } from './sign-in.js';

export interface AddinContext {
  readonly office: OfficeLike;
  readonly api: RoomlinkApi;
  readonly sessions: SessionStore;
  readonly lang: Lang;
  /** Opens the sign-in dialog. Absent in the event runtime, which cannot show dialogs. */
  readonly signIn?: (claims?: string) => Promise<Session>;
  readonly randomBytes: (length: number) => Uint8Array;
}

/**
 * Runs `call` with a session, signing in first when there is none, and once more (then retrying) when
 * the server says the session is no longer valid.
 */
export async function authorized<T>(ctx: AddinContext, call: () => Promise<T>): Promise<T> {
  await ensureSession(ctx);
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ApiError) || error.kind !== 'unauthorized') throw error;
    // Microsoft refused the user's sign-in: the session may still say which claims (Conditional
    // Access) the next one must satisfy, before it is let go.
    const claims = error.code === 'sign_in_required' ? await pendingClaims(ctx) : undefined;
    await ctx.sessions.clear();
    if (!ctx.signIn) throw error;
    await signInAgain(ctx, claims);
    return call();
  }
}

async function pendingClaims(ctx: AddinContext): Promise<string | undefined> {
  try {
    return (await ctx.api.me()).claims ?? undefined;
  } catch {
    // Without them the sign-in still goes ahead; the identity platform asks for what it needs.
    return undefined;
  }
}

/** Signs in (dialog) when there is no session; without a dialog, fails as unauthorised. */
export async function ensureSession(ctx: AddinContext): Promise<void> {
  if (!(await ctx.sessions.get())) await signInAgain(ctx);
}

async function signInAgain(ctx: AddinContext, claims?: string): Promise<void> {
  if (!ctx.signIn) throw new ApiError('unauthorized', 401, 'not signed in', 'unauthorized');
  await ctx.sessions.set(await ctx.signIn(claims));
}

/** One sentence for the user, in their language, saying what happened and what to do. */
export function describeError(lang: Lang, error: unknown, signInAvailable = true): string {
  if (error instanceof ApiError) {
    switch (error.kind) {
      case 'offline':
        return t(lang, 'offline');
      case 'unauthorized':
        return signInAvailable ? t(lang, 'sessionExpired') : t(lang, 'signInNeeded');
      default:
        return t(lang, 'apiError', { detail: error.detail });
    }
  }
  if (error instanceof SignInError) {
    if (error.reason === 'cancelled') return t(lang, 'signInCancelled');
    if (error.reason === 'blocked') return t(lang, 'popupBlocked');
    // Roomlink could not reach Microsoft's sign-in service (its dialog page answered 503).
    if (error.code === 'identity_unavailable') return t(lang, 'signInServiceUnavailable');
    return t(lang, 'signInFailed', { detail: error.message });
  }
  if (error instanceof OfficeCallError) return t(lang, 'outlookError', { detail: error.message });
  return t(lang, 'apiError', { detail: (error as Error)?.message ?? String(error) });
}

/** Why a step failed, as a clause to put inside a sentence that says what was and wasn't done. */
export function errorDetail(lang: Lang, error: unknown): string {
  if (error instanceof ApiError) return error.kind === 'offline' ? t(lang, 'unreachable') : error.detail;
  return (error as Error)?.message ?? String(error);
}

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
