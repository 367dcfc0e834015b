import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { StoreUnusableError } from '../store/store.js';
import { HttpError } from './errors.js';
import { registerJsonBodyParser } from './json-body.js';
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

  it('logs why an unexpected error happened (its causes’ codes), never a message', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = Fastify({ logger: { level: 'info', stream: sink } });
    registerProblemHandling(app);
    // What Node's fetch throws when Microsoft's host cannot be resolved: the reason is in the cause.
    const offline = Object.assign(new Error('getaddrinfo ENOTFOUND login.microsoftonline.com'), {
      code: 'ENOTFOUND',
    });
    app.get('/boom', async () => {
      throw new TypeError('fetch failed', { cause: offline });
    });
    expect((await app.inject('/boom')).statusCode).toBe(500);
    const failed = lines.find((l) => l.msg === 'request failed');
    expect(failed?.err).toMatchObject({ type: 'TypeError', cause: { type: 'Error', code: 'ENOTFOUND' } });
    expect(JSON.stringify(failed)).not.toContain('microsoftonline');
    expect(JSON.stringify(failed)).not.toContain('fetch failed');
  });

  it('answers 500, not "your JSON is invalid", when server-side JSON fails to parse', async () => {
    let thrown: Error | undefined;
    try {
      JSON.parse('{garbage'); // as a corrupt keyring file would
    } catch (error) {
      thrown = error as Error;
    }
    const res = await (await appThrowing(thrown as Error)).inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'internal_error' });
  });

  it('tells a body that is not JSON from one whose JSON holds a refused prototype key', async () => {
    const app = Fastify({ logger: false });
    registerProblemHandling(app);
    registerJsonBodyParser(app);
    app.post('/echo', { schema: { body: { type: 'object' } } }, async (request) => request.body);
    const post = (payload: string) =>
      app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload });
    const broken = await post('{"subject": "x",');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'malformed_json', detail: 'the body is not valid JSON' });
    for (const body of [
      '{"__proto__": {"admin": true}}',
      '{"constructor": {"prototype": {"admin": true}}}',
    ]) {
      const poisoned = await post(body);
      expect(poisoned.statusCode, body).toBe(400);
      expect(poisoned.json(), body).toMatchObject({
        code: 'malformed_json',
        detail: expect.stringContaining('"__proto__" or "constructor" key'),
      });
    }
    expect((await post('{"subject": "x"}')).json()).toEqual({ subject: 'x' });
  });
});
