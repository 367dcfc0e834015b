/**
 * The template engine behind join instructions: Handlebars, narrowed to a logic-light subset that is
 * checked when a template is saved. Everything a template may refer to is known in advance, so the
 * checks are static (with positions) and a template that passes them renders at meeting time with
 * no surprises; sample renders then check what the output looks like.
 */
import Handlebars from 'handlebars';
import type { Language } from '../domain/tenants/tenant.js';
import { TemplateError, type TemplateField, type TemplatePosition } from './errors.js';
import { decodeEntities, inspectHtml } from './html-policy.js';
import { RESERVED_PATTERN } from './marker.js';

/** What templates render from. The meeting subject is deliberately absent: it is personal data. */
export interface TemplateContext {
  readonly joinUrl: string;
  readonly conferenceId: string;
  /** Null when this Roomlink has no SIP gateway (ROOMLINK_SIP_DOMAIN=none). */
  readonly sipUri: string | null;
  readonly guestPin: string | null;
  /** Lets a guest take the host's role: see DEFAULT_TEMPLATES for why the defaults never show it. */
  readonly hostPin: string;
  readonly dialIn: { readonly number: string } | null;
  readonly helpUrl: string | null;
  readonly lang: Language;
}

/** What a template passed validation with: for the admin UI (e.g. to show the warnings). */
export interface TemplateCheck {
  readonly field: TemplateField;
  /** Variables used, as dotted paths from the top (`joinUrl`, `dialIn.number`). */
  readonly variables: readonly string[];
  readonly helpers: readonly string[];
  /** Accepted but worth a second look, e.g. the host PIN sent to every attendee. */
  readonly warnings: readonly string[];
}

export interface PreparedTemplate {
  readonly check: TemplateCheck;
  render(context: TemplateContext): string;
}

export const MAX_TEMPLATE_LENGTH = 20_000;
const MAX_OUTPUT: Readonly<Record<TemplateField, number>> = { html: 32_000, text: 4_000 };

type Shape = 'value' | { readonly [key: string]: Shape };

const CONTEXT_SHAPE: { readonly [K in keyof TemplateContext]: Shape } = {
  joinUrl: 'value',
  conferenceId: 'value',
  sipUri: 'value',
  guestPin: 'value',
  hostPin: 'value',
  dialIn: { number: 'value' },
  helpUrl: 'value',
  lang: 'value',
};
const VARIABLE_NAMES = 'joinUrl, conferenceId, sipUri, guestPin, hostPin, dialIn.number, helpUrl, lang';

interface Helper {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly fn: (...args: string[]) => string;
}

const HELPERS: Readonly<Record<string, Helper>> = {
  /** `1234567890` → `123 456 7890`: groups of three, never a lone digit at the end. */
  formatConferenceId: { minArgs: 1, maxArgs: 1, fn: formatConferenceId },
  /** `tel:` link for a phone number, optionally one-tap with the conference id (`,,<id>#`). */
  telHref: { minArgs: 1, maxArgs: 2, fn: telHref },
};
const BLOCK_HELPERS = new Set(['if', 'unless', 'with']);
const HELPER_NAMES = `${Object.keys(HELPERS).join(', ')} and the blocks #if, #unless, #with`;

export function formatConferenceId(id: string): string {
  const digits = id.replace(/\s+/g, '');
  if (!/^\d+$/.test(digits)) return id;
  const groups: string[] = digits.match(/\d{1,3}/g) ?? [];
  if (groups.length > 1 && (groups.at(-1) as string).length === 1) {
    groups.push(`${groups.splice(-2, 2).join('')}`);
  }
  return groups.join(' ');
}

export function telHref(number: string, conferenceId?: string): string {
  const dial = number.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
  if (!/\d/.test(dial)) return '';
  const id = conferenceId?.replace(/\D/g, '');
  return id ? `tel:${dial},,${id}%23` : `tel:${dial}`;
}

/** An isolated environment: tenant templates see only our helpers, whatever else uses Handlebars. */
const env = Handlebars.create();
for (const name of ['each', 'lookup', 'log']) env.unregisterHelper(name);
for (const [name, helper] of Object.entries(HELPERS)) {
  // Handlebars passes its options object last; helpers see only the template's arguments.
  env.registerHelper(name, (...args: unknown[]) =>
    helper.fn(...args.slice(0, -1).map((a) => (a == null ? '' : String(a)))),
  );
}
const KNOWN_HELPERS = {
  ...Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true])),
  each: false,
  lookup: false,
  log: false,
};

