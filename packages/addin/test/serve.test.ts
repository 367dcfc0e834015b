import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddinFileServer } from '../src/serve/addin-files.js';
import { registerAddinRoutes } from '../src/serve/routes.js';

let webDir: string;

beforeAll(async () => {
  webDir = await mkdtemp(path.join(tmpdir(), 'roomlink-addin-web-'));
  await mkdir(path.join(webDir, 'js'));
  await writeFile(
    path.join(webDir, 'taskpane.html'),
    '<meta name="roomlink-base-url" content="__ROOMLINK_BASE_URL__">',
  );
  await writeFile(path.join(webDir, 'launchevent.js'), 'var BASE_URL_PLACEHOLDER = "__ROOMLINK_BASE_URL__";');
  await writeFile(path.join(webDir, 'js', 'taskpane-AbC123xy.js'), 'export {};');
  await writeFile(path.join(webDir, 'secret.txt'), 'no');
});
afterAll(async () => {
  await rm(webDir, { recursive: true, force: true });
});

describe('serving the built add-in', () => {
  it('writes the base URL into pages and launchevent.js', async () => {
    const files = createAddinFileServer({ baseUrl: 'https://r.example.org/rl', webDir });
    expect((await files.get('taskpane.html'))?.body.toString()).toBe(
      '<meta name="roomlink-base-url" content="https://r.example.org/rl/">',
    );
    expect((await files.get('launchevent.js'))?.body.toString()).toBe(
      'var BASE_URL_PLACEHOLDER = "https://r.example.org/rl/";',
    );
  });

  it('caches hashed bundles for long, revalidates the rest, and serves nothing outside the folder', async () => {
    const files = createAddinFileServer({ baseUrl: 'https://r.example.org/', webDir });
    expect((await files.get('js/taskpane-AbC123xy.js'))?.cacheControl).toContain('immutable');
    expect((await files.get('taskpane.html'))?.cacheControl).toBe('no-cache');
    expect(await files.get('../package.json')).toBeNull();
    expect(await files.get('secret.txt')).toBeNull(); // not a type the add-in serves
    expect(await files.get('missing.html')).toBeNull();
  });

  it('registers the manifest, the files and the well-known file for classic Outlook', async () => {
    const app = Fastify();
    await registerAddinRoutes(app, { baseUrl: 'https://r.example.org/', version: '1.2.3', webDir });
    const manifest = await app.inject('/addin/manifest.xml');
    expect(manifest.headers['content-type']).toContain('application/xml');
    expect(manifest.body).toContain('<Version>1.2.3.0</Version>');
    const page = await app.inject('/addin/taskpane.html');
    expect(page.body).toContain('https://r.example.org/');
    expect(page.headers['content-security-policy']).toBe("object-src 'none'; base-uri 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = await app.inject('/addin/launchevent.js');
    expect(script.headers['content-type']).toContain('text/javascript');
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect((await app.inject('/addin/nope.html')).statusCode).toBe(404);
    // The router decodes the path once; a second decoding made `%25zz` a URIError (500).
    expect((await app.inject('/addin/%25zz.html')).statusCode).toBe(404);
    expect((await app.inject('/addin/taskpane%2Ehtml')).body).toContain('https://r.example.org/');
    expect((await app.inject('/.well-known/microsoft-officeaddins-allowed.json')).json()).toEqual({
      allowed: ['https://r.example.org/addin/launchevent.js'],
    });
    await app.close();
  });
});
