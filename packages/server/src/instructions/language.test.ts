import { describe, expect, it } from 'vitest';
import { pickFirstLanguage } from './language.js';

/** One choice, as a request with only `?lang` or only Accept-Language makes. */
const pickLanguage = (requested: string | undefined, tenantDefault: 'en' | 'fr') =>
  pickFirstLanguage([requested], tenantDefault);

describe('pickLanguage', () => {
  it.each([
    ['fr', 'fr'],
    ['fr-CA', 'fr'],
    ['fr_FR', 'fr'],
    ['FR-fr', 'fr'],
    ['en-GB', 'en'],
    ['de', 'fr'],
    ['de-CH, fr;q=0.8, en;q=0.5', 'fr'],
    ['en;q=0.2, fr;q=0.9', 'fr'],
    ['en;q=0.5, fr;q=0.5', 'en'],
    ['fr;q=0, en', 'en'],
    ['de, *;q=0.1', 'fr'],
    ['*', 'fr'],
    ['fr;q=2, en;q=0.3', 'en'],
    ['fr;q=abc, en;q=0.3', 'en'],
    ['', 'fr'],
    [undefined, 'fr'],
    [';;;,,,', 'fr'],
  ])('%s → %s (tenant default fr)', (requested, expected) => {
    expect(pickLanguage(requested, 'fr')).toBe(expected);
  });

  it('unsupported languages fall back to whichever default the tenant has', () => {
    expect(pickLanguage('de-DE', 'en')).toBe('en');
    expect(pickLanguage('es, it;q=0.9', 'fr')).toBe('fr');
  });

  it('reads only a bounded prefix of absurd headers', () => {
    expect(pickLanguage(`${'de,'.repeat(10_000)}fr`, 'en')).toBe('en');
  });
});

describe('pickFirstLanguage', () => {
  it('takes the first choice Roomlink speaks, then the tenant default', () => {
    expect(pickFirstLanguage(['de', undefined, 'fr-CA, en;q=0.5'], 'en')).toBe('fr');
    expect(pickFirstLanguage(['', null, '*'], 'fr')).toBe('fr');
    expect(pickFirstLanguage(['en', 'fr'], 'fr')).toBe('en');
  });
});
