import { describe, expect, it } from 'vitest';
import { chosenLanguage, parseAcceptLanguage, pickLanguage } from './language.js';

describe('parseAcceptLanguage', () => {
  it('orders tags by quality, then by position', () => {
    expect(parseAcceptLanguage('de;q=0.5, fr-CA, en;q=0.8, es')).toEqual(['fr-CA', 'es', 'en', 'de']);
  });

  it('drops q=0, wildcards and garbage', () => {
    expect(parseAcceptLanguage('fr;q=0, *, en;q=abc, de')).toEqual(['de']);
    expect(parseAcceptLanguage(undefined)).toEqual([]);
  });
});

describe('pickLanguage', () => {
  it('takes the first supported primary subtag', () => {
    expect(pickLanguage(['de-DE', 'fr-BE', 'en'], 'en')).toBe('fr');
    expect(pickLanguage([null, 'EN_gb'], 'fr')).toBe('en');
  });

  it('skips values that are not strings (a repeated query parameter is an array)', () => {
    expect(pickLanguage([['fr', 'en'], 42, { lang: 'fr' }, 'en'], 'fr')).toBe('en');
  });

  it('falls back when nothing matches', () => {
    expect(pickLanguage(['de', undefined, ''], 'fr')).toBe('fr');
  });
});

describe('chosenLanguage', () => {
  it("is the page's ?lang= when it names a language the page has, else none", () => {
    expect(chosenLanguage('?lang=fr')).toBe('fr');
    expect(chosenLanguage('?x=1&lang=en')).toBe('en');
    // The browser's languages are not a choice: without ?lang= the engine's page follows them too.
    expect(chosenLanguage('')).toBeNull();
    expect(chosenLanguage('?lang=de')).toBeNull();
    expect(chosenLanguage('?lang=FR-ca')).toBeNull();
  });
});
