/**
 * Tenant settings as an admin edits them: checked as a whole (every field's problem reported at
 * once, with a JSON pointer the console shows the message next to), templates validated with the
 * join-instructions rules, and a template identical to the built-in one stored as no override.
 */
import type { Language, TenantSettings } from '../domain/tenants/tenant.js';
import { LANGUAGES } from '../domain/tenants/tenant.js';
import {
  DEFAULT_TEMPLATES,
  type InstructionTemplates,
  TemplateError,
  validateTemplate,
} from '../instructions/index.js';
import {
  isValidRetentionDays,
  MAX_TENANT_RETENTION_DAYS,
  MIN_TENANT_RETENTION_DAYS,
} from '../retention/policy.js';

export const MIN_PIN_LENGTH = 4;
export const MAX_PIN_LENGTH = 10;

/** What the console submits: the tenant's settings, with templates as written (not yet checked). */
export interface SettingsInput extends Omit<TenantSettings, 'templates'> {
  readonly templates: Partial<Record<Language, InstructionTemplates>>;
}

export interface FieldError {
  /** JSON pointer into the settings object, e.g. `/templates/fr/html`. */
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export type SettingsCheck =
  | { readonly ok: true; readonly settings: TenantSettings; readonly warnings: readonly FieldError[] }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

export function checkSettings(input: SettingsInput): SettingsCheck {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  if (!LANGUAGES.includes(input.defaultLanguage)) {
    errors.push({ path: '/defaultLanguage', message: `must be one of ${LANGUAGES.join(', ')}` });
  }
  if (
    !Number.isInteger(input.pinLength) ||
    input.pinLength < MIN_PIN_LENGTH ||
    input.pinLength > MAX_PIN_LENGTH
  ) {
    errors.push({
      path: '/pinLength',
      message: `must be a whole number from ${MIN_PIN_LENGTH} to ${MAX_PIN_LENGTH}`,
    });
  }
  if (!isValidRetentionDays(input.retentionDays)) {
    errors.push({
      path: '/retentionDays',
      message:
        `must be from ${MIN_TENANT_RETENTION_DAYS} to ${MAX_TENANT_RETENTION_DAYS} days, ` +
        'or empty for the default of 3 months (retention can be shortened, never lengthened)',
    });
  }
  const templates: Partial<Record<Language, InstructionTemplates>> = {};
  for (const language of LANGUAGES) {
    const own = input.templates[language];
    if (!own) continue;
    const check = checkTemplates(language, own);
    errors.push(...check.errors);
    warnings.push(...check.warnings);
    const builtIn = DEFAULT_TEMPLATES[language];
    if (check.errors.length === 0 && (own.html !== builtIn.html || own.text !== builtIn.text)) {
      templates[language] = { html: own.html, text: own.text };
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    warnings,
    settings: {
      defaultLanguage: input.defaultLanguage,
      pinLength: input.pinLength,
      guestPinDefault: input.guestPinDefault,
      lobbyDefault: input.lobbyDefault,
      addToEveryMeetingDefault: input.addToEveryMeetingDefault,
      retentionDays: input.retentionDays,
      templates,
    },
  };
}

/** Both templates of one language, each checked on its own so that both can report a problem. */
export function checkTemplates(
  language: Language,
  templates: InstructionTemplates,
  prefix = `/templates/${language}`,
): { errors: FieldError[]; warnings: FieldError[] } {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  for (const field of ['html', 'text'] as const) {
    const path = `${prefix}/${field}`;
    try {
      for (const warning of validateTemplate(templates[field], field).warnings)
        warnings.push({ path, message: warning });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      errors.push({
        path,
        message: error.detail,
        ...(error.line !== undefined ? { line: error.line } : {}),
        ...(error.column !== undefined ? { column: error.column } : {}),
      });
    }
  }
  return { errors, warnings };
}

/** The names of the settings that differ, for the audit log (never the values of templates). */
export function changedSettings(before: TenantSettings, after: TenantSettings): string[] {
  const changed: string[] = [];
  for (const key of [
    'defaultLanguage',
    'pinLength',
    'guestPinDefault',
    'lobbyDefault',
    'addToEveryMeetingDefault',
    'retentionDays',
  ] as const) {
    if (before[key] !== after[key]) changed.push(key);
  }
  for (const language of LANGUAGES) {
    const a = before.templates[language];
    const b = after.templates[language];
    if (a?.html !== b?.html || a?.text !== b?.text) changed.push(`templates.${language}`);
  }
  return changed;
}
