/**
 * Roomlink serves Microsoft 365 organisations. With MS_AUTHORITY=…/common, Microsoft also signs
 * personal Microsoft accounts in, every one of them under the same tenant id: Roomlink refuses
 * them, so they never share one Roomlink tenant. Work accounts still sign in at `common`.
 */
import { randomBytes } from 'node:crypto';
import { registerIdentityEmulator } from '@roomlink/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID } from '../src/demo.js';
import { callbackUrl, createIdentity } from '../src/identity/index.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { PERSONAL_ACCOUNTS_TENANT_ID } from '../src/identity/sign-in.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { signInRoutes } from './support/identity.js';

const WORK_TENANT_ID = '6d2f0c1a-3b4e-4f5a-8c7d-0e1f2a3b4c5d';

describe('sign-in at the common authority', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      realBaseUrl: true,
      features: async (runtime) => {
        const loginBase = new URL('_emulator/login', runtime.config.baseUrl).toString();
        const secret = randomBytes(24).toString('base64url');
        const identity = createIdentity(runtime, {
          clientId: DEMO_CLIENT_ID,
          credential: { kind: 'secret', secret },
          authority: new URL(`${loginBase}/common`),
        });
        return {
          authenticate: identity.authenticate,
          plugins: [
            async (app) => {
              await registerIdentityEmulator(app, {
                baseUrl: loginBase,
                clients: [
                  { clientId: DEMO_CLIENT_ID, secret, redirectUris: [callbackUrl(runtime.config.baseUrl)] },
                ],
                tenants: [
                  { id: WORK_TENANT_ID, name: 'Contoso', domain: 'contoso.example' },
                  { id: PERSONAL_ACCOUNTS_TENANT_ID, name: 'Microsoft accounts', domain: 'outlook.example' },
                ],
                users: [
                  {
                    oid: '1f0e2d3c-4b5a-4697-8a8b-0c1d2e3f4a02',
                    tenantId: WORK_TENANT_ID,
                    upn: 'adele@contoso.example',
                    name: 'Adele Vance',
                  },
                  {
                    oid: '00000000-0000-0000-7a1b-2c3d4e5f6a7b',
                    tenantId: PERSONAL_ACCOUNTS_TENANT_ID,
                    upn: 'someone@outlook.example',
                    name: 'Some One',
                  },
                ],
              });
            },
            signInRoutes(runtime, identity),
          ],
        };
      },
    });
  });
  afterAll(async () => t?.close());

  it('refuses a personal Microsoft account and records nothing of it', async () => {
    const refused = await scriptedSignIn(t.url, 'someone@outlook.example').catch((error: unknown) => error);
    expect(String(refused)).toContain('personal Microsoft accounts cannot use Roomlink');
    const db = t.runtime.store.db;
    expect(await db.selectFrom('users').select('id').execute()).toEqual([]);
    expect(
      await db.selectFrom('tenants').select('id').where('id', '=', PERSONAL_ACCOUNTS_TENANT_ID).execute(),
    ).toEqual([]);
  });

  it('signs a work account in', async () => {
    const signedIn = await scriptedSignIn(t.url, 'adele@contoso.example');
    expect(signedIn.user).toMatchObject({ tenantId: WORK_TENANT_ID, upn: 'adele@contoso.example' });
  });
});
