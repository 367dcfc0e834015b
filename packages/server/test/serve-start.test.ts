/**
 * A server never runs without its background workers: a worker that fails to start stops the
 * server (port, workers and database closed; the CLI exits 1 with a JSON log line saying why),
 * /readyz answers ready only once the workers run, and SIGTERM stops the server at any point of its
 * start (the handlers are installed before anything that can wait).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { loadConfig } from '../src/config/config.js';
import { pgBossSchemaFor } from '../src/graph/index.js';
import { type RunningServer, serve, type Worker, WorkerStartError } from '../src/server.js';
import { createTestDatabase, dialectAvailability, type TestDatabase } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { freePort, serverTestEnv, testMasterKeys } from './support/harness.js';
import { CLI } from './support/server-process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const serverEnv = (database: TestDatabase) => serverTestEnv(database);

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('serve() and its background workers', () => {
  it('a worker that fails to start stops the server: serve rejects, the port and the database are closed', async () => {
    const database = await createTestDatabase('sqlite');
    cleanups.push(() => database.drop());
    const env = await serverEnv(database);
    const stopped: string[] = [];
    let runtimeClosed = false;
    const queue: Worker = {
      start: async () => {
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      },
      stop: async () => {
        stopped.push('queue');
      },
    };
    const retention: Worker = {
      start: () => {
        throw new Error('never started: the queue failed first');
      },
      stop: async () => {
        stopped.push('retention');
      },
    };
    const outcome = await serve(loadConfig(env), {
      exitOnSignal: false,
      features: async (runtime) => {
        const close = runtime.close;
        (runtime as { close: () => Promise<void> }).close = async () => {
          runtimeClosed = true;
          await close();
        };
        return { plugins: [], workers: [queue, retention] };
      },
    }).then(
      (running) => running,
      (error: unknown) => error,
    );
    if (!(outcome instanceof Error)) {
      cleanups.push(() => (outcome as RunningServer).shutdown('test'));
    }
    expect((outcome as Error).message).toContain('deadlock detected');
    // Every worker is stopped (the one that failed may have started half-way), then the database.
    expect(stopped.sort()).toEqual(['queue', 'retention']);
    expect(runtimeClosed).toBe(true);
    expect(await listening(Number(env.PORT))).toBe(false);
    expect(outcome).toBeInstanceOf(WorkerStartError);
  });

  it('/readyz answers 503 until the workers have started, 200 then', async () => {
    const database = await createTestDatabase('sqlite');
    cleanups.push(() => database.drop());
    const env = await serverEnv(database);
    const entered = deferred();
    const release = deferred();
    const slow: Worker = {
      start: async () => {
        entered.resolve();
        await release.promise;
      },
      stop: async () => undefined,
    };
    const starting = serve(loadConfig(env), {
      exitOnSignal: false,
      features: async () => ({ plugins: [], workers: [slow] }),
    });
    // If the start rejects before the worker is entered, the wait below must not hang.
    await Promise.race([entered.promise, starting]);
    const readyz = `http://127.0.0.1:${env.PORT}/readyz`;
    // Listening (webhook handshakes may call back during a worker's start), but not ready.
    expect((await fetch(readyz)).status).toBe(503);
    release.resolve();
    const running = await starting;
    cleanups.push(() => running.shutdown('test'));
    expect((await fetch(readyz)).status).toBe(200);
  });
});

/** Runs `roomlink serve` until it exits; `onOutput` sees stdout and stderr as they grow. */
function serveProcess(
  env: Record<string, string>,
  onOutput: (child: ChildProcess, stdout: string, stderr: string) => void = () => undefined,
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
    onOutput(child, stdout, stderr);
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    onOutput(child, stdout, stderr);
  });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await done;
  });
  return { child, done };
}

describe('roomlink serve', () => {
  it('stops on SIGTERM while it waits for the database at start, and exits 0', async () => {
    // A "database" that takes the connection and never answers: the start waits there.
    const sockets = new Set<net.Socket>();
    const connected = deferred();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      connected.resolve();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = await freePort();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'roomlink-serve-start-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const { child, done } = serveProcess({
      DATABASE_URL: `postgres://roomlink@127.0.0.1:${(silent.address() as net.AddressInfo).port}/roomlink`,
      ROOMLINK_DATA_DIR: dataDir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: testMasterKeys(),
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
    });
    // The start has reached the database: everything before it (the signal handlers) is in place.
    await connected.promise;
    child.kill('SIGTERM');
    const result = await done;
    expect({ code: result.code, signal: result.signal }, result.stdout + result.stderr).toEqual({
      code: 0,
      signal: null,
    });
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; reason?: string });
    expect(lines.some((l) => l.msg.startsWith('shutting down') && l.reason === 'SIGTERM')).toBe(true);
    expect(lines.some((l) => l.msg === 'stopped')).toBe(true);
  });

  const { skip, label } = dialectAvailability('postgres');
  describe.skipIf(skip)(`on ${label}`, () => {
    it('exits 1 with a JSON log line when calendar sync’s job queue cannot start, and stops listening', async () => {
      const database = await createTestDatabase('postgres');
      cleanups.push(() => database.drop());
      // pg-boss's schema as a damaged or foreign installation left it: its start fails.
      const bossSchema = pgBossSchemaFor(database.url);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(`create schema ${bossSchema}`);
        await client.query(
          `create table ${bossSchema}.version (version int, maintained_on timestamptz, cron_on timestamptz, monitored_on timestamptz)`,
        );
        await client.query(`insert into ${bossSchema}.version values (1)`);
      } finally {
        await client.end();
      }
      const env = await serverTestEnv(database, 'info');
      const port = Number(env.PORT);
      let readyWhenFailed: Promise<boolean> | undefined;
      const { done } = serveProcess(env, (child, _stdout, stderr) => {
        // Once it says it failed, nothing may answer on its port any more (and a process that
        // still does is not waited for).
        if (stderr.includes('roomlink:') && !readyWhenFailed) {
          readyWhenFailed = listening(port);
          void readyWhenFailed.then((up) => up && child.kill('SIGKILL'));
        }
      });
      const result = await done;
      expect(await readyWhenFailed).toBe(false);
      expect(result.code, result.stdout + result.stderr).toBe(EXIT.failure);
      expect(result.stdout).not.toContain('Roomlink is running');
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { code?: string } });
      const fatal = lines.find((l) => l.msg.startsWith('a background worker failed to start'));
      expect(fatal?.level).toBe(60);
      expect(result.stderr).toContain('roomlink: a background worker failed to start');
      expect(result.stderr).toContain('Roomlink stopped');
    });
  });
});
