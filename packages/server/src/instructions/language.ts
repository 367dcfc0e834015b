import { LANGUAGES, type Language } from '../domain/tenants/tenant.js';

/** Enough for any real Accept-Language; longer input is cut rather than parsed at length. */
const MAX_INPUT = 512;
const MAX_RANGES = 32;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

interface Range {
  readonly tag: string;
  readonly q: number;
  readonly index: number;
}

/**
 * The first of `choices` that names a supported language, else the tenant's default: a request's
 * `?lang` that Roomlink does not speak (or is empty) falls to the next choice, not at once to the
 * default.
 */
export function pickFirstLanguage(
  choices: ReadonlyArray<string | null | undefined>,
  tenantDefault: Language,
): Language {
  for (const choice of choices) {
    const language = matchLanguage(choice ?? undefined);
    if (language) return language;
  }
  return tenantDefault;
}

/**
 * What `requested` names, if Roomlink speaks it: a language tag (`fr-CA`, `fr_FR`) or a whole
 * Accept-Language header (`de-CH, fr;q=0.8, en;q=0.5`), whose ranges are tried by quality (ties keep
 * their order) and matched on the primary subtag. Undefined for nothing, `*` or only others.
 */
function matchLanguage(requested: string | undefined): Language | undefined {
  if (!requested) return undefined;
  const ranges = parseRanges(requested.slice(0, MAX_INPUT));
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    if (range.tag === '*') return undefined;
    const primary = range.tag.split('-')[0] as string;
    if (isLanguage(primary)) return primary;
  }
  return undefined;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

function parseRanges(header: string): Range[] {
  const ranges: Range[] = [];
  const parts = header.split(',').slice(0, MAX_RANGES);
  parts.forEach((part, index) => {
    const [rawTag = '', ...params] = part.split(';');
    const tag = rawTag.trim().toLowerCase().replaceAll('_', '-');
    if (!/^(?:\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*)$/.test(tag)) return;
    let q = 1;
    for (const param of params) {
      const [key = '', value = ''] = param.split('=').map((s) => s.trim());
      if (key.toLowerCase() !== 'q') continue;
      // A malformed weight makes the whole range unusable rather than silently preferred.
      q = QVALUE.test(value) ? Number(value) : 0;
    }
    if (q > 0) ranges.push({ tag, q, index });
  });
  return ranges;
}
