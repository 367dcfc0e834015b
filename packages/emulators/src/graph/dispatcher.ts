/**
 * Routes one Graph request: injected faults, authentication, then the endpoint. Path segments are
 * matched case-insensitively, as Graph does. Every request (including those inside a batch) is
 * recorded for tests, without tokens or bodies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate, type Principal, requireScope } from './auth.js';
import { runBatch } from './batch.js';
import type { CalendarRoutes, Mailbox } from './calendar-routes.js';
import type { DeltaTracker } from './delta.js';
import { accessDenied, errorBody, GraphError } from './errors.js';
import type { FaultInjector } from './faults.js';
import { type GraphRequest, type GraphResponse, json, type RouteContext } from './http.js';
import { parsePreferences } from './odata.js';
import type { SubscriptionRoutes } from './subscription-routes.js';
import type { AccessTokenVerifier, RecordedRequest } from './types.js';

export interface DispatcherDeps {
  now: () => Date;
  verify: AccessTokenVerifier;
  authorizationUri: string;
  faults: FaultInjector;
  delta: DeltaTracker;
  calendar: CalendarRoutes;
  subscriptions: SubscriptionRoutes;
  /** The oid a users/{id} segment names (an oid or a known mail address). */
  resolveUser: (segment: string) => string | undefined;
  revokedBefore: (oid: string) => number | undefined;
  record: (request: RecordedRequest) => void;
  newRequestId: () => string;
}

const segmentNotFound = (segment: string): GraphError =>
  new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
const methodNotAllowed = (): GraphError =>
  new GraphError(405, 'BadRequest', 'Specified HTTP method is not allowed for the request target.');

