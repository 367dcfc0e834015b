/**
 * "Join as host": a fresh host link from Roomlink, opened in the user's browser. The link carries a
 * single-use ticket that admits its holder as host, so it lives in memory only: never logged, never
 * stored, and shown to the user only when no window could be opened for it.
 */
import type { HostLink } from './api.js';
import { type AddinContext, authorized } from './context.js';
import type { OfficeLike } from './office.js';
import { isWebAddress } from './pane-view.js';

/** What `window.open` returns, as far as the add-in uses it. */
export interface WindowLike {
  opener: unknown;
}

export type OpenWindow = (url: string) => WindowLike | null;

/**
 * `office`: Office's own browser window (OpenBrowserWindowApi 1.1: classic Outlook on Windows, Outlook
 * on Mac), whose task pane webviews may not open windows at all. `window`: window.open everywhere else
 * (Outlook on the web, new Outlook), where Office does not offer the API.
 */
export type Opener = 'office' | 'window';

export function chooseOpener(office: OfficeLike): Opener {
  const { requirements, ui } = office.context;
  const supported = requirements?.isSetSupported('OpenBrowserWindowApi', '1.1') ?? false;
  return supported && typeof ui?.openBrowserWindow === 'function' ? 'office' : 'window';
}

/**
 * Opens `url` in the browser; false when that visibly failed (a popup blocker: the request came back
 * after an await, which can cost window.open the click's user activation).
 */
export function openInBrowser(url: string, office: OfficeLike, openWindow: OpenWindow): boolean {
  if (chooseOpener(office) === 'office' && openWithOffice(url, office)) return true;
  let opened: WindowLike | null;
  try {
    opened = openWindow(url);
  } catch {
    return false;
  }
  if (!opened) return false;
  // Not the 'noopener' feature: with it window.open returns null even on success, which would hide a
  // blocked popup. The join page has no use for the pane, so the tie is cut here instead.
  try {
    opened.opener = null;
  } catch {
    // A window of another origin may refuse; it cannot reach the pane through a cross-origin opener.
  }
  return true;
}

function openWithOffice(url: string, office: OfficeLike): boolean {
  try {
    office.context.ui?.openBrowserWindow?.(url);
    return true;
  } catch {
    return false;
  }
}

export type JoinAsHostResult =
  | { readonly status: 'opened' }
  /** No window could be opened: the pane shows `link` for the user to click. */
  | { readonly status: 'not-opened'; readonly link: HostLink };

/**
 * Asks Roomlink for a fresh host link for the item's meeting (signing in if needed) and opens it.
 * `item.itemKey`: its idempotency key, if any (see ITEM_KEY_HEADER in api.ts).
 */
export async function joinAsHost(
  ctx: AddinContext,
  item: { readonly meetingId: string; readonly itemKey: string | null },
  openWindow: OpenWindow,
): Promise<JoinAsHostResult> {
  const link = await authorized(ctx, () => ctx.api.createHostLink(item.meetingId, item.itemKey));
  // It becomes an href and a window's address: nothing but a web address may (no javascript:).
  if (!isWebAddress(link?.url)) throw new Error('Roomlink answered without a usable host link');
  const opening = { ...link, url: inLanguage(link.url, ctx.lang) };
  return openInBrowser(opening.url, ctx.office, openWindow)
    ? { status: 'opened' }
    : { status: 'not-opened', link: opening };
}

/**
 * The join page in the pane's language, so that the host need not switch: the page's own language
 * switch reloads it (carrying the ticket over in the fragment while it is unspent, and the host's
 * rejoin token in the tab once in), which costs the host a reload. The fragment (the ticket) is kept
 * as is.
 */
export function inLanguage(url: string, lang: string): string {
  const localized = new URL(url);
  localized.searchParams.set('lang', lang);
  return localized.toString();
}
