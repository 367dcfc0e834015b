/**
 * /me (or /users/{id}) calendar endpoints: events CRUD, cancel, instances, calendarView and
 * calendarView/delta. `owner` is the mailbox being read (always the caller for delegated access) and
 * `route` repeats how the client addressed it ('me' or 'users/{id}') in next and delta links.
 */
import { requireScope } from './auth.js';
import type { DeltaPage, DeltaScope, DeltaTracker } from './delta.js';
import { badRequest, GraphError, invalidId, itemNotFound } from './errors.js';
import { type GraphResponse, json, noContent, type RouteContext, withPreferenceApplied } from './http.js';
import { decodeEventId, type EventRef, encodeEventId, parseRefKey } from './ids.js';
import {
  appliedPreferences,
  parseExpand,
  parseFilter,
  parseOrderBy,
  parseSelect,
  parseSkip,
  parseTop,
} from './odata.js';
import { removedEvent, type SerializeOptions, serializeEvent } from './serialize.js';
import type { CalendarStore, EventInstance } from './store.js';
import { parseDateTimeOffset } from './time.js';
import type { Recipient } from './types.js';

/** Graph's default page size for events and calendarView; delta uses it too unless Prefer says otherwise. */
export const DEFAULT_PAGE_SIZE = 10;
const DELTA_QUERY_OPTIONS = new Set(['startdatetime', 'enddatetime', '$skiptoken', '$deltatoken']);

export interface CalendarRoutesDeps {
  store: CalendarStore;
  delta: DeltaTracker;
  /** Absolute base URL where the emulator is mounted (without /v1.0). */
  baseUrl: () => string;
  webLinkBase: string;
  organizer: (oid: string) => Recipient;
}

export interface Mailbox {
  ownerOid: string;
  route: string;
}

export class CalendarRoutes {
  constructor(private readonly deps: CalendarRoutesDeps) {}

  /** GET events: series masters and single instances. */
  list(ctx: RouteContext, mailbox: Mailbox): GraphResponse {
    const { req, prefs } = ctx;
    const select = parseSelect(req.query);
    const expand = parseExpand(req.query);
    const filter = parseFilter(req.query);
    const orderBy = parseOrderBy(req.query);
    let events = this.deps.store.listItems(mailbox.ownerOid);
    if (filter) events = events.filter(filter);
    if (orderBy) events.sort(orderBy);
    const page = this.page(req.query, events, prefs.maxPageSize);
    const context = `${this.deps.baseUrl()}/v1.0/$metadata#users('${mailbox.ownerOid}')/events${select ? `(${select.join(',')})` : ''}`;
    const body: Record<string, unknown> = {
      '@odata.context': context,
      value: page.items.map((e) => serializeEvent(e, this.serializeOptions(ctx, 'UTC', select, expand))),
    };
    if (page.nextSkip !== undefined)
      body['@odata.nextLink'] = this.nextLink(req.path, req.rawQuery, page.nextSkip);
    return withPreferenceApplied(
      json(200, body),
      appliedPreferences(prefs, {
        timeZone: true,
        idType: true,
        bodyContentType: true,
        maxPageSize: page.usedMaxPageSize,
      }),
    );
  }

  create(ctx: RouteContext, mailbox: Mailbox): GraphResponse {
    requireScope(ctx.principal, 'write');
    this.requireBody(ctx);
    const created = this.deps.store.create(mailbox.ownerOid, ctx.req.body);
    return this.single(ctx, mailbox, created, 201, undefined);
  }

  get(ctx: RouteContext, mailbox: Mailbox, id: string): GraphResponse {
    const instance = this.deps.store.get(mailbox.ownerOid, this.ref(id));
    if (!instance) throw itemNotFound();
    return this.single(ctx, mailbox, instance, 200, 'UTC');
  }

  update(ctx: RouteContext, mailbox: Mailbox, id: string): GraphResponse {
    requireScope(ctx.principal, 'write');
    this.requireBody(ctx);
    const updated = this.deps.store.update(mailbox.ownerOid, this.ref(id), ctx.req.body);
    return this.single(ctx, mailbox, updated, 200, undefined);
  }

  delete(ctx: RouteContext, mailbox: Mailbox, id: string): GraphResponse {
    requireScope(ctx.principal, 'write');
    this.deps.store.delete(mailbox.ownerOid, this.ref(id));
    return noContent();
  }

  /** POST events/{id}/cancel: the organizer cancels; the meeting moves to Deleted Items. */
  cancel(ctx: RouteContext, mailbox: Mailbox, id: string): GraphResponse {
    requireScope(ctx.principal, 'write');
    this.deps.store.delete(mailbox.ownerOid, this.ref(id));
    return noContent(202);
  }

