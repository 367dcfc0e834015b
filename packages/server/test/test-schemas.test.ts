/** The test schemas' names, and the global setup's clean-up of those that runs which died left behind. */
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  dropStaleTestSchemas,
  isStaleTestSchema,
  STALE_AFTER_MS,
  testSchemaName,
} from '../../../test-setup/test-schemas.js';
import { dialectAvailability } from './support/databases.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('test schema names', () => {
  it('carry their creation time: stale only once older than a day', () => {
    const name = testSchemaName(NOW);
    expect(name).toMatch(/^t_[0-9a-z]+_[0-9a-f]{12}$/);
    expect(isStaleTestSchema(name, NOW)).toBe(false);
    expect(isStaleTestSchema(name, NOW + STALE_AFTER_MS)).toBe(false);
    expect(isStaleTestSchema(name, NOW + STALE_AFTER_MS + 1)).toBe(true);
    expect(isStaleTestSchema(`${name}_pgboss`, NOW + STALE_AFTER_MS + 1)).toBe(true);
  });

  it('never judge another name stale: other schemas, and test schemas of the old unnamed-time form', () => {
    const later = NOW + 365 * STALE_AFTER_MS;
    for (const name of [
      'public',
      'pgboss',
      't_0123456789ab',
      't_abc',
      't_mk0g0a1b_0123456789ab; drop',
      'T_X',
    ])
      expect(isStaleTestSchema(name, later)).toBe(false);
  });
});

const { skip, label } = dialectAvailability('postgres');
describe.skipIf(skip)(`dropping stale test schemas, on ${label}`, () => {
  const made: string[] = [];
  let client: pg.Client | undefined;
  afterEach(async () => {
    for (const name of made.splice(0)) await client?.query(`drop schema if exists ${name} cascade`);
    await client?.end();
    client = undefined;
  });

  it('drops those older than a day, with their tables and pg-boss twins, and keeps the rest', async () => {
    client = new pg.Client({ connectionString: inject('postgres').url ?? '' });
    await client.connect();
    const stale = testSchemaName(Date.now() - STALE_AFTER_MS - 60_000);
    const fresh = testSchemaName();
    made.push(stale, `${stale}_pgboss`, fresh);
    for (const name of made) {
      await client.query(`create schema ${name}`);
      await client.query(`create table ${name}.t (id int)`);
    }
    const dropped = await dropStaleTestSchemas(client);
    expect(dropped.sort()).toEqual(expect.arrayContaining([stale, `${stale}_pgboss`]));
    expect(dropped).not.toContain(fresh);
    const { rows } = await client.query<{ name: string }>(
      'select schema_name as name from information_schema.schemata where schema_name = any($1)',
      [made],
    );
    expect(rows.map((row) => row.name)).toEqual([fresh]);
  });
});
