/**
 * Runs the built `roomlink` command as a child process, as an operator would, and reads its JSON
 * log lines. `npm test` builds before testing, so dist/ is current.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/kysely-store.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { freePort, testMasterKeys } from './harness.js';
import { insertSession } from './sessions.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** An account to run a command as (needs root), as a service manager runs it as its own account. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Runs one `roomlink` command to completion with only `env` (and PATH) in its environment; as the
 * account `as`, when given.
 */
export function runCli(args: readonly string[], env: Record<string, string>, as?: RunAs): Promise<CliRun> {
  return runCliProcess(args, env, { stopOnceServing: false, ...(as ? { as } : {}) });
}

/**
 * Runs one `roomlink` command that is expected to refuse to serve, as runCli does; one that starts
 * serving instead ("Roomlink is running" on stdout) is stopped at once (SIGKILL) and reported with
 * exit code null, so that a test whose refusal is missing fails instead of waiting on a server.
 */
export function runCliUntilServing(
  args: readonly string[],
  env: Record<string, string>,
  as?: RunAs,
): Promise<CliRun> {
  return runCliProcess(args, env, { stopOnceServing: true, ...(as ? { as } : {}) });
}

function runCliProcess(
  args: readonly string[],
  env: Record<string, string>,
  { stopOnceServing, as }: { stopOnceServing: boolean; as?: RunAs },
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    const serving = () => stopOnceServing && stdout.includes('Roomlink is running');
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (serving()) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => resolve({ code: serving() ? null : code, stdout, stderr }));
  });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  readonly output: () => string;
  /** Resolves with the first log line matching; rejects if the process exits first or time runs out. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

export async function startServerProcess(
  env: Record<string, string>,
  args: string[] = ['serve'],
): Promise<ServerProcess> {
  // A free port of its own unless the test gives one (PORT=0 is refused: the default base URL would name it).
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    raw += chunk.toString('utf8');
    const parts = raw.split('\n');
    for (const line of parts.slice(lines.length, -1)) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line, unparsed: true });
      }
    }
    for (const w of waiters) w();
  };
  let stderr = '';
  child.stdout?.on('data', onData);
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let alive = true;
  void exited.then(() => {
    alive = false;
    for (const w of waiters) w();
  });

  const waitForLog: ServerProcess['waitForLog'] = (match, timeoutMs = 20_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (found) {
          cleanup();
          resolve(found);
        } else if (!alive) {
          cleanup();
          reject(new Error(`server exited before the expected log line\n${raw}\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for a log line\n${raw}\n${stderr}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const ready = await waitForLog(
    (l) => typeof l.url === 'string' && String(l.msg).startsWith('Roomlink is running'),
  );
  return {
    child,
    url: String(ready.url).replace('0.0.0.0', '127.0.0.1'),
    lines,
    output: () => raw + stderr,
    waitForLog,
    exited,
    kill: (signal = 'SIGTERM') => child.kill(signal),
  };
}

/** A server process on a fresh SQLite database, with one signed-in user's add-in session token. */
export async function startSignedInServer(
  tenantId: string,
  userId: string,
  env: Record<string, string> = {},
): Promise<{ server: ServerProcess; token: string; database: TestDatabase }> {
  const database = await createTestDatabase('sqlite');
  const store = await openStore(database.url);
  const token = await insertSession(store, tenantId, userId);
  await store.close();
  const server = await startServerProcess({
    DATABASE_URL: database.url,
    ROOMLINK_DATA_DIR: database.dir,
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: testMasterKeys(),
    // Tests may give the server a name no one can reach (https://roomlink.test): demo mode stays on.
    ROOMLINK_DEMO_PUBLIC: 'true',
    ...env,
  });
  return { server, token, database };
}
