/**
 * Checks JSON payloads against Microsoft Graph's published CSDL ($metadata): every property must be
 * declared on the type or an ancestor, values must have a compatible primitive/enum/complex type,
 * and non-nullable properties must be present. OData annotations (`@odata.*`, `@removed`, `x@odata.*`)
 * are protocol, not properties, and are skipped. The parsed model is cached per file.
 */
import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';

export interface CsdlProperty {
  name: string;
  /** Qualified type, e.g. 'Edm.String', 'microsoft.graph.dateTimeTimeZone', 'Collection(Edm.String)'. */
  type: string;
  nullable: boolean;
  navigation: boolean;
}

export interface CsdlStructuredType {
  name: string;
  kind: 'entity' | 'complex';
  baseType?: string;
  openType: boolean;
  properties: ReadonlyMap<string, CsdlProperty>;
}

export interface CsdlEnumType {
  name: string;
  members: ReadonlySet<string>;
  isFlags: boolean;
}

export interface CsdlModel {
  structured: ReadonlyMap<string, CsdlStructuredType>;
  enums: ReadonlyMap<string, CsdlEnumType>;
}

export interface ConformanceIssue {
  /** JSON path, e.g. $.value[0].resourceData.id */
  path: string;
  message: string;
}

export interface ConformanceOptions {
  /**
   * Non-nullable properties that may be absent, as 'type.property' with a short or qualified type
   * name (e.g. 'changeNotification.changeType'), for documented payloads that omit them.
   */
  notRequired?: readonly string[];
  /** Dynamic properties allowed on open types, by qualified type name; merged with the defaults. */
  openTypeProperties?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Graph documents these dynamic properties: "resourceData … for Outlook resources contains
 * @odata.type, @odata.id, @odata.etag and id".
 */
const DEFAULT_OPEN_TYPE_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  'microsoft.graph.resourceData': ['id'],
};

type XmlNode = Record<string, unknown>;

const ARRAY_ELEMENTS = new Set([
  'Schema',
  'EntityType',
  'ComplexType',
  'EnumType',
  'Property',
  'NavigationProperty',
  'Member',
]);

const cache = new Map<string, CsdlModel>();

/** Parses a CSDL file once per path. */
export function loadCsdl(path: string): CsdlModel {
  let model = cache.get(path);
  if (!model) {
    model = parseCsdl(readFileSync(path, 'utf8'));
    cache.set(path, model);
  }
  return model;
}

export function parseCsdl(xml: string): CsdlModel {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ARRAY_ELEMENTS.has(name),
    // Annotations are most of the file and say nothing about shapes.
    stopNodes: ['*.Annotation', '*.Annotations'],
  });
  const doc = parser.parse(xml) as XmlNode;
  const services = (doc['edmx:Edmx'] as XmlNode)['edmx:DataServices'] as XmlNode;
  const schemas = services.Schema as XmlNode[];
  const aliases = new Map<string, string>();
  for (const schema of schemas) {
    const namespace = schema.Namespace as string;
    aliases.set(namespace, namespace);
    if (typeof schema.Alias === 'string') aliases.set(schema.Alias, namespace);
  }
  const qualify = (type: string): string => {
    const collection = /^Collection\((.*)\)$/.exec(type);
    if (collection) return `Collection(${qualify(collection[1] as string)})`;
    const dot = type.lastIndexOf('.');
    const prefix = type.slice(0, dot);
    const namespace = aliases.get(prefix);
    return namespace ? `${namespace}.${type.slice(dot + 1)}` : type;
  };
  const structured = new Map<string, CsdlStructuredType>();
  const enums = new Map<string, CsdlEnumType>();
  for (const schema of schemas) {
    const namespace = schema.Namespace as string;
    for (const [element, kind] of [
      ['EntityType', 'entity'],
      ['ComplexType', 'complex'],
    ] as const) {
      for (const node of (schema[element] as XmlNode[] | undefined) ?? []) {
        const properties = new Map<string, CsdlProperty>();
        for (const [list, navigation] of [
          ['Property', false],
          ['NavigationProperty', true],
        ] as const) {
          for (const p of (node[list] as XmlNode[] | undefined) ?? []) {
            properties.set(p.Name as string, {
              name: p.Name as string,
              type: qualify(p.Type as string),
              nullable: p.Nullable !== 'false',
              navigation,
            });
          }
        }
        const name = `${namespace}.${node.Name as string}`;
        structured.set(name, {
          name,
          kind,
          ...(typeof node.BaseType === 'string' ? { baseType: qualify(node.BaseType) } : {}),
          openType: node.OpenType === 'true',
          properties,
        });
      }
    }
    for (const node of (schema.EnumType as XmlNode[] | undefined) ?? []) {
      const name = `${namespace}.${node.Name as string}`;
      enums.set(name, {
        name,
        members: new Set(((node.Member as XmlNode[] | undefined) ?? []).map((m) => m.Name as string)),
        isFlags: node.IsFlags === 'true',
      });
    }
  }
  return { structured, enums };
}