/**
 * Compile options: strict (an unknown variable throws instead of rendering empty) and known helpers
 * only. Text templates are not HTML-escaped: they become a plain-text body, where `&amp;` would be
 * shown as is; the values are server-made (URLs, digits) and cannot add markup to plain text.
 */
function compileOptions(field: TemplateField): CompileOptions {
  return { strict: true, knownHelpersOnly: true, knownHelpers: KNOWN_HELPERS, noEscape: field === 'text' };
}
type CompileOptions = NonNullable<Parameters<typeof env.compile>[1]>;

const CACHE_LIMIT = 512;
const cache: Record<TemplateField, Map<string, PreparedTemplate | TemplateError>> = {
  html: new Map(),
  text: new Map(),
};

/**
 * Validates and compiles a template, once per distinct source text: rendering happens on the hot path
 * of meeting creation, so after the first call this is a map lookup.
 */
export function prepareTemplate(source: string, field: TemplateField): PreparedTemplate {
  if (typeof source !== 'string') return prepare(source, field);
  const known = cache[field].get(source);
  if (known instanceof TemplateError) throw known;
  if (known) return known;
  let outcome: PreparedTemplate | TemplateError;
  try {
    outcome = prepare(source, field);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    outcome = error;
  }
  const entries = cache[field];
  if (entries.size >= CACHE_LIMIT) entries.delete(entries.keys().next().value as string);
  entries.set(source, outcome);
  if (outcome instanceof TemplateError) throw outcome;
  return outcome;
}

/** Characters as the settings schema counts them (JSON Schema's maxLength: code points, not UTF-16 units). */
function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // The low half of a surrogate pair belongs to the character its high half began.
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

function prepare(source: string, field: TemplateField): PreparedTemplate {
  if (typeof source !== 'string') throw new TemplateError(field, 'the template must be text');
  if (source.trim() === '') throw new TemplateError(field, 'the template is empty');
  if (codePoints(source) > MAX_TEMPLATE_LENGTH) {
    throw new TemplateError(
      field,
      `the template is longer than ${MAX_TEMPLATE_LENGTH.toLocaleString('en')} characters`,
    );
  }
  const ast = parse(source, field);
  const analysis = new Analysis(field);
  analysis.program(ast, [{ shape: CONTEXT_SHAPE, path: '' }]);
  const template = env.compile<TemplateContext>(ast, compileOptions(field));
  const render = (context: TemplateContext) => template(context);
  for (const sample of SAMPLES) checkOutput(source, field, renderSample(render, sample, field), sample);
  const warnings = analysis.variables.has('hostPin')
    ? ['hostPin is sent to every attendee: anyone who receives the invitation could join as the host']
    : [];
  return {
    check: {
      field,
      variables: [...analysis.variables].sort(),
      helpers: [...analysis.helpers].sort(),
      warnings,
    },
    render,
  };
}

/**
 * Parses the template, turning Handlebars' failures into sentences for the admin. Its parser speaks
 * in grammar tokens ("expected 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF'"), which
 * say nothing to someone editing an e-mail; the usual mistakes (a block left open, a closing tag
 * with no block, mismatched names) are named with the tags as written. The position is given once,
 * at the end, as in every other template error.
 */
