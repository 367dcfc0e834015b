/** The join page's language and its words (src/web/texts.ts). Static markup names keys in data-i18n attributes. */
import { type Language, pickLanguage } from '../shared/language.js';
import { format, type MessageKey } from './texts.js';

export type { MessageKey } from './texts.js';

let current: Language = 'en';

/** ?lang= first, then the language the server chose for <html lang> (Accept-Language), then the browser's. */
export function detectLanguage(): Language {
  const query = new URLSearchParams(location.search).get('lang');
  return pickLanguage(
    [query, document.documentElement.lang, ...navigator.languages, navigator.language],
    'en',
  );
}

export function setLanguage(language: Language): void {
  current = language;
  document.documentElement.lang = language;
}

export function language(): Language {
  return current;
}

export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return format(current, key, vars);
}

/** Fills data-i18n (text), data-i18n-label (aria-label) and data-i18n-placeholder attributes. */
export function translate(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]'))
    el.textContent = t(el.dataset.i18n as MessageKey);
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nLabel as MessageKey));
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-placeholder]'))
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder as MessageKey));
}
