/**
 * The OData query options and Prefer preferences the calendar endpoints support. Query option names
 * are case-insensitive, as in Graph. Expressions the emulator does not implement are rejected with a
 * 400 that says so, rather than silently ignored.
 */
import { badRequest } from './errors.js';
import { canonicalPropertyId } from './extended-properties.js';
import type { IdType } from './ids.js';
import { canonicalSelect } from './serialize.js';
import type { EventInstance } from './store.js';
import { resolveZone } from './time.js';
import type { BodyType } from './types.js';

/** Query parameters with lower-cased names. */
export type QueryParams = ReadonlyMap<string, string>;

export function parseQuery(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQuery)) params.set(name.toLowerCase(), value);
  return params;
}

export interface Preferences {
  timeZone?: string;
  idType: IdType;
  maxPageSize?: number;
  bodyContentType?: BodyType;
}

/** Splits a Prefer header on commas outside quotes. */
function splitPreferences(header: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of header) {
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

export function parsePreferences(header: string | undefined): Preferences {
  const preferences: Preferences = { idType: 'rest' };
  for (const part of splitPreferences(header ?? '')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value =
      eq < 0
        ? ''
        : part
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
    if (name === 'outlook.timezone' && resolveZone(value)) preferences.timeZone = value;
    if (name === 'idtype' && value.toLowerCase() === 'immutableid') preferences.idType = 'immutable';
    if (name === 'odata.maxpagesize' && /^\d+$/.test(value) && Number(value) > 0) {
      preferences.maxPageSize = Number(value);
    }
    if (name === 'outlook.body-content-type' && (value === 'text' || value === 'html')) {
      preferences.bodyContentType = value;
    }
  }
  return preferences;
}

/** The Preference-Applied header value for the preferences a handler honoured. */
export function appliedPreferences(
  preferences: Preferences,
  honoured: { timeZone?: boolean; idType?: boolean; maxPageSize?: boolean; bodyContentType?: boolean },
): string | undefined {
  const applied: string[] = [];
  if (honoured.timeZone && preferences.timeZone) applied.push(`outlook.timezone="${preferences.timeZone}"`);
  if (honoured.idType && preferences.idType === 'immutable') applied.push('IdType="ImmutableId"');
  if (honoured.maxPageSize && preferences.maxPageSize)
    applied.push(`odata.maxpagesize=${preferences.maxPageSize}`);
  if (honoured.bodyContentType && preferences.bodyContentType) {
    applied.push(`outlook.body-content-type="${preferences.bodyContentType}"`);
  }
  return applied.length > 0 ? applied.join(', ') : undefined;
}

const quoted = /'((?:[^']|'')*)'/;
const unquote = (value: string): string => value.replaceAll("''", "'");

export function parseSelect(query: QueryParams): string[] | undefined {
  const value = query.get('$select');
  if (value === undefined) return undefined;
  return canonicalSelect(
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** $expand=singleValueExtendedProperties($filter=id eq '…' [or id eq '…']) */
export function parseExpand(query: QueryParams): { ids?: string[] } | undefined {
  const value = query.get('$expand')?.trim();
  if (value === undefined) return undefined;
  const match = /^singleValueExtendedProperties(?:\((.*)\))?$/is.exec(value);
  if (!match) {
    throw badRequest(`The Graph emulator does not support $expand=${value}.`);
  }
  const options = match[1]?.trim();
  if (!options) return {};
  const filter = /^\$filter=(.*)$/is.exec(options)?.[1];
  if (!filter) throw badRequest(`The Graph emulator does not support $expand options '${options}'.`);
  const ids = filter.split(/\s+or\s+/i).map((clause) => {
    const id = /^\s*id\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(clause)?.[1];
    if (id === undefined)
      throw badRequest(`The Graph emulator does not support the expand filter '${clause}'.`);
    return canonicalPropertyId(unquote(id));
  });
  return { ids };
}

/**
 * $filter on events. Supported: the extended-property filters Outlook add-in docs use, e.g.
 * `singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value ne null)` or `… ep/value eq '…'`.
 */
export function parseFilter(query: QueryParams): ((instance: EventInstance) => boolean) | undefined {
  const value = query.get('$filter')?.trim();
  if (value === undefined) return undefined;
  const any = /^singleValueExtendedProperties\/any\(\s*(\w+)\s*:\s*(.*)\)$/is.exec(value);
  if (any) {
    const variable = any[1] as string;
    const clauses = (any[2] as string).split(/\s+and\s+/i);
    let id: string | undefined;
    let valueTest: ((v: string) => boolean) | undefined;
    for (const clause of clauses) {
      const idMatch = new RegExp(`^\\s*${variable}/id\\s+eq\\s+${quoted.source}\\s*$`, 'i').exec(clause);
      const neNull = new RegExp(`^\\s*${variable}/value\\s+ne\\s+null\\s*$`, 'i').test(clause);
      const eqValue = new RegExp(`^\\s*${variable}/value\\s+eq\\s+${quoted.source}\\s*$`, 'i').exec(clause);
      if (idMatch) id = canonicalPropertyId(unquote(idMatch[1] as string));
      else if (neNull) valueTest = () => true;
      else if (eqValue) {
        const expected = unquote(eqValue[1] as string);
        valueTest = (v) => v === expected;
      } else throw badRequest(`The Graph emulator does not support the filter clause '${clause}'.`);
    }
    if (id === undefined) throw badRequest('An extended property filter must compare the property id.');
    const propertyId = id;
    const test = valueTest ?? (() => true);
    return (instance) => {
      const property = instance.extendedProperties.get(propertyId);
      return property !== undefined && test(property.value);
    };
  }
  throw badRequest(`The Graph emulator does not support $filter=${value}.`);
}

/** $orderby on start/dateTime, end/dateTime, createdDateTime or lastModifiedDateTime. */
export function parseOrderBy(
  query: QueryParams,
): ((a: EventInstance, b: EventInstance) => number) | undefined {
  const value = query.get('$orderby')?.trim();
  if (value === undefined) return undefined;
  const match =
    /^(start\/dateTime|end\/dateTime|createdDateTime|lastModifiedDateTime)(?:\s+(asc|desc))?$/i.exec(value);
  if (!match) throw badRequest(`The Graph emulator does not support $orderby=${value}.`);
  const field = (match[1] as string).toLowerCase();
  const sign = match[2]?.toLowerCase() === 'desc' ? -1 : 1;
  const key = (e: EventInstance): number =>
    field === 'start/datetime'
      ? e.fields.start
      : field === 'end/datetime'
        ? e.fields.end
        : field === 'createddatetime'
          ? e.createdAt
          : e.lastModifiedAt;
  return (a, b) => sign * (key(a) - key(b));
}

function nonNegativeInteger(query: QueryParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`Invalid value '${value}' for query option ${name}.`);
  return Number(value);
}

export function parseTop(query: QueryParams): number | undefined {
  const top = nonNegativeInteger(query, '$top');
  if (top !== undefined && (top < 1 || top > 1000))
    throw badRequest(`Invalid value '${top}' for query option $top.`);
  return top;
}

export function parseSkip(query: QueryParams): number {
  return nonNegativeInteger(query, '$skip') ?? 0;
}
