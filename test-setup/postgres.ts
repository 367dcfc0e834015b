/**
 * Vitest global setup: finds out once whether PostgreSQL is reachable for the PostgreSQL suites.
 * TEST_DATABASE_URL names it (default: the local trust-auth server). In CI an unreachable server is
 * an error; elsewhere the suites are skipped and say why.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url: string | null; reason: string };
  }
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgres', { url, reason: 'reachable' });
  } catch (error) {
    const reason = `PostgreSQL at ${new URL(url).host} is not reachable (${(error as Error).message}); set TEST_DATABASE_URL`;
    if (process.env.CI === 'true') throw new Error(`CI must run the PostgreSQL suites: ${reason}`);
    process.stderr.write(`\n[roomlink] PostgreSQL suites skipped: ${reason}\n`);
    project.provide('postgres', { url: null, reason });
  } finally {
    await client.end().catch(() => undefined);
  }
}
