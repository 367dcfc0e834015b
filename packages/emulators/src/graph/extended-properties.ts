/**
 * Single-value MAPI extended properties. An id names the MAPI type, a property set GUID and a name
 * or numeric id, e.g. `String {00020329-0000-0000-C000-000000000046} Name cecp-<add-in id>` — the
 * property in which Outlook stores an add-in's custom properties (a JSON object as a string).
 * Matching is case-insensitive; the emulator returns ids with the GUID in lower case.
 */
import { GraphError } from './errors.js';
import type { SingleValueExtendedProperty } from './types.js';

/** PS_PUBLIC_STRINGS, the property set Outlook uses for add-in custom properties. */
export const PS_PUBLIC_STRINGS = '00020329-0000-0000-c000-000000000046';

const TYPES = [
  'Binary',
  'Boolean',
  'CLSID',
  'Currency',
  'Double',
  'Float',
  'Integer',
  'Long',
  'Short',
  'SystemTime',
  'String',
];

const ID = /^\s*(\w+)\s+\{([0-9a-fA-F-]{36})\}\s+(Name|Id)\s+(.+?)\s*$/;

/** The extended property id of an Outlook add-in's custom properties. */
export function customPropertiesId(addinId: string): string {
  return `String {${PS_PUBLIC_STRINGS}} Name cecp-${addinId}`;
}

/** Canonical form of an extended property id; throws Graph's error for ids it cannot parse. */
export function canonicalPropertyId(id: string): string {
  const match = ID.exec(id);
  const type = TYPES.find((t) => t.toLowerCase() === match?.[1]?.toLowerCase());
  if (!match || !type) {
    throw new GraphError(
      400,
      'ErrorInvalidExtendedProperty',
      'The extended property attribute combination is invalid.',
    );
  }
  const kind = match[3]?.toLowerCase() === 'name' ? 'Name' : 'Id';
  return `${type} {${match[2]?.toLowerCase()}} ${kind} ${match[4]}`;
}

const lookupKey = (canonicalId: string): string => canonicalId.toLowerCase();

/** The extended properties of one item, keyed case-insensitively. */
export class ExtendedProperties {
  private readonly values = new Map<string, SingleValueExtendedProperty>();

  set(id: string, value: string): void {
    const canonical = canonicalPropertyId(id);
    this.values.set(lookupKey(canonical), { id: canonical, value });
  }

  get(id: string): SingleValueExtendedProperty | undefined {
    return this.values.get(lookupKey(canonicalPropertyId(id)));
  }

  /** All properties, or only those whose ids are listed. */
  list(ids?: readonly string[]): SingleValueExtendedProperty[] {
    if (!ids) return [...this.values.values()].map((p) => ({ ...p }));
    return ids.flatMap((id) => {
      const found = this.get(id);
      return found ? [{ ...found }] : [];
    });
  }

  clone(): ExtendedProperties {
    const copy = new ExtendedProperties();
    for (const [key, value] of this.values) copy.values.set(key, { ...value });
    return copy;
  }
}
