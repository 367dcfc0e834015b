/**
 * Live preview of join-instruction templates for the admin console: validated with the same rules
 * as when they are saved, then rendered for a sample meeting (with a guest PIN and, when this
 * Roomlink has one, a dial-in number, so that every usual branch shows).
 */
import type { Config } from '../config/config.js';
import type { Language } from '../domain/tenants/tenant.js';
import { type InstructionTemplates, type JoinDetails, renderInstructions } from '../instructions/index.js';
import { checkTemplates, type FieldError } from './settings.js';

export type PreviewResult =
  | {
      readonly ok: true;
      readonly language: Language;
      readonly html: string;
      readonly text: string;
      readonly warnings: readonly FieldError[];
    }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

export function sampleJoinDetails(config: Config): JoinDetails {
  const conferenceId = '8404512763';
  return {
    meetingId: 'preview',
    joinUrl: new URL('m/preview-sample-link', config.baseUrl).toString(),
    conferenceId,
    sipUri: config.rooms.sipDomain === null ? null : `${conferenceId}@${config.rooms.sipDomain}`,
    guestPin: '731942',
    hostPin: '205318',
    // Only a number this Roomlink has: a made-up one would suggest dial-in works when it does not
    // (the phone branch of a template is still checked when it is saved, with a sample number).
    dialIn: config.rooms.dialInNumber ? { number: config.rooms.dialInNumber } : null,
  };
}

export function previewTemplates(
  language: Language,
  templates: InstructionTemplates,
  sample: JoinDetails,
  helpUrl: string | null = null,
): PreviewResult {
  const { errors, warnings } = checkTemplates(language, templates, '');
  if (errors.length > 0) return { ok: false, errors };
  const failures: FieldError[] = [];
  const rendered = renderInstructions(
    sample,
    language,
    { [language]: templates },
    {
      helpUrl,
      onTemplateError: (error) => failures.push({ path: `/${error.field}`, message: error.detail }),
    },
  );
  if (failures.length > 0) return { ok: false, errors: failures };
  return { ok: true, language: rendered.language, html: rendered.html, text: rendered.text, warnings };
}
