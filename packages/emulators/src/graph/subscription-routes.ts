/** /subscriptions endpoints over the SubscriptionManager. */
import { requireScope } from './auth.js';
import { badRequest } from './errors.js';
import { type GraphResponse, json, noContent, type RouteContext } from './http.js';
import type { SubscriptionManager } from './subscriptions.js';

export class SubscriptionRoutes {
  constructor(
    private readonly subscriptions: SubscriptionManager,
    private readonly baseUrl: () => string,
  ) {}

  async create(ctx: RouteContext): Promise<GraphResponse> {
    // Creating a subscription needs read access to the resource (Calendars.Read for events).
    requireScope(ctx.principal, 'read');
    this.requireJson(ctx);
    const created = await this.subscriptions.create(
      ctx.principal,
      ctx.req.body,
      ctx.prefs.idType,
      ctx.req.requestId,
    );
    return json(201, {
      '@odata.context': `${this.baseUrl()}/v1.0/$metadata#subscriptions/$entity`,
      ...created,
    });
  }

  list(ctx: RouteContext): GraphResponse {
    return json(200, {
      '@odata.context': `${this.baseUrl()}/v1.0/$metadata#subscriptions`,
      value: this.subscriptions.list(ctx.principal),
    });
  }

  get(ctx: RouteContext, id: string): GraphResponse {
    return json(200, {
      '@odata.context': `${this.baseUrl()}/v1.0/$metadata#subscriptions/$entity`,
      ...this.subscriptions.get(ctx.principal, id),
    });
  }

  async update(ctx: RouteContext, id: string): Promise<GraphResponse> {
    requireScope(ctx.principal, 'read');
    this.requireJson(ctx);
    const updated = await this.subscriptions.update(ctx.principal, id, ctx.req.body, ctx.req.requestId);
    return json(200, {
      '@odata.context': `${this.baseUrl()}/v1.0/$metadata#subscriptions/$entity`,
      ...updated,
    });
  }

  delete(ctx: RouteContext, id: string): GraphResponse {
    this.subscriptions.remove(ctx.principal, id);
    return noContent();
  }

  reauthorize(ctx: RouteContext, id: string): GraphResponse {
    requireScope(ctx.principal, 'read');
    this.subscriptions.reauthorize(ctx.principal, id);
    return noContent();
  }

  private requireJson(ctx: RouteContext): void {
    if (ctx.req.bodyInvalid) {
      throw badRequest(
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
  }
}
