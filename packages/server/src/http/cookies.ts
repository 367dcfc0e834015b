/**
 * Roomlink's cookies: the admin console's browser session, and the sign-in flows' own (the login
 * transaction's id, the admin consent's state, the language each flow asked for). Every place that
 * sets, reads or clears one takes its name and attributes from here.
 *
 * Served over https (an https ROOMLINK_BASE_URL), each is named with the `__Host-` prefix. Browsers
 * accept a cookie of that name only from a secure origin, with `Secure`, `Path=/` and no `Domain`:
 * a page of a sibling subdomain (or any plain-http page of this host name) can plant a cookie named
 * `roomlink_login` or `roomlink_session` that this host receives (session fixation, login CSRF), never
 * one named `__Host-…`. Only the name in force is read: a cookie without the prefix is ignored, as if
 * absent. The flows' cookies, at `Path=/auth` before, are at `Path=/` under the prefix (it requires
 * it): they then ride along on every request to Roomlink for their 10 minutes (HttpOnly, SameSite=Lax).
 *
 * Over plain http (local development, demo mode, tests) browsers refuse `__Host-` cookies, so the
 * names stay unprefixed and the flows' cookies keep `Path=/auth`.
 */
import { fastifyCookie } from '@fastify/cookie';

/** Who a cookie is, and its name over plain http. */
const BASE_NAMES = {
  /** The admin console's browser session (identity/authenticator.ts). */
  session: 'roomlink_session',
  /** The sign-in's login transaction id (http/routes/auth.ts). */
  login: 'roomlink_login',
  /** Binds an admin consent answer to the browser that asked for it. */
  consent: 'roomlink_consent',
  /** The language a flow's start asked for, for the page that ends it. */
  loginLanguage: 'roomlink_login_lang',
  consentLanguage: 'roomlink_consent_lang',
} as const;

export type CookieRole = keyof typeof BASE_NAMES;

/** The prefix browsers keep for cookies set by this very host over https, for the whole site. */
export const HOST_PREFIX = '__Host-';

export interface CookieAttributes {
  readonly path: string;
  readonly secure: boolean;
  readonly httpOnly: true;
  readonly sameSite: 'strict' | 'lax';
}

export interface RoomlinkCookie {
  readonly name: string;
  /** What it is set with (a Max-Age, if any, is added where it is set), and cleared with. */
  readonly attributes: CookieAttributes;
}

/** Whether Roomlink is served over https: its cookies are Secure and `__Host-` prefixed. */
export function secureDeployment(baseUrl: URL): boolean {
  return baseUrl.protocol === 'https:';
}

/**
 * Roomlink's cookies for a deployment at `baseUrl`. The console's session is SameSite=Strict; the
 * flows' cookies are Lax, since Microsoft's answer comes back to Roomlink as a cross-site navigation.
 */
export function roomlinkCookies(baseUrl: URL): Readonly<Record<CookieRole, RoomlinkCookie>> {
  const secure = secureDeployment(baseUrl);
  const make = (role: CookieRole, sameSite: 'strict' | 'lax', httpPath: string): RoomlinkCookie => ({
    name: secure ? `${HOST_PREFIX}${BASE_NAMES[role]}` : BASE_NAMES[role],
    // __Host- requires Path=/ (and Secure, and no Domain: none is ever set).
    attributes: { path: secure ? '/' : httpPath, secure, httpOnly: true, sameSite },
  });
  return {
    session: make('session', 'strict', '/'),
    login: make('login', 'lax', '/auth'),
    consent: make('consent', 'lax', '/auth'),
    loginLanguage: make('loginLanguage', 'lax', '/auth'),
    consentLanguage: make('consentLanguage', 'lax', '/auth'),
  };
}

/**
 * The Set-Cookie value that removes `cookie` from a browser: the same name, path and Secure (a
 * browser refuses a `__Host-` cookie, even an expired one, without Secure and Path=/).
 */
export function clearingCookie(cookie: RoomlinkCookie): string {
  return fastifyCookie.serialize(cookie.name, '', {
    ...cookie.attributes,
    maxAge: 0,
    expires: new Date(0),
  });
}

/**
 * The value of the cookie named exactly `name` in a Cookie header (the first, as browsers send the
 * most specific first), percent-decoded; undefined when there is none or its value does not decode.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeCookieValue(value.join('='));
  }
  return undefined;
}

/** A value that is not valid percent-encoding cannot be one of our tokens: nothing, not an error. */
function decodeCookieValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
