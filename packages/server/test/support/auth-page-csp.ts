/**
 * Reading the sign-in pages' Content-Security-Policy and the headers that go with it
 * (auth-pages-csp.test.ts, and the tests of the pages' other answers).
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';

export function directives(csp: string | null): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of (csp ?? '').split(';')) {
    const [name = '', ...value] = part.trim().split(/\s+/);
    if (name) map.set(name, value.join(' '));
  }
  return map;
}

export function styleHash(html: string): string {
  const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
  return `'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`;
}

export function expectCommon(response: Response, html: string, csp: Map<string, string>) {
  expect(csp.get('object-src')).toBe("'none'");
  expect(csp.get('frame-ancestors')).toBe("'none'");
  expect(csp.get('base-uri')).toBe("'none'");
  expect(csp.get('form-action')).toBe("'none'");
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('cache-control')).toBe('no-store');
  // No style but the hashed sheet: no style attribute either.
  expect(html).not.toMatch(/\sstyle=/);
}

/**
 * The dialog page's policy: only Office.js and the page's one inline script run, by this answer's
 * nonce (and what they load themselves). Returns the nonce.
 */
export function expectDialogPolicy(response: Response, html: string): string {
  const csp = directives(response.headers.get('content-security-policy'));
  expectCommon(response, html, csp);
  expect(csp.has('default-src')).toBe(false);
  const script = csp.get('script-src') ?? '';
  const nonce =
    /^'nonce-([A-Za-z0-9+/]{22}==)' 'strict-dynamic' https:\/\/appsforoffice\.microsoft\.com$/.exec(
      script,
    )?.[1];
  expect(nonce, script).toBeDefined();
  expect(html.match(/<script\b[^>]*>/g) ?? []).toEqual([
    `<script nonce="${nonce}" src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js">`,
    `<script nonce="${nonce}">`,
  ]);
  return nonce as string;
}

/** The console's and admin consent's pages: no script at all, nothing loads but the hashed style sheet. */
export function expectScriptlessPolicy(response: Response, html: string): void {
  const csp = directives(response.headers.get('content-security-policy'));
  expectCommon(response, html, csp);
  expect(csp.get('default-src')).toBe("'none'");
  expect(csp.get('style-src')).toBe(styleHash(html));
  expect(csp.has('script-src')).toBe(false);
  expect(html).not.toContain('<script');
}
