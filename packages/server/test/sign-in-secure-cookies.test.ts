/**
 * With an https base URL every cookie of Roomlink's is `__Host-` prefixed (Secure, Path=/, no
 * Domain), so that no sibling subdomain can plant one (session fixation, login CSRF): the flows'
 * cookies (login, consent, their languages) and the console's session, as they are set, read and
 * cleared. A cookie planted under the unprefixed name is never read. Over real HTTP against the
 * identity emulator, the app's https base URL (https://roomlink.test) routed to its port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPlugin } from '../src/admin/plugin.js';
import { randomToken, s256 } from '../src/identity/secrets.js';
import { createRetention } from '../src/retention/index.js';
import { SILENT } from './support/admin.js';
import { dialogMessage, type IdentityTestApp, startIdentityApp } from './support/identity.js';

const BASE = 'https://roomlink.test';
const ADMIN = 'megan@contoso.example';

let t: IdentityTestApp;
/** Where https://roomlink.test is listening: the app's own port, over plain HTTP. */
let local = '';
const route = (url: string) => (url.startsWith(`${BASE}/`) ? local + url.slice(BASE.length) : url);

beforeAll(async () => {
  t = await startIdentityApp('sqlite', {
    env: { ROOMLINK_BASE_URL: `${BASE}/` },
    // Roomlink's own calls to the identity emulator (discovery, token endpoint, keys) reach it too.
    fetch: (input, init) =>
      fetch(route(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url), init),
    plugins: (runtime) => [adminPlugin({ runtime, retention: createRetention(runtime, { logger: SILENT }) })],
  });
  local = t.url;
});
afterAll(async () => t?.close());

interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names (lower case) to their values ('' for flags). */
  readonly attributes: ReadonlyMap<string, string>;
  readonly raw: string;
}

function parseSetCookie(raw: string): SetCookie {
  const [pair = '', ...rest] = raw.split(';');
  const [name = '', ...value] = pair.split('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [key = '', ...v] = part.trim().split('=');
    attributes.set(key.toLowerCase(), v.join('='));
  }
  return { name: name.trim(), value: value.join('='), attributes, raw };
}

interface Hop {
  readonly url: string;
  readonly response: Response;
  readonly setCookies: readonly SetCookie[];
}

/**
 * A browser on https://roomlink.test: follows redirects, keeps the jar's cookies as it is told (a
 * cleared cookie is dropped) and sends them all back, as a browser sends a host's cookies. `stopAt`
 * ends the walk before a URL; every hop's Set-Cookie headers are kept.
 */
async function walk(
  start: string,
  jar: Map<string, string>,
  options: { stopAt?: (url: URL) => boolean; headers?: Record<string, string> } = {},
): Promise<{ hops: Hop[]; last: Hop; next?: URL }> {
  const hops: Hop[] = [];
  let url = start;
  for (let n = 0; n < 10; n++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(route(url), {
      redirect: 'manual',
      headers: { ...(options.headers ?? {}), ...(cookie ? { cookie } : {}) },
    });
    const setCookies = response.headers.getSetCookie().map(parseSetCookie);
    for (const c of setCookies) {
      if (c.value === '' || c.attributes.get('max-age') === '0') jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    const hop = { url, response, setCookies };
    hops.push(hop);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (options.stopAt?.(next)) return { hops, last: hop, next };
      url = next.toString();
      continue;
    }
    return { hops, last: hop };
  }
  throw new Error('too many redirects');
}

/** A flow started at `path`, signed in (or consented) as `upn` at the emulator, stopped before Roomlink's answer. */
async function toAnswer(path: string, upn: string, answer: string, jar = new Map<string, string>()) {
  const atMicrosoft = await walk(`${BASE}${path}`, jar, {
    stopAt: (url) => url.pathname.endsWith('/authorize') || url.pathname.endsWith('/adminconsent'),
  });
  const named = new URL(atMicrosoft.next as URL);
  named.searchParams.set('login_hint', upn);
  const back = await walk(named.toString(), jar, { stopAt: (url) => url.pathname === answer });
  return { jar, start: atMicrosoft.hops[0] as Hop, answer: back.next as URL };
}

function expectHostCookie(c: SetCookie | undefined, sameSite: 'Lax' | 'Strict') {
  expect(c, 'cookie set').toBeDefined();
  const cookie = c as SetCookie;
  expect(cookie.name.startsWith('__Host-'), cookie.raw).toBe(true);
  expect(cookie.attributes.has('secure'), cookie.raw).toBe(true);
  expect(cookie.attributes.get('path'), cookie.raw).toBe('/');
  expect(cookie.attributes.has('domain'), cookie.raw).toBe(false);
  expect(cookie.attributes.has('httponly'), cookie.raw).toBe(true);
  expect(cookie.attributes.get('samesite'), cookie.raw).toBe(sameSite);
}

const named = (hop: Hop, name: string) => hop.setCookies.find((c) => c.name === name);

/** Every cookie Roomlink sent over a walk (the emulator's own, on its /_emulator path, aside). */
const roomlinkSetCookies = (hops: readonly Hop[]) =>
  hops.filter((h) => !new URL(h.url).pathname.startsWith('/_emulator/')).flatMap((h) => h.setCookies);

