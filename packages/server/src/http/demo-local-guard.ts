/**
 * A local demo (no MS_CLIENT_ID, ROOMLINK_DEMO_PUBLIC unset) lets test users, a tenant admin among
 * them, sign in without a password, so it must answer this machine only. Listening on loopback is
 * not enough on its own: a reverse proxy on the same host connects from loopback too, and a web page
 * whose host name an attacker points at 127.0.0.1 (DNS rebinding) makes the visitor's browser a
 * client from loopback. So a request that says it came through a proxy (`Forwarded`,
 * `X-Forwarded-For`, `X-Real-IP`, as nginx, Caddy, Traefik and Apache add) or names a host that is
 * not a loopback name (what a browser sends after DNS rebinding, and what a proxy that passes the
 * visitor's host sends) is refused. A proxy that forwards raw bytes (a TCP tunnel) cannot be told
 * apart from a local client; the start-up warning and docs/security.md say so.
 */
import type { FastifyInstance } from 'fastify';
import { isLoopbackHost } from '../config/config.js';
import { HttpError } from './errors.js';

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

export const DEMO_LOCAL_REFUSAL =
  'this Roomlink runs in local demo mode (MS_CLIENT_ID is unset: test users sign in without a password), so it answers only requests made on its own machine to localhost, not through a proxy. Set MS_CLIENT_ID and its credential (docs/deploy-microsoft-365.md), or ROOMLINK_DEMO_PUBLIC=true to run the demo there anyway';

export function registerDemoLocalGuard(app: FastifyInstance): void {
  // A callback hook: it runs for every request.
  app.addHook('onRequest', (request, _reply, done) => {
    const { headers } = request;
    const proxied = PROXY_HEADERS.some((name) => headers[name] !== undefined);
    const host = headers.host;
    if (proxied || (host !== undefined && !isLoopbackHost(hostName(host)))) {
      done(new HttpError('forbidden', DEMO_LOCAL_REFUSAL));
      return;
    }
    done();
  });
}

/** The name in a Host header: `[::1]:3000` → `[::1]`, `localhost:3000` → `localhost`. */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
