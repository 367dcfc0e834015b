/**
 * Ajv's errors, read as a person would want them. Ajv reports every branch of an `anyOf` (the
 * schemas' `X | null` and enum-like unions of constants) plus "must match a schema in anyOf", and
 * an unknown property without its name: "must be >= 1; must be null; must match a schema in anyOf"
 * becomes "must be >= 1", two "must be equal to constant" become "must be one of: en, fr", and
 * "must NOT have additional properties" names the property.
 */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** The subset of Ajv's ErrorObject that Fastify hands to the error handler. */
export interface AjvError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

export function fieldErrors(errors: readonly AjvError[], context: string): FieldError[] {
  const byPath = new Map<string, AjvError[]>();
  for (const error of errors) {
    const path = `${context}${error.instancePath || ''}`;
    byPath.set(path, [...(byPath.get(path) ?? []), error]);
  }
  const readable: FieldError[] = [];
  for (const [path, group] of byPath) {
    for (const message of messagesFor(group)) readable.push({ path, message });
  }
  return readable;
}

function messagesFor(group: readonly AjvError[]): string[] {
  const hasUnion = group.some((e) => e.keyword === 'anyOf');
  // A union's branches: the summary line and the `null` branch say nothing the others do not.
  const branches = hasUnion
    ? group.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null'))
    : group;
  const constants = branches.filter((e) => e.keyword === 'const');
  const messages: string[] = [];
  if (constants.length > 1 && constants.length === branches.length) {
    messages.push(`must be one of: ${constants.map((e) => String(e.params.allowedValue)).join(', ')}`);
  } else {
    for (const error of branches.length > 0 ? branches : group) messages.push(messageOf(error));
  }
  return [...new Set(messages)];
}

function messageOf(error: AjvError): string {
  if (error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string')
    return `must not have the property "${error.params.additionalProperty}"`;
  return error.message ?? 'is not valid';
}
