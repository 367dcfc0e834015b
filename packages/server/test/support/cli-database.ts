/**
 * A SQLite database for tests that run the built CLI as a child process: the environment such a
 * process reads, and the database seeded (or inspected) through a runtime of the test's own, opened
 * and closed around each use so that the child is the only process holding it while it runs.
 */
import { loadConfig } from '../../src/config/config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { testMasterKeys } from './harness.js';

export async function cliDatabase(
  seed: (runtime: Runtime) => Promise<void> = async () => undefined,
): Promise<{ database: TestDatabase; env: Record<string, string> }> {
  const database = await createTestDatabase('sqlite');
  const env = {
    DATABASE_URL: database.url,
    ROOMLINK_DATA_DIR: database.dir,
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: testMasterKeys(),
    LOG_LEVEL: 'silent',
  };
  await withRuntime(env, seed);
  return { database, env };
}

/** Runs `work` on a runtime opened on `env`, as the CLI would open it, and closes it again. */
export async function withRuntime<T>(
  env: Record<string, string>,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await createRuntime(loadConfig(env), { warn: () => undefined, error: () => undefined });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
