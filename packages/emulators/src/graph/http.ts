/**
 * The emulator's transport-neutral request and response, so that HTTP requests and the requests
 * inside a JSON batch go through the same dispatcher.
 */
import type { Principal } from './auth.js';
import type { Preferences, QueryParams } from './odata.js';

export interface GraphRequest {
  method: string;
  /** Path below /v1.0 without the query string, e.g. '/me/events'. */
  path: string;
  /** URL-decoded path segments. */
  segments: string[];
  /** Raw query string without '?'. */
  rawQuery: string;
  query: QueryParams;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: unknown;
  /** Set when the body was not valid JSON. */
  bodyInvalid?: boolean;
  requestId: string;
  clientRequestId: string;
  batchRequestId?: string;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** What a route handler gets: the request, its caller and the caller's preferences. */
export interface RouteContext {
  req: GraphRequest;
  principal: Principal;
  prefs: Preferences;
}

export const JSON_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): GraphResponse {
  return { status, headers: { 'content-type': JSON_CONTENT_TYPE, 'odata-version': '4.0', ...headers }, body };
}

export function noContent(status = 204): GraphResponse {
  return { status, headers: {} };
}

/** Adds Preference-Applied when a value is given. */
export function withPreferenceApplied(response: GraphResponse, applied: string | undefined): GraphResponse {
  if (applied) response.headers['preference-applied'] = applied;
  return response;
}
