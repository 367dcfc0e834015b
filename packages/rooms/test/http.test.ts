/** The join page, its files and the public room status over real HTTP. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRooms } from '../src/server/plugin.js';
import { MapDirectory, newSlug, startServer, type TestServer } from './helpers.js';

const PAGE = `<!doctype html>
<html lang="en">
<head><script type="module" crossorigin src="/rooms/assets/index-abc123.js"></script>
<link rel="stylesheet" crossorigin href="/rooms/assets/index-def456.css"></head>
<body><main id="main"></main></body></html>`;

const directory = new MapDirectory();
let webRoot: string;
let emptyRoot: string;
let server: TestServer;
let unbuilt: TestServer;
let published: TestServer;

beforeAll(async () => {
  webRoot = await mkdtemp(path.join(tmpdir(), 'rooms-web-'));
  emptyRoot = await mkdtemp(path.join(tmpdir(), 'rooms-empty-'));
  await mkdir(path.join(webRoot, 'assets'));
  await writeFile(path.join(webRoot, 'index.html'), PAGE);
  await writeFile(path.join(webRoot, 'assets', 'index-abc123.js'), 'console.log(1);');
  await writeFile(path.join(webRoot, 'assets', 'index-def456.css'), 'body{}');
  await writeFile(path.join(webRoot, 'assets', 'notes.txt'), 'not served');
  const options = { directory, webRoot, openBeforeMinutes: 10, closeAfterMinutes: 15 };
  server = await startServer(options);
  unbuilt = await startServer({ ...options, webRoot: emptyRoot });
  published = await startServer({ ...options, publicUrl: 'https://Meet.Example.org:443/' });
});

afterAll(async () => {
  await server.close();
  await unbuilt.close();
  await published.close();
  await rm(webRoot, { recursive: true, force: true });
  await rm(emptyRoot, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}, target = server) =>
  fetch(`${target.baseUrl}${path}`, { headers });

describe('GET /api/v1/rooms/:slug', () => {
  it('says an open room is open, whether a guest PIN is needed and whether there is a lobby — nothing else', async () => {
    const slug = directory.add({ guestPin: '771204', lobby: true });
    const response = await get(`/api/v1/rooms/${slug}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ state: 'open', guestPinRequired: true, lobby: true });

    const plain = directory.add();
    expect(await (await get(`/api/v1/rooms/${plain}`)).json()).toEqual({
      state: 'open',
      guestPinRequired: false,
      lobby: false,
    });
  });

  it('gives the opening time of a room that is not open yet', async () => {
    const startsAt = new Date(Date.now() + 3600_000);
    const slug = directory.add({ startsAt, endsAt: new Date(startsAt.getTime() + 3600_000) });
    expect(await (await get(`/api/v1/rooms/${slug}`)).json()).toEqual({
      state: 'not_yet_open',
      opensAt: new Date(startsAt.getTime() - 10 * 60_000).toISOString(),
      guestPinRequired: false,
      lobby: false,
    });
  });

  it("gives a cancelled occurrence's next opening, never a time already past", async () => {
    const now = Date.now();
    // A series at the time of one of its cancelled occurrences: closed for another 90 minutes.
    const slug = directory.add({
      startsAt: new Date(now - 7 * 24 * 3600_000),
      endsAt: new Date(now + 60 * 24 * 3600_000),
      isOpenAt: (at) => at.getTime() >= now + 90 * 60_000,
    });
    const status = (await (await get(`/api/v1/rooms/${slug}`)).json()) as { state: string; opensAt: string };
    expect(status.state).toBe('not_yet_open');
    expect(Date.parse(status.opensAt)).toBe(now + 90 * 60_000);
  });

  it('says only "closed" or "cancelled" for rooms that cannot be joined', async () => {
    const now = Date.now();
    const closed = directory.add({ startsAt: new Date(now - 7200_000), endsAt: new Date(now - 16 * 60_000) });
    const cancelled = directory.add({ status: 'cancelled', guestPin: '1234' });
    expect(await (await get(`/api/v1/rooms/${closed}`)).json()).toEqual({ state: 'closed' });
    expect(await (await get(`/api/v1/rooms/${cancelled}`)).json()).toEqual({ state: 'cancelled' });
    // Still inside the grace period: open.
    const grace = directory.add({ startsAt: new Date(now - 7200_000), endsAt: new Date(now - 14 * 60_000) });
    expect(((await (await get(`/api/v1/rooms/${grace}`)).json()) as { state: string }).state).toBe('open');
  });

  it('answers 404 problem+json for unknown or malformed slugs', async () => {
    for (const slug of [newSlug(), 'x', '..%2F..%2Fetc']) {
      const response = await get(`/api/v1/rooms/${slug}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ status: 404, code: 'not_found' });
    }
  });
});

describe('GET /m/:slug', () => {
  it('serves the join page with protective headers', async () => {
    const slug = directory.add();
    const response = await get(`/m/${slug}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('permissions-policy')).toContain('camera=(self)');
    expect(await response.text()).toContain('/rooms/assets/index-abc123.js');
  });

  it('names the configured public origin, never the Host header, in connect-src', async () => {
    const connectSrc = async (target: TestServer, host: string) => {
      const slug = directory.add();
      const response = await target.app.inject({ method: 'GET', url: `/m/${slug}`, headers: { host } });
      expect(response.statusCode).toBe(200);
      const csp = String(response.headers['content-security-policy']);
      return csp.split('; ').find((directive) => directive.startsWith('connect-src '));
    };
    // Whatever the client claims to be talking to, the policy is the same.
    for (const host of ['evil.example', 'evil.example:443', 'meet.example.org', 'a;script-src *']) {
      expect(await connectSrc(published, host), host).toBe("connect-src 'self' wss://meet.example.org");
      expect(await connectSrc(server, host), host).toBe("connect-src 'self'");
    }
    const plain = await startServer({ directory, webRoot, publicUrl: 'http://127.0.0.1:3000' });
    try {
      expect(await connectSrc(plain, 'evil.example')).toBe("connect-src 'self' ws://127.0.0.1:3000");
    } finally {
      await plain.close();
    }
    for (const publicUrl of ['meet.example.org', 'ftp://meet.example.org', 'https://a;b.example.org']) {
      expect(() => createRooms({ directory, publicUrl }), publicUrl).toThrow(/publicUrl/);
    }
  });

  it('picks the language from ?lang, then Accept-Language, then the room', async () => {
    const french = directory.add({ language: 'fr' });
    const lang = async (path: string, headers: Record<string, string> = {}) =>
      /<html lang="([a-z]+)"/.exec(await (await get(path, headers)).text())?.[1];
    expect(await lang(`/m/${french}`)).toBe('fr');
    expect(await lang(`/m/${french}`, { 'accept-language': 'en-GB,en;q=0.8' })).toBe('en');
    expect(await lang(`/m/${french}`, { 'accept-language': 'de-DE' })).toBe('fr');
    expect(await lang(`/m/${french}?lang=en`, { 'accept-language': 'fr' })).toBe('en');
    const english = directory.add();
    expect(await lang(`/m/${english}`, { 'accept-language': 'fr-CA, en;q=0.5' })).toBe('fr');
  });

  it('takes a repeated or malformed ?lang as no choice, with the page headers', async () => {
    const french = directory.add({ language: 'fr' });
    for (const query of ['?lang=en&lang=en', '?lang[]=en', '?lang=en&lang=fr&lang=de']) {
      const response = await get(`/m/${french}${query}`, { 'accept-language': 'de' });
      expect(response.status, query).toBe(200);
      expect(response.headers.get('content-security-policy'), query).toContain("frame-ancestors 'none'");
      expect(response.headers.get('cache-control'), query).toBe('no-store');
      // No single ?lang: Accept-Language (German, unsupported), then the room's French.
      expect(await response.text(), query).toContain('<html lang="fr">');
    }
  });

  it('answers an unknown room with a localized 404 page', async () => {
    const response = await get(`/m/${newSlug()}`, { 'accept-language': 'fr' });
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('Réunion introuvable');
    expect(html).toContain('/rooms/assets/index-def456.css');
    expect((await get('/m/bad')).status).toBe(404);
  });

  it('answers 503 with an explanation when the client was not built', async () => {
    const slug = directory.add();
    const response = await get(`/m/${slug}`, {}, unbuilt);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('Meeting page unavailable');
  });
});

describe('GET /rooms/assets/*', () => {
  it('serves built files as immutable with their type', async () => {
    const js = await get('/rooms/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log(1);');
    expect((await get('/rooms/assets/index-def456.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('serves nothing else', async () => {
    for (const file of ['notes.txt', 'missing.js', '..%2Findex.html', '../index.html']) {
      expect((await get(`/rooms/assets/${file}`)).status).toBe(404);
    }
  });
});
