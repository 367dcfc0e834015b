/**
 * Vitest global setup: finds out once whether PostgreSQL is reachable for the PostgreSQL suites.
 * TEST_DATABASE_URL names it (default: the local trust-auth server). In CI an unreachable server is
 * an error; elsewhere the suites are skipped and say why. It also drops test schemas that runs which
 * died left behind (test-schemas.ts).
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { dropStaleTestSchemas } from './test-schemas.js';

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
    const dropped = await dropStaleTestSchemas(client);
    if (dropped.length > 0)
      process.stderr.write(`\n[roomlink] dropped ${dropped.length} test schemas left by runs that died\n`);
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