/** The type and its ancestors, most derived first. */
export function typeChain(model: CsdlModel, name: string): CsdlStructuredType[] {
  const chain: CsdlStructuredType[] = [];
  let current = model.structured.get(name);
  while (current) {
    chain.push(current);
    current = current.baseType ? model.structured.get(current.baseType) : undefined;
  }
  return chain;
}

function resolveTypeName(model: CsdlModel, name: string): string {
  if (model.structured.has(name) || model.enums.has(name)) return name;
  const qualified = `microsoft.graph.${name}`;
  if (model.structured.has(qualified) || model.enums.has(qualified)) return qualified;
  throw new Error(`Unknown CSDL type ${name}`);
}

const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME_OF_DAY = /^\d{2}:\d{2}(:\d{2}(\.\d{1,12})?)?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DURATION = /^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function primitiveIssue(type: string, value: unknown): string | undefined {
  const expect = (ok: boolean, what: string): string | undefined =>
    ok ? undefined : `expected ${what}, got ${JSON.stringify(value)}`;
  switch (type) {
    case 'Edm.String':
      return expect(typeof value === 'string', 'a string');
    case 'Edm.Boolean':
      return expect(typeof value === 'boolean', 'a boolean');
    case 'Edm.Byte':
    case 'Edm.SByte':
    case 'Edm.Int16':
    case 'Edm.Int32':
      return expect(Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31, `an ${type}`);
    case 'Edm.Int64':
      return expect(
        Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)),
        'an Edm.Int64',
      );
    case 'Edm.Single':
    case 'Edm.Double':
    case 'Edm.Decimal':
      return expect(
        typeof value === 'number' || value === 'NaN' || value === 'INF' || value === '-INF',
        'a number',
      );
    case 'Edm.DateTimeOffset':
      return expect(typeof value === 'string' && DATE_TIME_OFFSET.test(value), 'an Edm.DateTimeOffset');
    case 'Edm.Date':
      return expect(typeof value === 'string' && DATE.test(value), 'an Edm.Date');
    case 'Edm.TimeOfDay':
      return expect(typeof value === 'string' && TIME_OF_DAY.test(value), 'an Edm.TimeOfDay');
    case 'Edm.Duration':
      return expect(typeof value === 'string' && DURATION.test(value), 'an Edm.Duration');
    case 'Edm.Guid':
      return expect(typeof value === 'string' && GUID.test(value), 'an Edm.Guid');
    case 'Edm.Binary':
      return expect(typeof value === 'string' && BASE64.test(value), 'base64 Edm.Binary');
    default:
      // Edm.Stream, Edm.Untyped, geography types: not produced by the emulator; accept.
      return undefined;
  }
}

const isAnnotation = (key: string): boolean => key.includes('@');