  /** POST events/{id}/permanentDelete: the item is purged, not moved to Deleted Items. */
  permanentDelete(ctx: RouteContext, mailbox: Mailbox, id: string): GraphResponse {
    requireScope(ctx.principal, 'write');
    this.deps.store.permanentDelete(mailbox.ownerOid, this.ref(id));
    return noContent();
  }

  /** GET events/{id}/instances?startDateTime&endDateTime */
  instances(ctx: RouteContext, mailbox: Mailbox, id: string): GraphResponse {
    const ref = this.ref(id);
    const [start, end] = this.window(ctx);
    const select = parseSelect(ctx.req.query);
    const expand = parseExpand(ctx.req.query);
    const all = this.deps.store.seriesInstances(mailbox.ownerOid, ref.key, start, end);
    const page = this.page(ctx.req.query, all, ctx.prefs.maxPageSize);
    const body: Record<string, unknown> = {
      '@odata.context': `${this.deps.baseUrl()}/v1.0/$metadata#users('${mailbox.ownerOid}')/events('${id}')/instances`,
      value: page.items.map((e) => serializeEvent(e, this.serializeOptions(ctx, 'UTC', select, expand))),
    };
    if (page.nextSkip !== undefined)
      body['@odata.nextLink'] = this.nextLink(ctx.req.path, ctx.req.rawQuery, page.nextSkip);
    return withPreferenceApplied(
      json(200, body),
      appliedPreferences(ctx.prefs, { timeZone: true, idType: true }),
    );
  }

  /** GET calendarView?startDateTime&endDateTime: occurrences expanded, no series masters. */
  calendarView(ctx: RouteContext, mailbox: Mailbox): GraphResponse {
    const [start, end] = this.window(ctx);
    const select = parseSelect(ctx.req.query);
    const expand = parseExpand(ctx.req.query);
    const filter = parseFilter(ctx.req.query);
    const orderBy = parseOrderBy(ctx.req.query);
    let events = this.deps.store.instancesInWindow(mailbox.ownerOid, start, end);
    if (filter) events = events.filter(filter);
    if (orderBy) events.sort(orderBy);
    const page = this.page(ctx.req.query, events, ctx.prefs.maxPageSize);
    const body: Record<string, unknown> = {
      '@odata.context': `${this.deps.baseUrl()}/v1.0/$metadata#users('${mailbox.ownerOid}')/calendarView${select ? `(${select.join(',')})` : ''}`,
      value: page.items.map((e) => serializeEvent(e, this.serializeOptions(ctx, 'UTC', select, expand))),
    };
    if (page.nextSkip !== undefined)
      body['@odata.nextLink'] = this.nextLink(ctx.req.path, ctx.req.rawQuery, page.nextSkip);
    return withPreferenceApplied(
      json(200, body),
      appliedPreferences(ctx.prefs, {
        timeZone: true,
        idType: true,
        bodyContentType: true,
        maxPageSize: page.usedMaxPageSize,
      }),
    );
  }

  /** GET calendarView/delta: full sync, then changes since a delta token. */
  calendarViewDelta(ctx: RouteContext, mailbox: Mailbox): GraphResponse {
    const { query } = ctx.req;
    const unsupported = [...query.keys()].filter((name) => !DELTA_QUERY_OPTIONS.has(name));
    if (unsupported.length > 0) {
      throw new GraphError(
        400,
        'ErrorInvalidUrlQuery',
        `The following parameters are not supported with change tracking over the 'CalendarView' resource: '${unsupported.join(', ')}'.`,
      );
    }
    const skipToken = query.get('$skiptoken');
    const deltaToken = query.get('$deltatoken');
    const pageSize = ctx.prefs.maxPageSize ?? DEFAULT_PAGE_SIZE;
    const viewOf = (scope: DeltaScope): EventInstance[] =>
      this.deps.store.instancesInWindow(scope.ownerOid, scope.windowStart, scope.windowEnd);
    let state: ReturnType<DeltaTracker['start']>;
    if (skipToken !== undefined || deltaToken !== undefined) {
      const token = skipToken !== undefined ? { skipToken } : { deltaToken: deltaToken as string };
      state = this.deps.delta.resume(token, mailbox.ownerOid, viewOf);
    } else {
      const [start, end] = this.window(ctx);
      const scope = { ownerOid: mailbox.ownerOid, route: mailbox.route, windowStart: start, windowEnd: end };
      state = this.deps.delta.start(scope, viewOf(scope));
    }
    const { scope } = state.round;
    const page: DeltaPage = this.deps.delta.page(state.round, state.cursor, pageSize, viewOf(scope));
    const options = this.serializeOptions(ctx, 'UTC', undefined, undefined);
    const value = page.entries.map((entry) =>
      'instance' in entry
        ? { '@odata.type': '#microsoft.graph.event', ...serializeEvent(entry.instance, options) }
        : removedEvent(encodeEventId(parseRefKey(entry.removedKey), ctx.prefs.idType)),
    );
    const link = `${this.deps.baseUrl()}/v1.0/${scope.route}/calendarView/delta`;
    const body: Record<string, unknown> = {
      '@odata.context': `${this.deps.baseUrl()}/v1.0/$metadata#Collection(event)`,
      ...(page.skipToken ? { '@odata.nextLink': `${link}?$skiptoken=${page.skipToken}` } : {}),
      ...(page.deltaToken ? { '@odata.deltaLink': `${link}?$deltatoken=${page.deltaToken}` } : {}),
      value,
    };
    return withPreferenceApplied(
      json(200, body),
      appliedPreferences(ctx.prefs, {
        timeZone: true,
        idType: true,
        bodyContentType: true,
        maxPageSize: true,
      }),
    );
  }

