/**
 * Runs the add-in sign-in over plain HTTP, as the Office dialog would, against a Roomlink whose
 * identity provider signs a `login_hint` user in without a page (the demo emulator does). Used by
 * `roomlink dev sign-in` and by tests. It refuses to run against Microsoft's cloud.
 */
import { randomToken, s256 } from './secrets.js';

export interface ScriptedSignInResult {
  readonly token: string;
  readonly expiresAt: string;
  readonly user: { id: string; tenantId: string; name: string; upn: string; isTenantAdmin: boolean };
}

const MAX_REDIRECTS = 10;

export async function scriptedSignIn(
  baseUrl: string,
  upn: string,
  options: { fetch?: typeof fetch; claims?: string } = {},
): Promise<ScriptedSignInResult> {
  const http = options.fetch ?? fetch;
  const verifier = randomToken(32);
  const start = new URL('auth/addin/start', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  start.searchParams.set('challenge', s256(verifier));
  start.searchParams.set('login_hint', upn);
  if (options.claims) start.searchParams.set('claims', options.claims);

  const cookies = new Map<string, string>();
  let url = start.toString();
  let response: Response | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const target = new URL(url);
    if (target.hostname.endsWith('microsoftonline.com') || target.hostname.endsWith('microsoft.com')) {
      throw new Error('scripted sign-in only runs against the local identity emulator, never Microsoft');
    }
    const cookieHeader =
      target.origin === new URL(baseUrl).origin ? [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') : '';
    response = await http(url, { redirect: 'manual', headers: cookieHeader ? { cookie: cookieHeader } : {} });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) cookies.set(name.trim(), value.join('='));
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    break;
  }
  if (!response) throw new Error('no response');
  const page = await response.text();
  // The first argument of the page's messageParent call: a JSON string literal (options follow it).
  const message = /messageParent\(("(?:[^"\\]|\\.)*")/.exec(page)?.[1];
  const parsed = message
    ? (JSON.parse(JSON.parse(message)) as { type: string; code?: string; description?: string })
    : undefined;
  if (parsed?.type !== 'roomlink-signin' || !parsed.code) {
    throw new Error(
      `sign-in did not complete (${response.status}): ${parsed?.description ?? 'no sign-in result on the page'}`,
    );
  }
  const session = await http(new URL('/api/v1/session', start).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: parsed.code, verifier }),
  });
  if (!session.ok) throw new Error(`session exchange failed (${session.status}): ${await session.text()}`);
  return (await session.json()) as ScriptedSignInResult;
}
