import type { Language } from '../domain/tenants/tenant.js';

export type TemplateField = 'html' | 'text';

export interface TemplatePosition {
  /** 1-based line in the template source. */
  readonly line: number;
  /** 1-based column in the template source. */
  readonly column: number;
}

/**
 * A join-instructions template that cannot be used. Thrown when a tenant saves a template, so that a
 * bad template is refused then and never breaks meeting creation. `detail` is written for the admin
 * editing the template (it fits a problem+json `detail`) and says where, when the place is known.
 */
export class TemplateError extends Error {
  readonly field: TemplateField;
  readonly detail: string;
  readonly language: Language | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    field: TemplateField,
    detail: string,
    where: Partial<TemplatePosition> & { language?: Language } = {},
  ) {
    super(`${where.language ? `${where.language} ` : ''}${field} template: ${detail}`);
    this.name = 'TemplateError';
    this.field = field;
    this.detail = detail;
    this.language = where.language;
    this.line = where.line;
    this.column = where.column;
  }

  /** The same error, attributed to one language of a tenant's templates. */
  forLanguage(language: Language): TemplateError {
    return new TemplateError(this.field, this.detail, { line: this.line, column: this.column, language });
  }
}