  private single(
    ctx: RouteContext,
    mailbox: Mailbox,
    instance: EventInstance,
    status: number,
    defaultZone: string | undefined,
  ): GraphResponse {
    const select = ctx.req.method === 'GET' ? parseSelect(ctx.req.query) : undefined;
    const expand = ctx.req.method === 'GET' ? parseExpand(ctx.req.query) : undefined;
    const body = {
      '@odata.context': `${this.deps.baseUrl()}/v1.0/$metadata#users('${mailbox.ownerOid}')/events${select ? `(${select.join(',')})` : ''}/$entity`,
      ...serializeEvent(instance, this.serializeOptions(ctx, defaultZone, select, expand)),
    };
    return withPreferenceApplied(
      json(status, body),
      appliedPreferences(ctx.prefs, { timeZone: true, idType: true, bodyContentType: true }),
    );
  }

  private serializeOptions(
    ctx: RouteContext,
    defaultZone: string | undefined,
    select: readonly string[] | undefined,
    expand: { ids?: string[] } | undefined,
  ): SerializeOptions {
    return {
      idType: ctx.prefs.idType,
      timeZone: ctx.prefs.timeZone ?? defaultZone,
      ...(ctx.prefs.bodyContentType ? { bodyContentType: ctx.prefs.bodyContentType } : {}),
      ...(select ? { select } : {}),
      ...(expand ? { expandExtendedProperties: expand } : {}),
      webLinkBase: this.deps.webLinkBase,
      organizer: this.deps.organizer,
    };
  }

  private ref(id: string): EventRef {
    const ref = decodeEventId(id);
    if (!ref) throw invalidId();
    return ref;
  }

  private requireBody(ctx: RouteContext): void {
    if (ctx.req.bodyInvalid) {
      throw badRequest(
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
  }

  private window(ctx: RouteContext): [number, number] {
    const rawStart = ctx.req.query.get('startdatetime');
    const rawEnd = ctx.req.query.get('enddatetime');
    if (rawStart === undefined || rawEnd === undefined) {
      throw new GraphError(
        400,
        'ErrorInvalidParameter',
        'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
      );
    }
    // A '+' in an unencoded offset arrives as a space.
    const start = parseDateTimeOffset(rawStart.replace(/ (\d{2}:\d{2})$/, '+$1'));
    const end = parseDateTimeOffset(rawEnd.replace(/ (\d{2}:\d{2})$/, '+$1'));
    if (start === undefined || end === undefined) {
      throw new GraphError(
        400,
        'ErrorInvalidParameter',
        'The value of the StartDateTime or EndDateTime parameter is invalid.',
      );
    }
    return [start, end];
  }

  private page(
    query: ReadonlyMap<string, string>,
    items: EventInstance[],
    maxPageSize: number | undefined,
  ): { items: EventInstance[]; nextSkip?: number; usedMaxPageSize: boolean } {
    const top = parseTop(query);
    const skip = parseSkip(query);
    const usedMaxPageSize = top === undefined && maxPageSize !== undefined;
    const size = top ?? maxPageSize ?? DEFAULT_PAGE_SIZE;
    const slice = items.slice(skip, skip + size);
    return skip + size < items.length
      ? { items: slice, nextSkip: skip + size, usedMaxPageSize }
      : { items: slice, usedMaxPageSize };
  }

  /** The request's own URL with $skip advanced; Graph keeps `$` literal in its links. */
  private nextLink(path: string, rawQuery: string, skip: number): string {
    const kept = rawQuery
      .split('&')
      .filter(Boolean)
      .filter((pair) => decodeURIComponent(pair.split('=')[0] ?? '').toLowerCase() !== '$skip');
    return `${this.deps.baseUrl()}/v1.0${path}?${[...kept, `$skip=${skip}`].join('&')}`;
  }
}
