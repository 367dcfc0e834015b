/**
 * buildApp composes the HTTP application from ready-made dependencies; it never listens and never
 * reads the environment (server.ts does both), so tests drive it with inject() or a real socket.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import Fastify, {
  type ConnectionError,
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
} from 'fastify';
import type { Config } from './config/config.js';
import type { MeetingService } from './domain/meetings/service.js';
import { type Authenticator, registerAuthentication } from './http/auth.js';
import { registerCloseWhenDraining } from './http/close-when-draining.js';
import { registerDemoLocalGuard } from './http/demo-local-guard.js';
import { problem } from './http/errors.js';
import { registerJsonBodyParser } from './http/json-body.js';
import { registerNoStore } from './http/no-store.js';
import { openApiOptions } from './http/openapi.js';
import { frameworkErrorProblem, registerProblemHandling } from './http/problem-plugin.js';
import { faviconRoutes } from './http/routes/favicon.js';
import { meetingRoutes } from './http/routes/meetings.js';
import { operationsRoutes } from './http/routes/operations.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { lazyChildLoggerFactory } from './observability/lazy-child-logger.js';
import type { HttpMetrics } from './observability/metrics.js';
import type { Store } from './store/store.js';

/** A feature that adds its own routes (rooms, identity, emulators...). */
export type AppPlugin = (app: FastifyInstance) => Promise<void>;

export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly meetings: MeetingService;
  readonly authenticate: Authenticator;
  readonly metrics: HttpMetrics;
  readonly logger?: FastifyBaseLogger;
  readonly plugins?: readonly AppPlugin[];
  readonly draining?: () => boolean;
  /** Why a background worker does not work, or undefined (server.ts; /readyz answers 503 with it). */
  readonly workerProblem?: () => string | undefined;
  /** Shutdown has begun: answers close their connections (http/close-when-draining.ts). */
  readonly shuttingDown?: () => boolean;
}

export const BODY_LIMIT_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Responses with this status get their `request completed` line at debug level instead of
     * info; any other status is logged as usual. For machine-to-machine routes whose every
     * success is counted in /metrics (Graph's change notifications).
     */
    readonly quietAccessLogStatus?: number;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    // One log line per request (in onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // X-Forwarded-For/-Proto/-Host are believed only from ROOMLINK_TRUSTED_PROXIES (none by default),
    // so that request.ip, which keys the rooms' PIN lockouts, is the visitor behind the proxy.
    trustProxy: deps.config.trustedProxies.length > 0 ? [...deps.config.trustedProxies] : false,
    // Request ids are random so that they say nothing about traffic volume.
    genReqId: () => crypto.randomUUID(),
    // The request's logger (binding its id) is made on its first line; most requests write none.
    childLoggerFactory: lazyChildLoggerFactory,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    // The router's own refusals (a malformed percent-encoding, an over-long path parameter) answer in
    // problem+json like every other error, without quoting the URL back.
    frameworkErrors: frameworkErrorProblem,
    // Requests Node's HTTP parser refuses: logged by error code, never with the bytes received.
    clientErrorHandler,
  });

  registerProblemHandling(app);
  if (deps.config.demoLocal) registerDemoLocalGuard(app);
  registerNoStore(app);
  registerSecurityHeaders(app, deps.config.baseUrl);
  if (deps.shuttingDown) registerCloseWhenDraining(app, deps.shuttingDown);
  registerJsonBodyParser(app);
  registerAuthentication(app, deps.authenticate);
  registerHttpMetrics(app, deps.metrics);

  await app.register(swagger, openApiOptions(deps.config.baseUrl));

  await operationsRoutes(app, {
    ping: () => deps.store.ping(),
    registry: deps.metrics.registry,
    draining: deps.draining ?? (() => false),
    ...(deps.workerProblem ? { workerProblem: deps.workerProblem } : {}),
  });
  await faviconRoutes(app);
  await app.register(meetingRoutes, {
    meetings: deps.meetings,
    tenants: deps.store.tenants,
    helpUrl: deps.config.rooms.helpUrl,
  });
  for (const plugin of deps.plugins ?? []) await plugin(app);

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

/**
 * Fastify's `clientErrorHandler`, for what Node's HTTP parser refuses before any route runs (a
 * malformed request, headers too large, a request too slow). It answers as Fastify's default does
 * (in problem+json) and closes the connection, but logs only the error's type and code: the default logs the error
 * whole, and its `rawPacket` is the raw request received (Authorization header, cookies, body).
 */
export function clientErrorHandler(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  // A connection reset: the socket is gone, there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [label, body] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? (['timeout', problem('request_timeout', 'the request did not arrive in time')] as const)
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ([
            'header_overflow',
            problem('header_fields_too_large', 'the request headers are too large'),
          ] as const)
        : (['error', problem('invalid_request', 'the request is not valid HTTP/1.1')] as const);
  // At trace level, as Fastify's default: mostly network noise or a load balancer's configuration.
  this.log.trace({ err: { type: error.name, code: error.code } }, `client ${label}`);
  if (socket.writable) {
    // problem+json like every other refusal; no route ran, so it is written to the socket here.
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status]}\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `Content-Type: application/problem+json\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}

function registerHttpMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  if (['debug', 'trace'].includes(app.log.level)) {
    app.addHook('onRequest', async (request) => {
      request.log.debug({ req: request }, 'request received');
    });
  }
  // A callback hook: it runs for every request, and an async one costs a promise each time.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    // Only the request id, what the req/res serializers pick (method, route pattern, status) and the
    // response time.
    const line = { reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode === request.routeOptions.config.quietAccessLogStatus) {
      app.log.debug(line, 'request completed');
    } else {
      app.log.info(line, 'request completed');
    }
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}
