/**
 * The site icon: every page links it and the server answers it, so no page logs a 404 for
 * /favicon.ico in the browser console; it stays out of the OpenAPI document.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePage, forbiddenPage } from '../src/admin/web/shell.js';
import { FAVICON_PATH } from '../src/http/routes/favicon.js';
import { type AdminTestApp, startAdminApp } from './support/admin.js';

const ICON_LINK = `<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml"`;

describe('site icon', () => {
  let t: AdminTestApp;
  beforeAll(async () => {
    t = await startAdminApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('is served at /favicon.ico and /favicon.svg as an image, cached, outside the OpenAPI document', async () => {
    for (const url of ['/favicon.ico', FAVICON_PATH]) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/^image\//);
      expect(response.headers['cache-control'], url).toMatch(/max-age=\d{5,}/);
      expect(response.body, url).toMatch(/^<svg /);
    }
    const openapi = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(openapi.body).not.toContain('favicon');
  });

  it('is linked from the admin pages and the join page', async () => {
    const signIn = await t.app.inject({ method: 'GET', url: '/admin' });
    expect(signIn.body).toContain(ICON_LINK);
    expect(consolePage()).toContain(ICON_LINK);
    expect(forbiddenPage()).toContain(ICON_LINK);
    // The join page's source: Vite keeps an absolute link as it is (the server, not the room
    // plugin, serves the icon).
    const joinPage = await readFile(new URL('../../rooms/src/web/index.html', import.meta.url), 'utf8');
    expect(joinPage).toContain(ICON_LINK);
  });
});