describe('cookies with an https base URL', () => {
  it('are all __Host- cookies: Secure, Path=/, no Domain, as the flows set and clear them', async () => {
    const flow = await toAnswer('/auth/signin?lang=fr', ADMIN, '/auth/callback');
    expectHostCookie(named(flow.start, '__Host-roomlink_login'), 'Lax');
    expectHostCookie(named(flow.start, '__Host-roomlink_login_lang'), 'Lax');
    expect(named(flow.start, '__Host-roomlink_login')?.attributes.get('max-age')).toBe('600');

    const done = await walk(flow.answer.toString(), flow.jar);
    expect(done.last.response.status).toBe(200);
    const session = named(done.last, '__Host-roomlink_session');
    expectHostCookie(session, 'Strict');
    expect(session?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The flow's cookies are cleared under the names and attributes they were set with.
    for (const name of ['__Host-roomlink_login', '__Host-roomlink_login_lang']) {
      expectHostCookie(named(done.last, name), 'Lax');
      expect(named(done.last, name)?.attributes.get('max-age')).toBe('0');
    }

    const consent = await toAnswer('/auth/admin-consent', ADMIN, '/auth/admin-consent/done');
    expectHostCookie(named(consent.start, '__Host-roomlink_consent'), 'Lax');
    // Started without ?lang: the language cookie of an earlier flow is cleared.
    expectHostCookie(named(consent.start, '__Host-roomlink_consent_lang'), 'Lax');
    const approved = await walk(consent.answer.toString(), consent.jar);
    expect(approved.last.response.status).toBe(200);
    expect(await approved.last.response.text()).toContain('Roomlink is approved for your organisation');

    const dialog = await toAnswer(
      `/auth/addin/start?challenge=${s256(randomToken(32))}`,
      ADMIN,
      '/auth/callback',
    );
    const page = await walk(dialog.answer.toString(), dialog.jar);
    expect(dialogMessage(await page.last.response.text()).type).toBe('roomlink-signin');

    // Nothing Roomlink sent was without the prefix, Secure or Path=/.
    const all = roomlinkSetCookies([
      flow.start,
      ...done.hops,
      consent.start,
      ...approved.hops,
      dialog.start,
      ...page.hops,
    ]);
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const c of all) {
      expect(c.name.startsWith('__Host-'), c.raw).toBe(true);
      expect(c.attributes.has('secure'), c.raw).toBe(true);
      expect(c.attributes.get('path'), c.raw).toBe('/');
      expect(c.attributes.has('domain'), c.raw).toBe(false);
    }
  });

  it('ignores a login or consent cookie planted under the unprefixed name (login CSRF)', async () => {
    // A sign-in the planter started in their own browser, its cookie planted in the victim's.
    const flow = await toAnswer('/auth/signin', ADMIN, '/auth/callback');
    const value = flow.jar.get('__Host-roomlink_login') as string;
    const planted = new Map([['roomlink_login', value]]);
    const refused = await walk(flow.answer.toString(), planted);
    expect(refused.last.response.status).toBe(400);
    expect(await refused.last.response.text()).toContain('not started in this browser');
    expect(named(refused.last, '__Host-roomlink_session')).toBeUndefined();
    // The transaction is still there for the browser that holds the real cookie.
    const accepted = await walk(flow.answer.toString(), flow.jar);
    expect(accepted.last.response.status).toBe(200);
    expect(named(accepted.last, '__Host-roomlink_session')).toBeDefined();

    const consent = await toAnswer('/auth/admin-consent', ADMIN, '/auth/admin-consent/done');
    const state = consent.jar.get('__Host-roomlink_consent') as string;
    const unexpected = await walk(consent.answer.toString(), new Map([['roomlink_consent', state]]));
    expect(unexpected.last.response.status).toBe(400);
    expect(await unexpected.last.response.text()).toContain('This answer was not expected');
  });

  it('ignores a language cookie planted under the unprefixed name', async () => {
    const flow = await toAnswer('/auth/signin', ADMIN, '/auth/callback');
    flow.jar.set('roomlink_login_lang', 'fr');
    const page = await walk(flow.answer.toString(), flow.jar, { headers: { 'accept-language': 'en' } });
    const body = await page.last.response.text();
    expect(body).toContain('<html lang="en">');
    expect(body).toContain('url=/admin"');
  });

  it('reads the console’s session under the __Host- name only, and clears that one at sign-out', async () => {
    const signIn = async () => {
      const flow = await toAnswer('/auth/signin', ADMIN, '/auth/callback');
      await walk(flow.answer.toString(), flow.jar);
      return flow.jar.get('__Host-roomlink_session') as string;
    };
    const token = await signIn();
    const users = (cookie: string) => fetch(`${local}/api/v1/admin/users`, { headers: { cookie } });
    expect((await users(`__Host-roomlink_session=${token}`)).status).toBe(200);
    // A sibling subdomain's cookie of the old name, holding a session (fixation): not a session here.
    expect((await users(`roomlink_session=${token}`)).status).toBe(401);

    const consoleSignOut = await fetch(`${local}/api/v1/admin/session`, {
      method: 'DELETE',
      headers: { cookie: `__Host-roomlink_session=${token}`, origin: BASE },
    });
    expect(consoleSignOut.status).toBe(204);
    const cleared = consoleSignOut.headers.getSetCookie().map(parseSetCookie);
    expect(cleared).toHaveLength(1);
    expectHostCookie(cleared[0], 'Strict');
    expect(cleared[0]?.value).toBe('');
    expect(cleared[0]?.attributes.get('max-age')).toBe('0');
    expect((await users(`__Host-roomlink_session=${token}`)).status).toBe(401);

    const again = await signIn();
    const signOut = await fetch(`${local}/api/v1/session/sign-out`, {
      method: 'POST',
      headers: { cookie: `__Host-roomlink_session=${again}`, origin: BASE },
    });
    expect(signOut.status).toBe(204);
    const clearedToo = signOut.headers.getSetCookie().map(parseSetCookie);
    expect(clearedToo).toHaveLength(1);
    expectHostCookie(clearedToo[0], 'Strict');
    expect(clearedToo[0]?.attributes.get('max-age')).toBe('0');
  });
});
