import { describe, expect, it } from 'vitest';
import { clearingCookie, cookieValue, roomlinkCookies } from './cookies.js';
import { openApiOptions } from './openapi.js';

const https = new URL('https://roomlink.example/');
const http = new URL('http://127.0.0.1:8080/');

describe('Roomlink’s cookies', () => {
  it('are __Host- cookies with an https base URL: Secure, Path=/, no Domain', () => {
    const cookies = roomlinkCookies(https);
    expect(Object.values(cookies).map((c) => c.name)).toEqual([
      '__Host-roomlink_session',
      '__Host-roomlink_login',
      '__Host-roomlink_consent',
      '__Host-roomlink_login_lang',
      '__Host-roomlink_consent_lang',
    ]);
    for (const c of Object.values(cookies)) {
      expect(c.attributes).toMatchObject({ path: '/', secure: true, httpOnly: true });
      expect(c.attributes).not.toHaveProperty('domain');
    }
    expect(cookies.session.attributes.sameSite).toBe('strict');
    expect(cookies.login.attributes.sameSite).toBe('lax');
  });

  it('keep their unprefixed names over plain http (browsers refuse __Host- there), the flows’ at /auth', () => {
    const cookies = roomlinkCookies(http);
    expect(cookies.session).toEqual({
      name: 'roomlink_session',
      attributes: { path: '/', secure: false, httpOnly: true, sameSite: 'strict' },
    });
    for (const role of ['login', 'consent', 'loginLanguage', 'consentLanguage'] as const) {
      expect(cookies[role].name).toMatch(/^roomlink_/);
      expect(cookies[role].attributes).toEqual({
        path: '/auth',
        secure: false,
        httpOnly: true,
        sameSite: 'lax',
      });
    }
  });

  it('are cleared under the same name, path and Secure', () => {
    expect(clearingCookie(roomlinkCookies(https).session)).toBe(
      '__Host-roomlink_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict',
    );
    expect(clearingCookie(roomlinkCookies(http).session)).toBe(
      'roomlink_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict',
    );
  });

  it('are read under their exact name only', () => {
    const header = 'roomlink_session=planted; __host-roomlink_session=lower; __Host-roomlink_session=a%2Bb';
    expect(cookieValue(header, '__Host-roomlink_session')).toBe('a+b');
    expect(cookieValue('roomlink_session=planted', '__Host-roomlink_session')).toBeUndefined();
    expect(cookieValue(undefined, '__Host-roomlink_session')).toBeUndefined();
    expect(cookieValue('__Host-roomlink_session=%zz', '__Host-roomlink_session')).toBeUndefined();
  });

  it('are named so in the OpenAPI document', () => {
    const scheme = (base: URL) => {
      const schemes = openApiOptions(base).openapi?.components?.securitySchemes ?? {};
      return (schemes.adminConsole as { name: string }).name;
    };
    expect(scheme(https)).toBe('__Host-roomlink_session');
    expect(scheme(http)).toBe('roomlink_session');
  });
});
