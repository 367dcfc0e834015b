/**
 * API answers carry personal data and secrets (UPNs, host PINs, join details, claims challenges):
 * no browser or proxy cache may keep them. Routes that chose their own Cache-Control keep it.
 */
import type { FastifyInstance } from 'fastify';

export function registerNoStore(app: FastifyInstance, prefix = '/api/'): void {
  // A callback hook: it runs for every response, and an async one costs a promise each time.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.url.startsWith(prefix) && !reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
    }
    done(null, payload);
  });
}