class Checker {
  readonly issues: ConformanceIssue[] = [];
  private readonly notRequired: ReadonlySet<string>;
  private readonly openProperties: Readonly<Record<string, readonly string[]>>;

  constructor(
    private readonly model: CsdlModel,
    options: ConformanceOptions,
  ) {
    this.notRequired = new Set(
      (options.notRequired ?? []).map((entry) => {
        const dot = entry.lastIndexOf('.');
        return `${resolveTypeName(model, entry.slice(0, dot))}.${entry.slice(dot + 1)}`;
      }),
    );
    this.openProperties = { ...DEFAULT_OPEN_TYPE_PROPERTIES, ...options.openTypeProperties };
  }

  value(value: unknown, type: string, nullable: boolean, path: string): void {
    if (value === null) {
      if (!nullable) this.issue(path, `must not be null (${type})`);
      return;
    }
    const collection = /^Collection\((.*)\)$/.exec(type);
    if (collection) {
      if (!Array.isArray(value)) {
        this.issue(path, `expected a collection of ${collection[1]}`);
        return;
      }
      value.forEach((element, i) => {
        this.value(element, collection[1] as string, false, `${path}[${i}]`);
      });
      return;
    }
    if (type.startsWith('Edm.')) {
      const problem = primitiveIssue(type, value);
      if (problem) this.issue(path, problem);
      return;
    }
    const enumType = this.model.enums.get(type);
    if (enumType) {
      const members = typeof value === 'string' ? (enumType.isFlags ? value.split(',') : [value]) : [];
      if (members.length === 0 || !members.every((m) => enumType.members.has(m.trim()))) {
        this.issue(path, `${JSON.stringify(value)} is not a member of ${type}`);
      }
      return;
    }
    if (this.model.structured.has(type)) {
      this.structured(value, type, path);
      return;
    }
    this.issue(path, `unknown type ${type}`);
  }

  structured(value: unknown, type: string, path: string): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.issue(path, `expected an object of type ${type}`);
      return;
    }
    const chain = typeChain(this.model, type);
    const declared = new Map<string, { property: CsdlProperty; owner: string }>();
    for (const t of [...chain].reverse()) {
      for (const property of t.properties.values()) declared.set(property.name, { property, owner: t.name });
    }
    const open = chain.some((t) => t.openType);
    const dynamic = new Set(chain.flatMap((t) => this.openProperties[t.name] ?? []));
    for (const [key, child] of Object.entries(value)) {
      if (isAnnotation(key)) continue;
      const entry = declared.get(key);
      if (!entry) {
        if (!(open && dynamic.has(key)))
          this.issue(`${path}.${key}`, `is not declared on ${type} or its base types`);
        continue;
      }
      this.value(child, entry.property.type, entry.property.nullable, `${path}.${key}`);
    }
    for (const { property, owner } of declared.values()) {
      if (property.nullable || property.navigation || property.name in value) continue;
      if (
        this.notRequired.has(`${owner}.${property.name}`) ||
        this.notRequired.has(`${type}.${property.name}`)
      )
        continue;
      this.issue(`${path}.${property.name}`, `non-nullable property of ${owner} is missing`);
    }
  }

  private issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

/** Conformance problems of `payload` as an instance of `typeName` ('event' or 'microsoft.graph.event'). */
export function checkConformance(
  model: CsdlModel,
  typeName: string,
  payload: unknown,
  options: ConformanceOptions = {},
): ConformanceIssue[] {
  const checker = new Checker(model, options);
  checker.value(payload, resolveTypeName(model, typeName), false, '$');
  return checker.issues;
}

/** Throws an Error listing every conformance problem. */
export function assertConforms(
  model: CsdlModel,
  typeName: string,
  payload: unknown,
  options: ConformanceOptions = {},
): void {
  const issues = checkConformance(model, typeName, payload, options);
  if (issues.length > 0) {
    throw new Error(
      `Payload does not conform to ${typeName}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    );
  }
}
