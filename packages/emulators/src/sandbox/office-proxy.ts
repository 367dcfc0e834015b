/**
 * Serves the add-in's own files to the sandbox with one change: the <script> that loads office.js from
 * Microsoft's CDN (as Outlook requires of every add-in page) loads the sandbox's stand-in instead.
 * Everything else, including the add-in's URLs and base URL, is passed through as the server sent it.
 */

export const OFFICE_JS_CDN =
  /^(?:https?:)?\/\/appsforoffice\.microsoft\.com\/lib\/1(?:\.1)?\/hosted\/office(?:\.debug)?\.js$/i;

const SCRIPT_TAG = /<script\b([^>]*?)\bsrc\s*=\s*(["']?)([^"'\s>]+)\2([^>]*)>/gi;

export function rewriteOfficeScript(html: string, standInUrl: string): string {
  return html.replace(SCRIPT_TAG, (tag, before: string, quote: string, src: string, after: string) =>
    OFFICE_JS_CDN.test(src)
      ? `<script${before}src=${quote || '"'}${standInUrl}${quote || '"'}${after}>`
      : tag,
  );
}

export interface ProxiedFile {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** Fetches `rest` under `${addinBaseUrl}addin/`; refuses anything that would leave that folder. */
export async function fetchAddinFile(
  fetchFn: typeof fetch,
  addinFolder: URL,
  rest: string,
  standInUrl: string,
): Promise<ProxiedFile | null> {
  const target = new URL(rest, addinFolder);
  if (target.origin !== addinFolder.origin || !target.pathname.startsWith(addinFolder.pathname)) return null;
  const response = await fetchFn(target, { redirect: 'manual' });
  const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
  let body = Buffer.from(await response.arrayBuffer());
  if (/^text\/html\b/i.test(contentType))
    body = Buffer.from(rewriteOfficeScript(body.toString('utf8'), standInUrl));
  return { status: response.status, contentType, body };
}
