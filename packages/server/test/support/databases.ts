/**
 * The databases a store suite runs on: SQLite always, PostgreSQL when the global setup found one.
 * Each test database is private: a temp file, or a fresh PostgreSQL schema dropped afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { testSchemaName } from '../../../../test-setup/test-schemas.js';

export type DialectName = 'sqlite' | 'postgres';

export interface TestDatabase {
  readonly dialect: DialectName;
  readonly url: string;
  /** SQLite: the database file (for raw scans). */
  readonly file?: string;
  readonly dir: string;
  /** PostgreSQL: the private schema. */
  readonly schema?: string;
  drop(): Promise<void>;
}

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

/** Use with describe.skipIf: the reason is part of the suite name so the skip explains itself. */
export function dialectAvailability(dialect: DialectName): { skip: boolean; label: string } {
  if (dialect === 'sqlite') return { skip: false, label: 'sqlite' };
  const pgInfo = inject('postgres');
  return pgInfo.url
    ? { skip: false, label: 'postgres' }
    : { skip: true, label: `postgres (skipped: ${pgInfo.reason})` };
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), 'roomlink-test-'));
  if (dialect === 'sqlite') {
    const file = path.join(dir, 'roomlink.sqlite');
    return {
      dialect,
      url: `sqlite:${file}`,
      file,
      dir,
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const base = inject('postgres').url;
  if (!base) throw new Error('PostgreSQL is not available');
  const schema = testSchemaName();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dialect,
    url: url.toString(),
    dir,
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      // Calendar sync's pg-boss keeps its tables beside the database's schema (see jobs/).
      await client.query(`drop schema if exists ${schema}_pgboss cascade`);
      await client.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
