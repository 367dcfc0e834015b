/**
 * Join instructions: the block the add-in writes into an Outlook appointment when a Roomlink meeting
 * is added, rendered per tenant (English and French built in, tenant overrides validated when
 * saved) as HTML and as plain text, each wrapped in the marker the add-in and the calendar sync use
 * to find that block again (see marker.ts).
 */
import type { Language } from '../domain/tenants/tenant.js';
import { DEFAULT_TEMPLATES, type InstructionTemplates } from './defaults.js';
import { prepareTemplate, type TemplateCheck, type TemplateContext } from './engine.js';
import { TemplateError, type TemplateField } from './errors.js';
import { isLanguage } from './language.js';
import { isValidMeetingId, wrapHtmlBlock, wrapTextBlock } from './marker.js';

export { DEFAULT_TEMPLATES, type InstructionTemplates } from './defaults.js';
export { formatConferenceId, MAX_TEMPLATE_LENGTH, type TemplateCheck, telHref } from './engine.js';
export { TemplateError, type TemplateField, type TemplatePosition } from './errors.js';
export { isLanguage, pickFirstLanguage } from './language.js';
export * from './marker.js';
export type { Language };

export interface JoinDetails {
  readonly meetingId: string;
  readonly joinUrl: string;
  readonly conferenceId: string;
  /** Null when this Roomlink has no SIP gateway: the instructions then offer no SIP address. */
  readonly sipUri: string | null;
  readonly guestPin: string | null;
  /** For templates that really want it; the defaults never show it (see defaults.ts). */
  readonly hostPin: string;
  readonly dialIn?: { readonly number: string } | null;
  /** Never part of the block: it is personal data, and Outlook shows it anyway. */
  readonly subject?: never;
}

/** A tenant's overrides, per language; a language without one uses the built-in template. */
export type TenantTemplates = Partial<Record<Language, InstructionTemplates>>;

export interface RenderOptions {
  /** A "Need help?" link in the footer (http(s) or mailto:); none by default. */
  readonly helpUrl?: string | null;
  /**
   * Called when a tenant's stored template cannot be used (it was validated when saved, so this
   * means the rules changed since); the built-in template is used instead, so meetings still get
   * their instructions. The error carries no meeting data: safe to log.
   */
  readonly onTemplateError?: (error: TemplateError) => void;
}

export interface RenderedInstructions {
  readonly language: Language;
  /** Wrapped in the block's markers, ready for insertJoinBlock / replaceJoinBlock. */
  readonly html: string;
  readonly text: string;
}

/**
 * Renders the join block for one meeting. Compiled templates are cached by their text, so this is a
 * few microseconds per call after a template's first use.
 */
export function renderInstructions(
  details: JoinDetails,
  language: Language,
  overrides?: TenantTemplates,
  options: RenderOptions = {},
): RenderedInstructions {
  const lang: Language = isLanguage(language) ? language : 'en';
  const context = toContext(details, lang, options.helpUrl ?? null);
  const own = overrides?.[lang];
  return {
    language: lang,
    html: wrapHtmlBlock(details.meetingId, render('html', own?.html, context, options), lang),
    text: wrapTextBlock(render('text', own?.text, context, options)),
  };
}

/** Checks one template before it is saved; throws TemplateError with a `detail` for the admin. */
export function validateTemplate(source: string, field: TemplateField): TemplateCheck {
  return prepareTemplate(source, field).check;
}

/** Checks a language's pair of templates; the error names the language when one is given. */
export function validateTemplates(
  templates: InstructionTemplates,
  language?: Language,
): { readonly html: TemplateCheck; readonly text: TemplateCheck } {
  try {
    return {
      html: validateTemplate(templates?.html, 'html'),
      text: validateTemplate(templates?.text, 'text'),
    };
  } catch (error) {
    throw error instanceof TemplateError && language ? error.forLanguage(language) : error;
  }
}

/**
 * Checks all of a tenant's overrides (call it when tenant settings are saved). Keys other than the
 * supported languages are left to the settings schema.
 */
export function validateTenantTemplates(
  overrides: TenantTemplates,
): Partial<Record<Language, ReturnType<typeof validateTemplates>>> {
  const checks: Partial<Record<Language, ReturnType<typeof validateTemplates>>> = {};
  for (const [language, templates] of Object.entries(overrides)) {
    if (isLanguage(language) && templates) checks[language] = validateTemplates(templates, language);
  }
  return checks;
}

function render(
  field: TemplateField,
  source: string | undefined,
  context: TemplateContext,
  options: RenderOptions,
): string {
  if (source !== undefined) {
    try {
      return prepareTemplate(source, field).render(context);
    } catch (error) {
      const problem =
        error instanceof TemplateError
          ? error
          : new TemplateError(
              field,
              `does not render: ${error instanceof Error ? error.message : String(error)}`,
            );
      options.onTemplateError?.(problem.forLanguage(context.lang));
    }
  }
  return prepareTemplate(DEFAULT_TEMPLATES[context.lang][field], field).render(context);
}

/** Escaping takes care of the characters; only the scheme needs checking (an href cannot be escaped safe). */
const HTTP_URL = /^https?:\/\/\S+$/i;
const HELP_URL = /^(?:https?:\/\/|mailto:)\S+$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The values come from the server, not from users. Templates escape them, but escaping cannot make a
 * `javascript:` href safe nor keep a meeting id from closing the marker comment: those two are checked.
 */
function toContext(details: JoinDetails, lang: Language, helpUrl: string | null): TemplateContext {
  if (!isValidMeetingId(details.meetingId)) throw new TypeError('meetingId must be letters, digits, - or _');
  if (!HTTP_URL.test(details.joinUrl)) throw new TypeError('joinUrl must be an http(s) URL');
  if (helpUrl !== null && !HELP_URL.test(helpUrl))
    throw new TypeError('helpUrl must be an http(s) or mailto: URL');
  const guestPin = details.guestPin || null;
  const dialIn = details.dialIn?.number.trim() ? { number: details.dialIn.number.trim() } : null;
  for (const value of [details.conferenceId, details.sipUri, details.hostPin, guestPin, dialIn?.number]) {
    if (value && CONTROL.test(value)) throw new TypeError('join details must not contain control characters');
  }
  return {
    joinUrl: details.joinUrl,
    conferenceId: details.conferenceId,
    sipUri: details.sipUri,
    guestPin,
    hostPin: details.hostPin,
    dialIn,
    helpUrl,
    lang,
  };
}
