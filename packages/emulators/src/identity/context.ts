/** What the emulator's routes share: configuration, directory, registrations, keys and grants. */
import type { FastifyRequest } from 'fastify';
import type { Directory } from './directory.js';
import type { ErrorContext } from './errors.js';
import type { Grants } from './grants.js';
import type { SigningKeys } from './keys.js';
import type { TokenMinter } from './tokens.js';
import type { AdminConsent, RegisteredClient } from './types.js';

export interface EmulatorContext {
  readonly baseUrl: string;
  readonly directory: Directory;
  readonly clients: Map<string, RegisteredClient>;
  readonly keys: SigningKeys;
  readonly grants: Grants;
  readonly consents: AdminConsent[];
  /** Service principals disabled in their tenant (`servicePrincipalKey`). */
  readonly disabledServicePrincipals: Set<string>;
  readonly minter: TokenMinter;
  readonly accessTokenLifetimeSeconds: number;
  readonly userinfoEndpoint: string | undefined;
  now(): Date;
}

export type Params = Record<string, string | undefined>;

/** The key of an app's service principal (enterprise application) in a tenant. */
export function servicePrincipalKey(tenantId: string, clientId: string): string {
  return `${tenantId.toLowerCase()} ${clientId.toLowerCase()}`;
}

/** Whether the tenant's admin disabled the app's service principal ("Enabled for users to sign in?" No). */
export function servicePrincipalDisabled(ctx: EmulatorContext, tenantId: string, clientId: string): boolean {
  return ctx.disabledServicePrincipals.has(servicePrincipalKey(tenantId, clientId));
}

/** Query (GET) or form body (POST) as single values; a repeated parameter keeps its first value. */
export function requestParams(request: FastifyRequest): Params {
  const source = (request.method === 'POST' ? request.body : request.query) as
    | Record<string, unknown>
    | undefined;
  const out: Params = {};
  if (!source || typeof source !== 'object') return out;
  for (const [key, value] of Object.entries(source)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

export function errorContext(ctx: EmulatorContext, request: FastifyRequest): ErrorContext {
  const header = request.headers['client-request-id'];
  const correlationId = typeof header === 'string' && /^[0-9a-fA-F-]{36}$/.test(header) ? header : undefined;
  return { now: ctx.now(), baseUrl: ctx.baseUrl, correlationId };
}

/** The absolute URL of an endpoint under a tenant segment, e.g. `{baseUrl}/{tenant}/oauth2/v2.0/token`. */
export function endpoint(ctx: EmulatorContext, tenantSegment: string, path: string): string {
  return `${ctx.baseUrl}/${tenantSegment}/${path}`;
}
