/**
 * JSON batching (POST /$batch): up to 20 requests, run in parallel unless ordered by dependsOn; a
 * request whose dependency failed answers 424. Each inner request goes through the same dispatcher
 * (authentication, faults, throttling) with the batch's Authorization header.
 */
import { badRequest, type GraphError } from './errors.js';
import { type GraphRequest, type GraphResponse, json } from './http.js';
import { parseQuery } from './odata.js';

export const MAX_BATCH_REQUESTS = 20;

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

export interface BatchDeps {
  dispatch: (req: GraphRequest) => Promise<GraphResponse>;
  newRequestId: () => string;
}

const invalidBatch = (message: string): GraphError => badRequest(message);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseItems(body: unknown): BatchItem[] {
  if (!isObject(body) || !Array.isArray(body.requests)) throw invalidBatch('Invalid batch payload format.');
  if (body.requests.length > MAX_BATCH_REQUESTS) {
    throw invalidBatch(`The number of requests in a batch exceeds the maximum of ${MAX_BATCH_REQUESTS}.`);
  }
  const items = body.requests.map((raw): BatchItem => {
    if (
      !isObject(raw) ||
      typeof raw.id !== 'string' ||
      typeof raw.method !== 'string' ||
      typeof raw.url !== 'string'
    ) {
      throw invalidBatch('Each batch request requires id, method and url.');
    }
    const headers: Record<string, string> = {};
    if (isObject(raw.headers)) {
      for (const [name, value] of Object.entries(raw.headers)) {
        if (typeof value === 'string') headers[name.toLowerCase()] = value;
      }
    }
    const dependsOn = Array.isArray(raw.dependsOn)
      ? raw.dependsOn.filter((d): d is string => typeof d === 'string')
      : [];
    return { id: raw.id, method: raw.method.toUpperCase(), url: raw.url, headers, body: raw.body, dependsOn };
  });
  const ids = new Set(items.map((i) => i.id.toLowerCase()));
  if (ids.size !== items.length) throw invalidBatch('Batch request ids must be unique.');
  for (const item of items) {
    for (const dependency of item.dependsOn) {
      if (!ids.has(dependency.toLowerCase()))
        throw invalidBatch(`Request ${item.id} depends on unknown request ${dependency}.`);
    }
  }
  assertAcyclic(items);
  return items;
}

function assertAcyclic(items: readonly BatchItem[]): void {
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i] as const));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw invalidBatch('The dependsOn references in the batch form a cycle.');
    state.set(id, 'visiting');
    for (const dependency of byId.get(id)?.dependsOn ?? []) visit(dependency.toLowerCase());
    state.set(id, 'done');
  };
  for (const id of byId.keys()) visit(id);
}

function innerRequest(item: BatchItem, outer: GraphRequest, requestId: string): GraphRequest {
  const relative = item.url.replace(/^\/+/, '').replace(/^v1\.0\//i, '');
  const queryAt = relative.indexOf('?');
  const pathPart = queryAt < 0 ? relative : relative.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : relative.slice(queryAt + 1);
  const segments = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  return {
    method: item.method,
    path: `/${pathPart}`,
    segments,
    rawQuery,
    query: parseQuery(rawQuery),
    headers: { ...item.headers, authorization: outer.headers.authorization },
    body: item.body,
    requestId,
    clientRequestId: item.headers['client-request-id'] ?? requestId,
    batchRequestId: item.id,
  };
}

export async function runBatch(outer: GraphRequest, deps: BatchDeps): Promise<GraphResponse> {
  const items = parseItems(outer.body);
  const results = new Map<string, Promise<GraphResponse>>();
  const run = async (item: BatchItem): Promise<GraphResponse> => {
    const dependencies = await Promise.all(
      item.dependsOn.map((d) => results.get(d.toLowerCase()) as Promise<GraphResponse>),
    );
    if (dependencies.some((r) => r.status >= 400)) {
      return json(424, {
        error: { code: 'FailedDependency', message: 'A request this request depends on failed.' },
      });
    }
    if (item.body !== undefined && !item.headers['content-type']) {
      return json(400, {
        error: {
          code: 'BadRequest',
          message: 'A Content-Type header is required when a batch request has a body.',
        },
      });
    }
    return deps.dispatch(innerRequest(item, outer, deps.newRequestId()));
  };
  // Register every promise before any runs so dependsOn can find its dependencies.
  const pending: Array<() => void> = [];
  for (const item of items) {
    results.set(
      item.id.toLowerCase(),
      new Promise<void>((resolve) => pending.push(resolve)).then(() => run(item)),
    );
  }
  for (const start of pending) start();
  const responses = await Promise.all(
    items.map(async (item) => {
      const response = await (results.get(item.id.toLowerCase()) as Promise<GraphResponse>);
      const { 'request-id': _r, 'client-request-id': _c, ...headers } = response.headers;
      return {
        id: item.id,
        status: response.status,
        headers,
        ...(response.body === undefined ? {} : { body: response.body }),
      };
    }),
  );
  return json(200, { responses });
}
