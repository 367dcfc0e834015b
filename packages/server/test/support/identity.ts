/**
 * A test app with real sign-in: the identity emulator mounted as in demo mode, Roomlink's OIDC
 * client (openid-client) pointed at it, optionally through a fetch that tampers with answers.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { AppPlugin } from '../../src/app.js';
import { clientAddressesKnown } from '../../src/config/config.js';
import { type Demo, mountDemo } from '../../src/demo.js';
import { authRoutes } from '../../src/http/routes/auth.js';
import { createIdentity, type Identity } from '../../src/identity/index.js';
import type { Runtime } from '../../src/runtime.js';
import type { DialectName } from './databases.js';
import { startTestApp, type TestApp } from './harness.js';

export interface IdentityTestApp extends TestApp {
  readonly identity: Identity;
  readonly demo: Demo;
}

export async function startIdentityApp(
  dialect: DialectName,
  options: {
    fetch?: typeof fetch;
    plugins?: (runtime: Runtime) => AppPlugin[];
    env?: Record<string, string>;
    /** The application's logger (startTestApp's default otherwise). */
    logger?: FastifyBaseLogger;
  } = {},
): Promise<IdentityTestApp> {
  let identity: Identity | undefined;
  let demo: Demo | undefined;
  const t = await startTestApp(dialect, {
    realBaseUrl: true,
    ...(options.env ? { env: options.env } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    features: async (runtime) => {
      demo = await mountDemo(runtime.config);
      identity = createIdentity(runtime, {
        ...demo.identity,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      const id = identity;
      return {
        authenticate: id.authenticate,
        plugins: [demo.plugin, signInRoutes(runtime, id), ...(options.plugins?.(runtime) ?? [])],
      };
    },
  });
  return Object.assign(t, { identity: identity as Identity, demo: demo as Demo });
}

/** Roomlink's sign-in and session routes for an identity composed by a test, as the product mounts them. */
export function signInRoutes(runtime: Runtime, identity: Identity): AppPlugin {
  return (app) =>
    authRoutes(app, {
      signIn: identity.signIn,
      users: runtime.store.users,
      tenants: runtime.store.tenants,
      baseUrl: runtime.config.baseUrl,
      adminConsentUrl: identity.adminConsentUrl,
      limitPerAddress: clientAddressesKnown(runtime.config),
    });
}

/**
 * Identity for tests that never sign in through Microsoft (their sessions are inserted): its
 * authority is an address nothing listens on, so any attempt to reach it fails loudly.
 */
export function offlineIdentity(runtime: Runtime): Identity {
  return createIdentity(runtime, {
    clientId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
    credential: { kind: 'secret', secret: 'unused' },
    authority: new URL('http://127.0.0.1:9/organizations'),
  });
}

/**
 * Follows redirects by hand, keeping cookies for the Roomlink origin, until a non-redirect answer;
 * `headers` (Accept-Language, say) go with every request.
 */
export async function browse(
  start: string,
  jar: Map<string, string>,
  stopAt?: (url: URL) => boolean,
  headers: Record<string, string> = {},
): Promise<{ response: Response; url: string }> {
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, {
      redirect: 'manual',
      headers: cookie ? { ...headers, cookie } : headers,
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      // A cookie cleared (empty, expired) is gone, as a browser drops it.
      if (name) {
        if (value.join('=') === '') jar.delete(name.trim());
        else jar.set(name.trim(), value.join('='));
      }
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

interface AsUserOptions {
  jar?: Map<string, string>;
  headers?: Record<string, string>;
  toCallback?: boolean;
}

/**
 * A flow started at `start` (a Roomlink URL), followed to the Microsoft endpoint `atMicrosoft` picks,
 * where `upn` is named as the account (the identity emulator signs a `login_hint` user in without a
 * page), then on to the page the flow ends on, or only as far as Roomlink's callback with `toCallback`.
 */
async function asUser(
  start: string,
  upn: string,
  atMicrosoft: (url: URL) => boolean,
  options: AsUserOptions,
): Promise<{ response: Response; url: string; jar: Map<string, string> }> {
  const jar = options.jar ?? new Map<string, string>();
  const { url } = await browse(start, jar, atMicrosoft, options.headers);
  const named = new URL(url);
  named.searchParams.set('login_hint', upn);
  const atCallback = options.toCallback ? (next: URL) => next.pathname === '/auth/callback' : undefined;
  return { ...(await browse(named.toString(), jar, atCallback, options.headers)), jar };
}

/** A sign-in as `upn` (through Microsoft's authorize endpoint); see asUser. */
export function signInAs(start: string, upn: string, options: AsUserOptions = {}) {
  return asUser(start, upn, (url) => url.pathname.endsWith('/oauth2/v2.0/authorize'), options);
}

/** An admin consent given (or refused) as `upn` (through Microsoft's adminconsent endpoint). */
export function consentAs(start: string, upn: string, options: AsUserOptions = {}) {
  return asUser(start, upn, (url) => url.pathname.endsWith('/v2.0/adminconsent'), options);
}

/** The handoff message the callback page passes to messageParent. */
export function dialogMessage(html: string): {
  type: string;
  code?: string;
  error?: string;
  description?: string;
} {
  const message = /messageParent\(("(?:[^"\\]|\\.)*")/.exec(html)?.[1];
  if (!message) throw new Error('no messageParent call on the page');
  return JSON.parse(JSON.parse(message));
}
