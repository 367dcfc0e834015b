/**
 * Join instructions: rendered per tenant from Handlebars templates (English and French built in,
 * tenant overrides validated when saved), wrapped in the marker the add-in and the sync look for.
 */
import Handlebars from 'handlebars';
import type { Language } from '../domain/tenants/tenant.js';
import { DEFAULT_TEMPLATES, type InstructionTemplates } from './defaults.js';
import { wrapHtmlBlock, wrapTextBlock } from './marker.js';

export { DEFAULT_TEMPLATES, type InstructionTemplates } from './defaults.js';
export * from './marker.js';

export type { Language };
export type TenantTemplates = Partial<Record<Language, InstructionTemplates>>;

export interface JoinDetails {
  readonly meetingId: string;
  readonly joinUrl: string;
  readonly conferenceId: string;
  readonly sipUri: string;
  readonly guestPin: string | null;
  /** Available to templates for organizer-only renderings; the defaults never show it. */
  readonly hostPin: string;
  readonly dialIn: { readonly number: string } | null;
}

export interface RenderedInstructions {
  readonly language: Language;
  readonly html: string;
  readonly text: string;
}

export class TemplateError extends Error {
  constructor(
    readonly field: 'html' | 'text',
    readonly detail: string,
  ) {
    super(`${field} template: ${detail}`);
    this.name = 'TemplateError';
  }
}

const SUPPORTED: readonly Language[] = ['en', 'fr'];

/** An isolated Handlebars with only our helper: tenant templates cannot reach anything else. */
const hbs = Handlebars.create();
hbs.registerHelper('formatConferenceId', (id: unknown) =>
  typeof id === 'string' ? id.replace(/(\d{3})(?=\d)/g, '$1 ').trim() : '',
);
const COMPILE_OPTIONS = { strict: true, knownHelpersOnly: true, knownHelpers: { formatConferenceId: true } };

const compiled = new Map<string, Handlebars.TemplateDelegate>();
function compile(source: string): Handlebars.TemplateDelegate {
  let template = compiled.get(source);
  if (!template) {
    template = hbs.compile(source, { ...COMPILE_OPTIONS, noEscape: false });
    compiled.set(source, template);
  }
  return template;
}

/**
 * Picks the language from a request (`fr`, `fr-CA`, or an Accept-Language header with q-values),
 * falling back to the tenant's default.
 */
export function pickLanguage(requested: string | undefined, fallback: Language): Language {
  if (!requested) return fallback;
  const ranked = requested
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return {
        lang: (tag ?? '').toLowerCase().split('-')[0] ?? '',
        q: q === undefined ? 1 : Number(q),
        index,
      };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return (
    (ranked.find((r) => (SUPPORTED as string[]).includes(r.lang))?.lang as Language | undefined) ?? fallback
  );
}

export function renderInstructions(
  details: JoinDetails,
  language: Language,
  overrides: TenantTemplates = {},
): RenderedInstructions {
  const templates = overrides[language] ?? DEFAULT_TEMPLATES[language];
  const data = { ...details };
  return {
    language,
    html: wrapHtmlBlock(details.meetingId, compile(templates.html)(data)),
    text: wrapTextBlock(compile(templates.text)(data)),
  };
}

const SAMPLES: JoinDetails[] = [
  {
    meetingId: '00000000-0000-4000-8000-000000000000',
    joinUrl: 'https://roomlink.example/m/AAAAAAAAAAAAAAAAAAAAAA',
    conferenceId: '1234567890',
    sipUri: '1234567890@roomlink.example',
    guestPin: '246810',
    hostPin: '135791',
    dialIn: { number: '+33 1 23 45 67 89' },
  },
  {
    meetingId: '00000000-0000-4000-8000-000000000001',
    joinUrl: 'https://roomlink.example/m/BBBBBBBBBBBBBBBBBBBBBB',
    conferenceId: '9876543210',
    sipUri: '9876543210@roomlink.example',
    guestPin: null,
    hostPin: '864209',
    dialIn: null,
  },
];

const UNSAFE_HTML: readonly [RegExp, string][] = [
  [
    /<\s*(script|iframe|object|embed|form|base|meta|link)\b/i,
    'must not contain <script>, <iframe>, <object>, <embed>, <form>, <base>, <meta> or <link>',
  ],
  [/\son[a-z]+\s*=/i, 'must not contain event-handler attributes (on…=)'],
  [
    /(?:href|src|action|style)\s*=\s*["']?[^"'>]*(?:javascript|vbscript|data)\s*:/i,
    'must not contain javascript:, vbscript: or data: URLs',
  ],
];

/**
 * Checks a template pair before it is saved: only escaped variables, no partials, known helpers
 * only, no unsafe HTML, and it must render with sample data (with and without optional parts).
 */
export function validateTemplates(templates: InstructionTemplates): void {
  for (const field of ['html', 'text'] as const) {
    const source = templates[field];
    if (typeof source !== 'string' || source.trim() === '') throw new TemplateError(field, 'is empty');
    if (source.length > 20_000) throw new TemplateError(field, 'is longer than 20,000 characters');
    if (/\{\{\{|\{\{~?\s*&/.test(source))
      throw new TemplateError(field, 'unescaped output ({{{…}}} or {{&…}}) is not allowed');
    if (/\{\{~?\s*[#]?>/.test(source) || /\{\{~?\s*#\*/.test(source)) {
      throw new TemplateError(field, 'partials and decorators are not allowed');
    }
    if (field === 'html') {
      for (const [pattern, message] of UNSAFE_HTML)
        if (pattern.test(source)) throw new TemplateError(field, message);
    }
    let template: Handlebars.TemplateDelegate;
    try {
      template = hbs.compile(source, COMPILE_OPTIONS);
      for (const sample of SAMPLES) template(sample);
    } catch (error) {
      throw new TemplateError(field, describeHandlebarsError(error));
    }
  }
}

function describeHandlebarsError(error: unknown): string {
  const message = (error as { message?: string }).message ?? String(error);
  const parse = /^Parse error on line (\d+):[\s\S]*\n(Expecting [^\n]*)/.exec(message);
  if (parse) return `syntax error on line ${parse[1]}: ${parse[2]}`;
  const helper = /unknown helper (\S+)/.exec(message);
  if (helper)
    return `unknown helper "${helper[1]}"; only formatConferenceId, if, unless, each and with are available`;
  const missing = /"(\w+)" not defined/.exec(message);
  if (missing) return `unknown variable "${missing[1]}"`;
  if (message.includes('lookupProperty')) return 'uses a helper that is not available in join instructions';
  return message.split('\n')[0] ?? 'does not render';
}
