import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { StoreUnusableError } from '../../store/store.js';
import { operationsRoutes } from './operations.js';

async function appWith(
  ping: () => Promise<void>,
  draining = false,
  workerProblem: () => string | undefined = () => undefined,
) {
  const app = Fastify();
  await operationsRoutes(app, { ping, registry: new Registry(), draining: () => draining, workerProblem });
  return app;
}

describe('readiness', () => {
  it('is ready when the database answers', async () => {
    const res = await (await appWith(async () => undefined)).inject('/readyz');
    expect(res.statusCode).toBe(200);
  });

  it('answers 503 problem+json when the database fails', async () => {
    const res = await (await appWith(async () => Promise.reject(new Error('ECONNREFUSED')))).inject(
      '/readyz',
    );
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toBe('the database is not reachable');
  });

  it('answers 503 with the reason when the store refuses writes for good', async () => {
    const refused = new StoreUnusableError('syncing the log failed; restart');
    const res = await (await appWith(async () => Promise.reject(refused))).inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).toBe('syncing the log failed; restart');
  });

  it("answers 503 problem+json with a background worker's reason, and ready again once it is gone", async () => {
    let reason: string | undefined = 'retention: a run has been under way for over 3 h without ending';
    const app = await appWith(
      async () => undefined,
      false,
      () => reason,
    );
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'unavailable', detail: reason });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    reason = undefined;
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });

  it('answers 503 while draining, and health stays ok', async () => {
    const app = await appWith(async () => undefined, true);
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });
});
