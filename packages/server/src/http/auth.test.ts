import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../domain/principal.js';
import { type Authenticator, registerAuthentication } from './auth.js';

const alice: Principal = { tenantId: 'tenant-1', userId: 'alice', isTenantAdmin: false };

async function appWith(authenticate: Authenticator) {
  const app = Fastify();
  registerAuthentication(app, authenticate);
  app.get('/who', async (request) => ({ principal: request.principal }));
  await app.ready();
  return app;
}

describe('the authentication hook', () => {
  it('takes an answer given at once or later', async () => {
    const cases: [Authenticator, Principal | null][] = [
      [() => alice, alice],
      [async () => alice, alice],
      [() => null, null],
      [async () => null, null],
    ];
    for (const [authenticate, expected] of cases) {
      const app = await appWith(authenticate);
      const res = await app.inject({ method: 'GET', url: '/who' });
      expect(res.statusCode).toBe(200);
      expect(res.json().principal).toEqual(expected);
      await app.close();
    }
  });

  it('fails the request, and never runs the route, when the authenticator throws or rejects', async () => {
    const failures: Authenticator[] = [
      () => {
        throw new Error('session store down');
      },
      async () => {
        throw new Error('session store down');
      },
    ];
    for (const authenticate of failures) {
      const app = await appWith(authenticate);
      const res = await app.inject({ method: 'GET', url: '/who' });
      expect(res.statusCode).toBe(500);
      expect(res.json().principal).toBeUndefined();
      await app.close();
    }
  });
});
