/**
 * Once shutdown has begun, every answer says `Connection: close` and Node closes its connection
 * after it. Browsers and the add-in keep HTTP/1.1 connections open: a request in flight at SIGTERM
 * would otherwise leave its connection open (idle, but after the one sweep of idle connections the
 * close makes), the drain would wait for the client or the keep-alive timeout, and shutdown would
 * run into its own timeout. The header also tells the client not to send its next request on it.
 */
import type { FastifyInstance } from 'fastify';

export function registerCloseWhenDraining(app: FastifyInstance, shuttingDown: () => boolean): void {
  // A callback hook: it runs for every response, and an async one costs a promise each time.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (shuttingDown()) reply.header('connection', 'close');
    done(null, payload);
  });
}
