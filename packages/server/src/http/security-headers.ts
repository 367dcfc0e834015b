/**
 * Headers every answer carries, whichever route (or none) made it: pages, API, problem+json, metrics,
 * the rooms' and add-in's files, 404s.
 *
 * - `X-Content-Type-Options: nosniff`: a browser uses an answer only as the type it is declared, so
 *   no JSON answer or text file can be run as a script or rendered as a page.
 * - `Strict-Transport-Security` when the public base URL is https: once a browser has seen Roomlink
 *   over https it never again goes there over plain http, where a network attacker could serve a
 *   forged join page or sign-in. Sent whatever protocol the request came in on, since a TLS proxy in
 *   front forwards plain http; browsers ignore it on a plain-http answer. No `includeSubDomains`:
 *   Roomlink cannot know what else runs under its domain. Routes that set either header keep theirs.
 */
import type { FastifyInstance } from 'fastify';

/** One year, the value browsers' preload lists and scanners expect at least. */
export const HSTS_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export function registerSecurityHeaders(app: FastifyInstance, baseUrl: URL): void {
  const hsts = baseUrl.protocol === 'https:' ? `max-age=${HSTS_MAX_AGE_SECONDS}` : undefined;
  // A callback hook: it runs for every response, and an async one costs a promise each time.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('x-content-type-options')) reply.header('x-content-type-options', 'nosniff');
    if (hsts && !reply.hasHeader('strict-transport-security'))
      reply.header('strict-transport-security', hsts);
    done(null, payload);
  });
}
