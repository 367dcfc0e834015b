import PgBoss from 'pg-boss';
import { describe, expect, it } from 'vitest';
import { pgBossSchemaFor } from './index.js';
import { pgBossSchemaOf, selectedSchema } from './pg-boss-schema.js';

const url = (options: string) => {
  const u = new URL('postgres://db/roomlink');
  u.searchParams.set('options', options);
  return u.toString();
};
const withSearchPath = (searchPath: string) => url(`-c search_path=${searchPath}`);

/** A name pg-boss 10 takes (it checks length and characters) and PostgreSQL keeps as written (unquoted). */
function expectUsable(name: string): void {
  expect(name.length).toBeLessThanOrEqual(50);
  expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
  expect(() => new PgBoss({ connectionString: 'postgres://db/roomlink', schema: name })).not.toThrow();
}

describe('pgBossSchemaFor', () => {
  it('keeps pg-boss beside the schema DATABASE_URL selects', () => {
    expect(pgBossSchemaFor('postgres://db/roomlink')).toBe('pgboss');
    expect(pgBossSchemaFor('postgres://db/roomlink?options=-c%20search_path%3Dpublic')).toBe('pgboss');
    expect(pgBossSchemaFor('postgres://db/roomlink?options=-c%20search_path%3Dt_0a1b2c')).toBe(
      't_0a1b2c_pgboss',
    );
    expect(pgBossSchemaFor('postgres://db/roomlink?options=-c search_path=Tenant_A')).toBe('tenant_a_pgboss');
  });

  it('names every schema as before whose name is a plain lowercase identifier of up to 43 characters', () => {
    const longest = `r${'x'.repeat(42)}`;
    for (const [given, expected] of [
      ['public', 'pgboss'],
      ['roomlink', 'roomlink_pgboss'],
      ['roomlink_eu', 'roomlink_eu_pgboss'],
      ['_roomlink2', '_roomlink2_pgboss'],
      ['roomlink,public', 'roomlink_pgboss'],
      ['"$user",public', 'pgboss'],
      ['ROOMLINK', 'roomlink_pgboss'], // unquoted: PostgreSQL lowercases it
      [longest, `${longest}_pgboss`],
    ] as const) {
      expect(pgBossSchemaFor(withSearchPath(given)), given).toBe(expected);
    }
    expect(pgBossSchemaFor('not a url')).toBe('pgboss');
  });

  it('gives schemas whose names differ only in what a plain identifier cannot hold their own queue', () => {
    // Before: both were roomlink_pgboss, one queue running each deployment's jobs in the other's schema.
    expect(pgBossSchemaFor(withSearchPath('roomlink-us'))).not.toBe(
      pgBossSchemaFor(withSearchPath('roomlink-eu')),
    );
    const schemas = [
      'roomlink',
      'roomlink_eu',
      'roomlink-eu',
      'roomlink-us',
      'roomlink.eu',
      'roomlink--eu',
      'Roomlink_EU', // quoted: another schema than roomlink_eu
      'roomlink eu',
      '1roomlink',
      'rööm',
      'röom',
      'pgboss',
    ];
    // As a URL names each: quoted, so that PostgreSQL keeps it as it is.
    const quoted = (name: string) => `"${name.replaceAll('"', '""').replaceAll(' ', '\\ ')}"`;
    const names = schemas.map((schema) => pgBossSchemaFor(withSearchPath(quoted(schema))));
    expect(names).toEqual(schemas.map((schema) => pgBossSchemaOf(schema)));
    expect(new Set([...names, 'pgboss']).size).toBe(schemas.length + 1);
    for (const name of names) expectUsable(name);
    // The readable part, then 8 hex digits of SHA-256 over the name (docs/configuration.md).
    expect(pgBossSchemaOf('roomlink-eu')).toBe('roomlink_eu_2d44fb89_pgboss');
    expect(pgBossSchemaOf('1roomlink')).toMatch(/^_1roomlink_[0-9a-f]{8}_pgboss$/);
    // Unquoted names are lowercased by PostgreSQL, quoted ones are not: two schemas, two queues.
    expect(pgBossSchemaFor(withSearchPath('Roomlink-EU'))).toBe(pgBossSchemaOf('roomlink-eu'));
    expect(pgBossSchemaFor(withSearchPath('"Roomlink_EU"'))).not.toBe(
      pgBossSchemaFor(withSearchPath('roomlink_eu')),
    );
  });

  it('reads the search_path as PostgreSQL does', () => {
    for (const options of [
      '-c search_path=roomlink-eu',
      '-csearch_path=roomlink-eu',
      '--search_path=roomlink-eu',
      '--search-path=roomlink-eu',
      '-c SEARCH_PATH=Roomlink-EU,public',
      '-c search_path="roomlink-eu"',
      '-c search_path=other -c statement_timeout=0 -c search_path=roomlink-eu',
    ]) {
      expect(selectedSchema(url(options)), options).toBe('roomlink-eu');
    }
    expect(selectedSchema(url('-c statement_timeout=0'))).toBeUndefined();
    expect(selectedSchema(url('-c search_path=$user,public'))).toBeUndefined();
    expect(selectedSchema(url('-c search_path="a""b"'))).toBe('a"b');
  });

  it('stays within pg-boss’s 50 characters (and PostgreSQL’s 63 bytes) for long names, and apart', () => {
    const base = 'r'.repeat(40);
    const long = [`${base}xxxx`, `${base}yyyy`, 'r'.repeat(56), 'r'.repeat(63), `${'é'.repeat(31)}a`];
    const names = long.map((schema) => pgBossSchemaOf(schema));
    expect(new Set(names).size).toBe(long.length);
    for (const name of names) expectUsable(name);
    // PostgreSQL truncates a longer name to 63 bytes: the same schema, so the same queue.
    expect(pgBossSchemaFor(withSearchPath('r'.repeat(70)))).toBe(pgBossSchemaOf('r'.repeat(63)));
  });
});