function parse(source: string, field: TemplateField): hbs.AST.Program {
  try {
    return env.parse(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const exception = error as { lineNumber?: number; column?: number };
    if (typeof exception.lineNumber === 'number') {
      // Handlebars' own check, at the opening tag: "if doesn't match unless - 2:3".
      const where = { line: exception.lineNumber, column: (exception.column ?? 0) + 1 };
      const mismatch = /^(\S+) doesn't match (\S+) - \d+:\d+$/.exec(message);
      const detail = mismatch
        ? `{{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}: a block ends with its own name, {{/${mismatch[1]}}}`
        : message.replace(/ - \d+:\d+$/, '');
      throw new TemplateError(field, `${detail} (${at(where)})`, where);
    }
    // The generated parser's: "Parse error on line 3: …\nExpecting 'A', 'B', got 'C'".
    const loc = (Handlebars as unknown as { Parser?: { lexer?: { yylloc?: LexerLocation } } }).Parser?.lexer
      ?.yylloc;
    const line = Number(/on line (\d+)/.exec(message)?.[1] ?? loc?.first_line ?? 1);
    let where: TemplatePosition = { line, column: loc && loc.first_line === line ? loc.first_column + 1 : 1 };
    const [, expected = '', got] = /\nExpecting ([^\n]*), got '(\w+)'$/.exec(message) ?? [];
    let detail: string;
    if (got === 'EOF' && expected.includes("'OPEN_ENDBLOCK'")) {
      const open = unclosedBlock(source);
      if (open) where = open.where;
      detail = open
        ? `${open.tag} is not closed: the template ends before its {{/${open.name}}}`
        : 'a block is not closed: the template ends before its {{/…}}';
    } else if (got === 'OPEN_ENDBLOCK') {
      const tag = /^\{\{~?\/[^}]*\}\}/.exec(
        source.split('\n')[where.line - 1]?.slice(where.column - 1) ?? '',
      );
      detail = `${shortTag(tag?.[0] ?? '{{/…}}')} has no open block to close`;
    } else if (got === 'INVERSE' || got === 'OPEN_INVERSE_CHAIN') {
      detail = '{{else}} is outside any block: it belongs between a {{#if}} or {{#unless}} and its end';
    } else {
      detail = 'syntax error: this {{…}} cannot be read (an unclosed or mistyped {{ }}?)';
    }
    throw new TemplateError(field, `${detail} (${at(where)})`, where);
  }
}

