/**
 * The OpenID Connect `claims` request parameter as Microsoft uses it: client capabilities
 * (`access_token.xms_cc.values`, only `cp1` is known), auth context (`access_token.acrs`), and
 * claims challenges from Conditional Access or CAE that a later sign-in must carry.
 */
import { aadsts } from './errors.js';

type ClaimsRequest = Record<string, Record<string, unknown>>;
const KNOWN_CAPABILITIES = new Set(['cp1']);

export function parseClaimsRequest(raw: string | undefined): ClaimsRequest | undefined {
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw aadsts.invalidParameter('claims');
  }
  if (!isObject(parsed) || !Object.values(parsed).every(isObject)) throw aadsts.invalidParameter('claims');
  return parsed as ClaimsRequest;
}

/** Client capabilities to echo in `xms_cc` (known values only, lower-cased as Microsoft emits them). */
export function requestedCapabilities(request: ClaimsRequest | undefined): string[] {
  const values = (request?.access_token?.xms_cc as { values?: unknown } | undefined)?.values;
  if (!Array.isArray(values)) return [];
  return [
    ...new Set(values.filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase())),
  ].filter((v) => KNOWN_CAPABILITIES.has(v));
}

/** Auth context ids asked for as `access_token.acrs` (value or values). */
export function requestedAuthContexts(request: ClaimsRequest | undefined): string[] {
  const acrs = request?.access_token?.acrs as { value?: unknown; values?: unknown } | undefined;
  if (!acrs) return [];
  const all = [acrs.value, ...(Array.isArray(acrs.values) ? acrs.values : [])];
  return all.filter((v): v is string => typeof v === 'string');
}

/** Whether a sign-in's claims request asks for every claim (per token section) the requirement names. */
export function satisfies(request: ClaimsRequest | undefined, requirementJson: string): boolean {
  if (!request) return false;
  const requirement = parseClaimsRequest(requirementJson) ?? {};
  return Object.entries(requirement).every(([section, claims]) =>
    Object.keys(claims).every((claim) => request[section] !== undefined && claim in (request[section] ?? {})),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
