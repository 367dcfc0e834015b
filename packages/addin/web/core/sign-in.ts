/**
 * Sign-in through an Office dialog (Mailbox 1.4 / DialogApi): the Microsoft sign-in page cannot run in
 * the task pane's iframe. The task pane keeps a PKCE-style verifier; the dialog only ever carries a
 * one-time code bound to its hash, which the task pane trades for a Roomlink session.
 */
import type { Language, RoomlinkApi, Session } from './api.js';
import { asciiBytes, base64url } from './encoding.js';
import { DIALOG_EVENTS, type DialogLike, type OfficeLike, officeCall } from './office.js';

export interface SignInDeps {
  readonly office: OfficeLike;
  readonly api: RoomlinkApi;
  readonly lang: Language;
  readonly randomBytes: (length: number) => Uint8Array;
  readonly sha256: (data: Uint8Array) => Promise<Uint8Array>;
}

export type SignInFailure = 'cancelled' | 'blocked' | 'refused' | 'unavailable';

export class SignInError extends Error {
  override readonly name = 'SignInError';
  constructor(
    readonly reason: SignInFailure,
    message: string,
    /** The code Roomlink's sign-in page sent (`roomlink-signin-error`'s `error`), when it sent one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Office dialog error codes (Office.context.ui.displayDialogAsync). */
const DIALOG_CLOSED_BY_USER = 12006;
/** 12009: the user declined Office's prompt to open it; 12011: the browser blocks pop-ups (e.g. Safari). */
const POPUP_BLOCKED = new Set([12009, 12011]);

export async function signInWithDialog(deps: SignInDeps, claims?: string): Promise<Session> {
  const ui = deps.office.context.ui;
  if (!ui) throw new SignInError('unavailable', 'this Outlook cannot open the sign-in window here');
  const verifier = base64url(deps.randomBytes(32));
  const challenge = base64url(await deps.sha256(asciiBytes(verifier)));
  let url = `${deps.api.baseUrl}auth/addin/start?challenge=${challenge}&lang=${deps.lang}`;
  if (claims) url += `&claims=${encodeURIComponent(claims)}`;
  // Microsoft then offers the mailbox's own account: signing in as another one would create meetings
  // that calendar sync (which watches the signed-in user's calendar) never follows.
  const mailbox = deps.office.context.mailbox.userProfile?.emailAddress;
  if (mailbox) url += `&login_hint=${encodeURIComponent(mailbox)}`;

  let dialog: DialogLike;
  try {
    dialog = await officeCall<DialogLike>((cb) => ui.displayDialogAsync(url, { height: 60, width: 30 }, cb));
  } catch (error) {
    const code = (error as { code?: number }).code;
    throw new SignInError(
      code !== undefined && POPUP_BLOCKED.has(code) ? 'blocked' : 'unavailable',
      (error as Error).message,
    );
  }

  const expectedOrigin = originOf(deps.api.baseUrl);
  const code = await new Promise<string>((resolve, reject) => {
    dialog.addEventHandler(DIALOG_EVENTS.message, (args) => {
      // The dialog can be navigated anywhere (Microsoft's pages, a phishing redirect): only a page on
      // Roomlink's own origin may hand over a code. Clients without DialogOrigin 1.1 give no origin.
      if (args.origin !== undefined && (originOf(args.origin) || '-') !== expectedOrigin) return;
      let message: { type?: unknown; code?: unknown; error?: unknown; description?: unknown };
      try {
        message = JSON.parse(args.message ?? '');
      } catch {
        return; // not ours
      }
      if (message.type === 'roomlink-signin' && typeof message.code === 'string') {
        dialog.close();
        resolve(message.code);
      } else if (message.type === 'roomlink-signin-error') {
        dialog.close();
        const code = typeof message.error === 'string' ? message.error : undefined;
        const description =
          typeof message.description === 'string' ? message.description : String(message.error);
        // Microsoft's identity platform could not be reached: nothing was refused.
        reject(
          new SignInError(code === 'identity_unavailable' ? 'unavailable' : 'refused', description, code),
        );
      }
    });
    dialog.addEventHandler(DIALOG_EVENTS.event, (args) => {
      if (args.error === DIALOG_CLOSED_BY_USER) {
        reject(new SignInError('cancelled', 'the sign-in window was closed'));
        return;
      }
      // A page that could not load (12002) or was not https (12003) leaves the window open: closed
      // here, or the next sign-in could not open one (12007, a dialog is already open).
      try {
        dialog.close();
      } catch {
        // Already gone.
      }
      reject(new SignInError('unavailable', `the sign-in window failed (${args.error})`));
    });
  });
  return deps.api.createSession(code, verifier);
}

/** `scheme://host[:port]`, lower-cased, default port dropped; '' when it is not an http(s) URL. */
export function originOf(url: string): string {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? '' : origin.toLowerCase();
  } catch {
    return '';
  }
}