/** Block tags as written: comments first (they may hold braces), then {{#name …}}, {{^name}}, {{/name}}. */
const BLOCK_TAG = /\{\{!--[\s\S]*?--~?\}\}|\{\{~?![\s\S]*?\}\}|\{\{~?\s*([#^/])\s*([^\s}~()]+)[^}]*\}\}/g;

/** The innermost block still open at the end of `source`, when the parser reached the end inside one. */
function unclosedBlock(source: string): { tag: string; name: string; where: TemplatePosition } | undefined {
  const open: { tag: string; name: string; index: number }[] = [];
  for (const match of source.matchAll(BLOCK_TAG)) {
    const [tag, sigil, name] = match;
    if (!sigil || !name) continue;
    if (sigil === '/') open.pop();
    else open.push({ tag: shortTag(tag), name, index: match.index });
  }
  const last = open.at(-1);
  if (!last) return undefined;
  const before = source.slice(0, last.index);
  const where = { line: before.split('\n').length, column: last.index - before.lastIndexOf('\n') };
  return { tag: last.tag, name: last.name, where };
}

/** A tag quoted in a message, cut short when long. */
function shortTag(tag: string): string {
  return tag.length <= 40 ? tag : `${tag.slice(0, 36)}…}}`;
}

interface LexerLocation {
  readonly first_line: number;
  readonly first_column: number;
}

function at(where: TemplatePosition): string {
  return `on line ${where.line}, column ${where.column}`;
}

function positionOf(node: hbs.AST.Node): TemplatePosition {
  return { line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 };
}

interface Scope {
  readonly shape: Shape;
  /** Dotted path of this scope from the top, for reporting variables used. */
  readonly path: string;
}

/** Walks the template's syntax tree and refuses anything outside the logic-light subset. */
class Analysis {
  readonly variables = new Set<string>();
  readonly helpers = new Set<string>();

  constructor(private readonly field: TemplateField) {}

  program(program: hbs.AST.Program, scopes: readonly Scope[]): void {
    if (program.blockParams?.length) this.fail(program, 'block parameters (as |…|) are not allowed');
    for (const statement of program.body) this.statement(statement, scopes);
  }

  private statement(node: hbs.AST.Statement, scopes: readonly Scope[]): void {
    switch (node.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const mustache = node as hbs.AST.MustacheStatement;
        if (!mustache.escaped) {
          this.fail(node, 'unescaped output ({{{…}}} or {{&…}}) is not allowed: write {{…}}, which escapes');
        }
        this.call(mustache, scopes, true);
        return;
      }
      case 'BlockStatement':
        this.block(node as hbs.AST.BlockStatement, scopes);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        this.fail(node, 'partials ({{> …}}) are not allowed');
        break;
      case 'Decorator':
      case 'DecoratorBlock':
        this.fail(node, 'decorators ({{* …}}) are not allowed');
        break;
      default:
        this.fail(node, `${node.type} is not allowed`);
    }
  }

  private block(node: hbs.AST.BlockStatement, scopes: readonly Scope[]): void {
    const name = node.path.type === 'PathExpression' ? node.path.original : '';
    if (!BLOCK_HELPERS.has(name)) {
      const hint = node.inverse && !node.program?.body.length ? ' (for {{^x}}, write {{#unless x}})' : '';
      this.fail(node, `the block {{#${name}}} is not allowed; only #if, #unless and #with${hint}`);
    }
    if (node.params.length !== 1 || node.hash?.pairs.length) {
      this.fail(node, `{{#${name}}} takes exactly one argument`);
    }
    const subject = node.params[0] as hbs.AST.Expression;
    const inner = this.expression(subject, scopes, false);
    if (name === 'with') {
      if (!inner) this.fail(subject, '{{#with}} needs a variable');
      this.program(node.program, [...scopes, inner as Scope]);
    } else {
      this.program(node.program, scopes);
    }
    if (node.inverse) this.program(node.inverse, scopes);
  }

  /** A mustache or sub-expression: a helper call, or a variable when it has no arguments. */
  private call(
    node: hbs.AST.MustacheStatement | hbs.AST.SubExpression,
    scopes: readonly Scope[],
    output: boolean,
  ): void {
    const path = node.path;
    if (path.type !== 'PathExpression') this.fail(node, 'a literal cannot be output as a variable');
    const name = (path as hbs.AST.PathExpression).original;
    const hasArguments = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
    const helper = HELPERS[name];
    if (helper || hasArguments || BLOCK_HELPERS.has(name)) {
      if (BLOCK_HELPERS.has(name)) {
        this.fail(node, `{{${name}}} must be written as a block: {{#${name} …}}…{{/${name}}}`);
      }
      if (!helper) this.fail(node, `unknown helper "${name}"; available: ${HELPER_NAMES}`);
      if (node.hash?.pairs.length) this.fail(node, `${name} takes no named arguments`);
      if (node.params.length < helper.minArgs || node.params.length > helper.maxArgs) {
        const count =
          helper.minArgs === helper.maxArgs ? `${helper.minArgs}` : `${helper.minArgs} or ${helper.maxArgs}`;
        this.fail(node, `${name} takes ${count} argument${helper.maxArgs > 1 ? 's' : ''}`);
      }
      this.helpers.add(name);
      for (const param of node.params) this.expression(param, scopes, true);
      return;
    }
    const scope = this.variable(path as hbs.AST.PathExpression, scopes);
    if (output && scope.shape !== 'value') {
      const fields = Object.keys(scope.shape).map((key) => (scope.path ? `${scope.path}.${key}` : key));
      this.fail(node, `${name} is not a value that can be shown; use one of ${fields.join(', ')}`);
    }
  }

  /** Returns the scope an expression designates when it is a variable. */
  private expression(node: hbs.AST.Expression, scopes: readonly Scope[], valueOnly: boolean): Scope | null {
    switch (node.type) {
      case 'PathExpression': {
        const scope = this.variable(node as hbs.AST.PathExpression, scopes);
        if (valueOnly && scope.shape !== 'value')
          this.fail(node, `${(node as hbs.AST.PathExpression).original} is not a value`);
        return scope;
      }
      case 'SubExpression':
        this.call(node as hbs.AST.SubExpression, scopes, false);
        return null;
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral':
      case 'NullLiteral':
      case 'UndefinedLiteral':
        return null;
      default:
        this.fail(node, `${node.type} is not allowed here`);
    }
  }

  private variable(path: hbs.AST.PathExpression, scopes: readonly Scope[]): Scope {
    if (path.data) this.fail(path, `@-variables (${path.original}) are not available`);
    if (path.depth >= scopes.length) this.fail(path, `${path.original} goes above the top of the data`);
    let scope = scopes[scopes.length - 1 - path.depth] as Scope;
    for (const part of path.parts) {
      const shape = scope.shape;
      if (shape === 'value' || !Object.hasOwn(shape, part)) {
        this.fail(path, `unknown variable "${path.original}"; available: ${VARIABLE_NAMES}`);
      }
      scope = {
        shape: (shape as Record<string, Shape>)[part] as Shape,
        path: scope.path ? `${scope.path}.${part}` : part,
      };
    }
    if (scope.path) this.variables.add(scope.path);
    return scope;
  }

  private fail(node: hbs.AST.Node, message: string): never {
    const where = positionOf(node);
    throw new TemplateError(this.field, `${message} (${at(where)})`, where);
  }
}

// ---------------------------------------------------------------------------------------------
// Sample renders: every combination of the optional parts, in both languages.

const SAMPLE_JOIN_URL = 'https://roomlink.example/m/Sample0Join0Link0Slug0';
const SAMPLES: readonly TemplateContext[] = (['en', 'fr'] as const).flatMap((lang) =>
  [true, false].flatMap((guest) =>
    [true, false].flatMap((dial) =>
      [true, false].flatMap((help) =>
        [true, false].map((sip) => ({
          joinUrl: SAMPLE_JOIN_URL,
          conferenceId: '1234567890',
          sipUri: sip ? '1234567890@sip.roomlink.example' : null,
          guestPin: guest ? '482913' : null,
          hostPin: '739204',
          dialIn: dial ? { number: '+33 1 23 45 67 89' } : null,
          helpUrl: help ? 'https://help.roomlink.example/join' : null,
          lang,
        })),
      ),
    ),
  ),
);

function renderSample(
  render: (c: TemplateContext) => string,
  sample: TemplateContext,
  field: TemplateField,
): string {
  try {
    return render(sample);
  } catch (error) {
    const e = error as { message?: string; lineNumber?: number; column?: number };
    const where = typeof e.lineNumber === 'number' ? { line: e.lineNumber, column: (e.column ?? 0) + 1 } : {};
    throw new TemplateError(
      field,
      `does not render (${describeSample(sample)}): ${e.message ?? String(error)}`,
      where,
    );
  }
}

function checkOutput(source: string, field: TemplateField, output: string, sample: TemplateContext): void {
  const fail = (message: string, snippets: readonly string[] = []): never => {
    const where = locateFirst(source, snippets);
    const suffix = where ? ` (${at(where)})` : ` (in the output ${describeSample(sample)})`;
    throw new TemplateError(field, `${message}${suffix}`, where ?? {});
  };
  if (output.length > MAX_OUTPUT[field]) fail(`the output is longer than ${MAX_OUTPUT[field]} characters`);
  const visible = field === 'html' ? decodeEntities(output) : output;
  const reserved = RESERVED_PATTERN.exec(visible);
  if (reserved) {
    fail(
      `"${reserved[0].slice(0, 24)}" is reserved for the block's markers (no runs of 20 underscores, no roomlink-join or roomlink:begin/end)`,
      [reserved[0].slice(0, 20)],
    );
  }
  if (field === 'text') {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
    const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(output);
    if (control) fail('control characters are not allowed');
    if (!output.includes(sample.joinUrl)) fail('the text must contain the join link, {{joinUrl}}');
    return;
  }
  const inspected = inspectHtml(output);
  if ('problem' in inspected) fail(inspected.problem.message, inspected.problem.snippets);
  else if (!inspected.summary.links.includes(sample.joinUrl)) {
    fail('the HTML must link to the meeting: <a href="{{joinUrl}}">…</a>');
  }
}

function describeSample(sample: TemplateContext): string {
  const parts = [
    `lang ${sample.lang}`,
    sample.guestPin ? 'with a guest PIN' : 'without a guest PIN',
    sample.dialIn ? 'with dial-in' : 'without dial-in',
    sample.helpUrl ? 'with a help link' : 'without a help link',
    sample.sipUri ? 'with a SIP address' : 'without a SIP address',
  ];
  return parts.join(', ');
}

/** Where the first of `snippets` that appears in the source as written is. */
function locateFirst(source: string, snippets: readonly string[]): TemplatePosition | undefined {
  const lower = source.toLowerCase();
  const index = snippets.map((s) => (s ? lower.indexOf(s.toLowerCase()) : -1)).find((i) => i !== -1) ?? -1;
  if (index === -1) return undefined;
  const before = source.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}
