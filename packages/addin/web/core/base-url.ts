/** The Roomlink base URL, written into the served files by the server (see src/serve/addin-files.ts). */
/**
 * `configured` is the substituted value; when the files were served without substitution (a plain
 * static server), the base is derived from the page's own address: pages live at `${base}addin/`.
 */
export function resolveBaseUrl(configured: string | null | undefined, pageHref?: string): string {
  // The unsubstituted placeholder is not a URL, so it falls through without being compared to.
  if (configured && /^https?:\/\//.test(configured)) {
    return configured.endsWith('/') ? configured : `${configured}/`;
  }
  if (pageHref) {
    const addin = pageHref.replace(/[?#].*$/, '').replace(/[^/]*$/, '');
    if (addin.endsWith('/addin/')) return addin.slice(0, -'addin/'.length);
    return addin;
  }
  throw new Error('Roomlink base URL is not configured');
}
