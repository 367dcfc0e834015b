import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { StoreUnusableError } from '../store/store.js';
import { HttpError } from './errors.js';
import { registerProblemHandling } from './problem-plugin.js';

async function appThrowing(error: Error) {
  const app = Fastify({ logger: false });
  registerProblemHandling(app);
  app.get('/boom', async () => {
    throw error;
  });
  return app;
}

describe('problem+json errors', () => {
  it('answers 503 when the store refuses writes, without the operator’s reason', async () => {
    const res = await (
      await appThrowing(new StoreUnusableError('SQLite log sync failed at /var/lib/x'))
    ).inject('/boom');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'unavailable',
      detail: 'Roomlink cannot save changes right now; try again later',
    });
    expect(res.body).not.toContain('SQLite');
  });

  it('keeps an HttpError’s own code and detail, and hides an unexpected error', async () => {
    const refused = await (await appThrowing(new HttpError('forbidden', 'not an admin'))).inject('/boom');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'forbidden', detail: 'not an admin' });
    const failed = await (await appThrowing(new Error('secret internals'))).inject('/boom');
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain('secret internals');
  });
});
