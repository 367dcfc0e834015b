/**
 * The built join page (Vite output in dist/web), read once into memory: a handful of small files,
 * served without touching the disk again and without any path from the request reaching the file
 * system.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Language } from '../shared/language.js';

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export interface WebAssets {
  /** The join page in `language`, or null when the client was not built. */
  page(language: Language): string | null;
  asset(name: string): Asset | undefined;
  /** The built stylesheet's URL, for server-made pages (404). */
  readonly stylesheet: string | null;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

export async function loadWebAssets(root: string): Promise<WebAssets> {
  const html = await readFile(path.join(root, 'index.html'), 'utf8').catch(() => null);
  const assets = new Map<string, Asset>();
  const dir = path.join(root, 'assets');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { body: await readFile(path.join(dir, name)), type });
  }
  const stylesheet = html ? (/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/.exec(html)?.[1] ?? null) : null;
  const pages = new Map<Language, string>();
  return {
    page(language) {
      if (html === null) return null;
      let page = pages.get(language);
      if (!page) {
        page = html.replace(/<html lang="[a-z]+"/, `<html lang="${language}"`);
        pages.set(language, page);
      }
      return page;
    },
    asset: (name) => assets.get(name),
    stylesheet,
  };
}
