/**
 * A test app with real sign-in: the identity emulator mounted as in demo mode, Roomlink's OIDC
 * client (openid-client) pointed at it, optionally through a fetch that tampers with answers.
 */
import { type Demo, mountDemo } from '../../src/demo.js';
import { authRoutes } from '../../src/http/routes/auth.js';
import { createIdentity, type Identity } from '../../src/identity/index.js';
import type { DialectName } from './databases.js';
import { startTestApp, type TestApp } from './harness.js';

export interface IdentityTestApp extends TestApp {
  readonly identity: Identity;
  readonly demo: Demo;
}

export async function startIdentityApp(
  dialect: DialectName,
  options: { fetch?: typeof fetch } = {},
): Promise<IdentityTestApp> {
  let identity: Identity | undefined;
  let demo: Demo | undefined;
  const t = await startTestApp(dialect, {
    realBaseUrl: true,
    features: async (runtime) => {
      demo = await mountDemo(runtime.config);
      identity = createIdentity(runtime, {
        ...demo.identity,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      const id = identity;
      return {
        authenticate: id.authenticate,
        plugins: [
          demo.plugin,
          (app) =>
            authRoutes(app, {
              signIn: id.signIn,
              users: runtime.store.users,
              baseUrl: runtime.config.baseUrl,
              adminConsentUrl: id.adminConsentUrl,
            }),
        ],
      };
    },
  });
  return Object.assign(t, { identity: identity as Identity, demo: demo as Demo });
}

/** Follows redirects by hand, keeping cookies for the Roomlink origin, until a non-redirect answer. */
export async function browse(
  start: string,
  jar: Map<string, string>,
  stopAt?: (url: URL) => boolean,
): Promise<{ response: Response; url: string }> {
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) jar.set(name.trim(), value.join('='));
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (stopAt?.(next)) return { response, url: next.toString() };
      url = next.toString();
      continue;
    }
    return { response, url };
  }
  throw new Error('too many redirects');
}

/** The handoff message the callback page passes to messageParent. */
export function dialogMessage(html: string): { type: string; code?: string; error?: string } {
  const message = /messageParent\((".*?")\)/s.exec(html)?.[1];
  if (!message) throw new Error('no messageParent call on the page');
  return JSON.parse(JSON.parse(message));
}