export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  async handle(req: GraphRequest): Promise<GraphResponse> {
    const received = this.deps.now();
    let response: GraphResponse;
    try {
      response = await this.process(req);
    } catch (error) {
      const graphError =
        error instanceof GraphError
          ? error
          : new GraphError(500, 'generalException', 'General exception while processing.');
      response = json(
        graphError.status,
        errorBody(graphError, this.deps.now(), req.requestId, req.clientRequestId),
        { ...graphError.headers },
      );
    }
    response.headers['request-id'] = req.requestId;
    response.headers['client-request-id'] = req.clientRequestId;
    this.deps.record({
      method: req.method,
      url: req.rawQuery ? `${req.path}?${req.rawQuery}` : req.path,
      path: req.path,
      time: received,
      status: response.status,
      ...(req.batchRequestId !== undefined ? { batchRequestId: req.batchRequestId } : {}),
      headers: {
        ...(req.headers.prefer !== undefined ? { prefer: req.headers.prefer } : {}),
        ...(req.headers['client-request-id'] !== undefined
          ? { clientRequestId: req.headers['client-request-id'] }
          : {}),
        hasAuthorization: req.headers.authorization !== undefined,
      },
    });
    return response;
  }

  private async process(req: GraphRequest): Promise<GraphResponse> {
    const { faults, authorizationUri } = this.deps;
    const before = faults.take(
      'beforeAuthentication',
      req.method,
      req.path,
      authorizationUri,
      this.deps.now(),
    );
    if (before.delayMs > 0) await sleep(before.delayMs);
    if (before.error) throw before.error;
    const principal = await authenticate(req.headers.authorization, {
      verify: this.deps.verify,
      authorizationUri,
      revokedBefore: this.deps.revokedBefore,
    });
    const after = faults.take('afterAuthentication', req.method, req.path, authorizationUri, this.deps.now());
    if (after.error) throw after.error;
    if (after.expireSyncState) this.deps.delta.expireAll(after.expireSyncState);
    return this.route({ req, principal, prefs: parsePreferences(req.headers.prefer) });
  }

  private async route(ctx: RouteContext): Promise<GraphResponse> {
    const { segments, method } = ctx.req;
    const lower = segments.map((s) => s.toLowerCase());
    const first = lower[0] ?? '';
    if (first === '$batch' && lower.length === 1) {
      if (ctx.req.batchRequestId !== undefined) throw segmentNotFound('$batch');
      if (method !== 'POST') throw methodNotAllowed();
      return runBatch(ctx.req, {
        dispatch: (inner) => this.handle(inner),
        newRequestId: this.deps.newRequestId,
      });
    }
    if (first === 'subscriptions') return this.subscriptionRoute(ctx, segments.slice(1));
    if (first === 'me' || (first === 'users' && segments.length >= 2)) {
      const mailbox = this.mailbox(ctx.principal, segments);
      const rest = segments.slice(first === 'me' ? 1 : 2);
      // me/calendar/events and me/calendar/calendarView address the same default calendar.
      if (rest[0]?.toLowerCase() === 'calendar') rest.shift();
      return this.calendarRoute(ctx, mailbox, rest);
    }
    throw segmentNotFound(segments[0] ?? '');
  }

  private mailbox(principal: Principal, segments: string[]): Mailbox {
    if (segments[0]?.toLowerCase() === 'me') return { ownerOid: principal.oid, route: 'me' };
    const segment = segments[1] as string;
    const owner = this.deps.resolveUser(segment);
    // Delegated access reaches only the signed-in user's mailbox.
    if (owner?.toLowerCase() !== principal.oid.toLowerCase()) throw accessDenied();
    return { ownerOid: principal.oid, route: `users/${encodeURIComponent(segment)}` };
  }

  private calendarRoute(ctx: RouteContext, mailbox: Mailbox, rest: string[]): GraphResponse {
    const routes = this.deps.calendar;
    const method = ctx.req.method;
    // Every calendar endpoint reads the mailbox; writes also need Calendars.ReadWrite.
    requireScope(ctx.principal, 'read');
    const [resource, id, action, extra] = rest;
    const name = resource?.toLowerCase();
    if (name === 'events' && id === undefined) {
      if (method === 'GET') return routes.list(ctx, mailbox);
      if (method === 'POST') return routes.create(ctx, mailbox);
      throw methodNotAllowed();
    }
    if (name === 'events' && id !== undefined && action === undefined) {
      if (method === 'GET') return routes.get(ctx, mailbox, id);
      if (method === 'PATCH') return routes.update(ctx, mailbox, id);
      if (method === 'DELETE') return routes.delete(ctx, mailbox, id);
      throw methodNotAllowed();
    }
    if (name === 'events' && id !== undefined && extra === undefined) {
      const verb = action?.toLowerCase();
      if (verb === 'cancel') {
        if (method !== 'POST') throw methodNotAllowed();
        return routes.cancel(ctx, mailbox, id);
      }
      if (verb === 'permanentdelete') {
        if (method !== 'POST') throw methodNotAllowed();
        return routes.permanentDelete(ctx, mailbox, id);
      }
      if (verb === 'instances') {
        if (method !== 'GET') throw methodNotAllowed();
        return routes.instances(ctx, mailbox, id);
      }
      throw segmentNotFound(action as string);
    }
    if (name === 'calendarview') {
      const fn = id?.toLowerCase();
      if (method !== 'GET') throw methodNotAllowed();
      if (id === undefined) return routes.calendarView(ctx, mailbox);
      if (action === undefined && (fn === 'delta' || fn === 'delta()' || fn === 'microsoft.graph.delta()')) {
        return routes.calendarViewDelta(ctx, mailbox);
      }
      throw segmentNotFound(id);
    }
    throw segmentNotFound(resource ?? '');
  }

  private async subscriptionRoute(ctx: RouteContext, rest: string[]): Promise<GraphResponse> {
    const routes = this.deps.subscriptions;
    const method = ctx.req.method;
    const [id, action, extra] = rest;
    if (id === undefined) {
      if (method === 'GET') return routes.list(ctx);
      if (method === 'POST') return routes.create(ctx);
      throw methodNotAllowed();
    }
    if (action === undefined) {
      if (method === 'GET') return routes.get(ctx, id);
      if (method === 'PATCH') return routes.update(ctx, id);
      if (method === 'DELETE') return routes.delete(ctx, id);
      throw methodNotAllowed();
    }
    if (action.toLowerCase() === 'reauthorize' && extra === undefined) {
      if (method !== 'POST') throw methodNotAllowed();
      return routes.reauthorize(ctx, id);
    }
    throw segmentNotFound(action);
  }
}
