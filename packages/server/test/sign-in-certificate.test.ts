/** private_key_jwt: Roomlink authenticates to the identity platform with a certificate, as recommended. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { certificateCredential } from '@roomlink/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountDemo } from '../src/demo.js';
import { callbackUrl, createIdentity } from '../src/identity/index.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { signInRoutes } from './support/identity.js';

const CLIENT_ID = '3c9e1f4a-7b2d-4e8f-a1c6-5d0b9e2f7a31';

describe('certificate client authentication', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-cert-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=roomlink-test',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const certificate = certificateCredential(await readFile(cert, 'utf8'));
    t = await startTestApp('sqlite', {
      realBaseUrl: true,
      features: async (runtime) => {
        const demo = await mountDemo(runtime.config);
        const identity = createIdentity(runtime, {
          clientId: CLIENT_ID,
          credential: { kind: 'certificate', certificateFile: cert, privateKeyFile: key },
          authority: demo.identity.authority,
        });
        return {
          authenticate: identity.authenticate,
          plugins: [
            async (app) => {
              await demo.plugin(app);
              demo.emulator().registerClient({
                clientId: CLIENT_ID,
                redirectUris: [callbackUrl(runtime.config.baseUrl)],
                certificate,
              });
            },
            signInRoutes(runtime, identity),
          ],
        };
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs in with a client assertion whose audience is the token endpoint', async () => {
    const result = await scriptedSignIn(t.url, 'adele@contoso.example');
    expect(result.user.upn).toBe('adele@contoso.example');
  });

  it('sends a tenant admin to the admin consent endpoint of the authority', async () => {
    const response = await fetch(`${t.url}/auth/admin-consent`, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') as string);
    expect(location.pathname).toMatch(/\/_emulator\/login\/organizations\/v2\.0\/adminconsent$/);
    expect(location.searchParams.get('client_id')).toBe(CLIENT_ID);
    // Every scope sign-in asks for: after the admin's consent no user is asked for any of them.
    expect(location.searchParams.get('scope')?.split(' ').sort()).toEqual([
      'https://graph.microsoft.com/Calendars.Read',
      'offline_access',
      'openid',
      'profile',
    ]);
  });
});
