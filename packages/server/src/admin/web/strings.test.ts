/** The admin console's string tables (strings.ts): French says everything English says. */
import { describe, expect, it } from 'vitest';
import { CONSOLE_SCRIPT, countOf, formatTime } from './console-script.js';
import { fill, STRINGS } from './strings.js';

const placesOf = (value: string) => [...value.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('admin console strings', () => {
  it('French has exactly the keys of English, and no value is empty', () => {
    expect(Object.keys(STRINGS.fr).sort()).toEqual(Object.keys(STRINGS.en).sort());
    for (const [language, table] of Object.entries(STRINGS)) {
      for (const [key, value] of Object.entries(table)) {
        expect(typeof value, `${language}.${key}`).toBe('string');
        expect(value.trim(), `${language}.${key}`).not.toBe('');
      }
    }
  });

  it('French fills the same places as English, and sets a no-break space before : ; ? !', () => {
    for (const [key, value] of Object.entries(STRINGS.fr)) {
      expect(placesOf(value), key).toEqual(placesOf(STRINGS.en[key as keyof typeof STRINGS.en]));
      expect(value, key).not.toMatch(/ [:;?!]/);
    }
    expect(STRINGS.fr.notSaved).toBe('Non enregistré\u00a0: ');
  });

  it('fills places, and leaves one without a value as written', () => {
    expect(fill('Erase {name}? {name}', { name: 'Pat' })).toBe('Erase Pat? Pat');
    expect(fill('{count} of {total}', { count: 3 })).toBe('3 of {total}');
    // A value is not read as a template again.
    expect(fill('{a}', { a: '{b}', b: 'no' })).toBe('{b}');
  });

  it('the browser script carries both tables and the same fill, working on its own', () => {
    expect(CONSOLE_SCRIPT).toContain(fill.toString());
    expect(CONSOLE_SCRIPT).toContain(JSON.stringify(STRINGS));
    const embedded = new Function(`${fill.toString()}\nreturn fill;`)() as typeof fill;
    expect(embedded(STRINGS.fr.eraseLabel, { name: 'Pat' })).toBe('Supprimer Pat');
  });

  it('counts and times follow the French locale', () => {
    const locale = STRINGS.fr.intlLocale;
    // French counts 0 and 1 in the singular.
    expect(countOf(0, STRINGS.fr.userOne, STRINGS.fr.userOther, locale)).toBe('0 utilisateur');
    expect(countOf(2, STRINGS.fr.meetingOne, STRINGS.fr.meetingOther, locale)).toBe('2 réunions');
    expect(countOf(1500, 'user', 'users', STRINGS.en.intlLocale)).toBe('1,500 users');
    expect(countOf(1500, 'utilisateur', 'utilisateurs', locale)).toMatch(/^1\s500 utilisateurs$/);
    expect(formatTime('2026-01-15T15:30:00.000Z', 'Europe/Paris', locale)).toMatch(/^15 janv\. 2026.*16:30/);
  });
});
