/**
 * Serves the built add-in (dist/web) for one deployment: the base URL is written into the pages and
 * into launchevent.js at serve time, because classic Outlook's JavaScript-only runtime has no page
 * location to derive it from and needs absolute URLs.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_URL_PLACEHOLDER } from '../files.js';
import { normalizeBaseUrl } from '../manifest/addin-id.js';

/** packages/addin/dist/web, from src/serve or dist/serve alike. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

export interface AddinFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
}

export interface AddinFileServer {
  /** `relativePath` is the part after `${baseUrl}addin/`; null when there is no such file. */
  get(relativePath: string): Promise<AddinFile | null>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
};

const SUBSTITUTED = new Set(['.html', '.js']);

export function createAddinFileServer(options: {
  readonly baseUrl: string | URL;
  readonly webDir?: string;
}): AddinFileServer {
  const baseHref = normalizeBaseUrl(options.baseUrl).href;
  const webDir = path.resolve(options.webDir ?? DEFAULT_WEB_DIR);
  return {
    async get(relativePath) {
      // Already URL-decoded by the router: decoding again would turn `%25zz` into a URIError (500)
      // and `%252e` into a dot.
      const clean = relativePath.split(/[?#]/)[0] ?? '';
      if (clean === '' || clean.includes('\0')) return null;
      const ext = path.extname(clean).toLowerCase();
      const contentType = CONTENT_TYPES[ext];
      if (!contentType) return null;
      const file = path.resolve(webDir, clean);
      if (!file.startsWith(webDir + path.sep)) return null;
      let real: string;
      try {
        real = await realpath(file);
      } catch {
        return null;
      }
      if (!real.startsWith((await realpath(webDir)) + path.sep)) return null;
      let body = await readFile(real);
      if (SUBSTITUTED.has(ext))
        body = Buffer.from(body.toString('utf8').replaceAll(BASE_URL_PLACEHOLDER, baseHref));
      // Bundles under js/ have content hashes in their names; pages, launchevent.js and icons keep
      // their names across versions, so they are revalidated.
      const cacheControl = clean.startsWith('js/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return { body, contentType, cacheControl };
    },
  };
}
