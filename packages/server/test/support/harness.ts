/**
 * Starts the real application (real runtime, real database, real HTTP on 127.0.0.1) for a test.
 * Only authentication is a test double: `Bearer test-session:<tenant>:<user>[:admin]`, accepted
 * here and nowhere in the product.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { type AppPlugin, buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { Authenticator } from '../../src/http/auth.js';
import { loggerOptions } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';

export const testAuthenticator: Authenticator = async (request) => {
  const match = /^Bearer test-session:([^:]+):([^:]+)(:admin)?$/.exec(request.headers.authorization ?? '');
  if (!match) return null;
  return { tenantId: match[1] as string, userId: match[2] as string, isTenantAdmin: Boolean(match[3]) };
};

export function sessionHeader(tenantId: string, userId: string): Record<string, string> {
  return { authorization: `Bearer test-session:${tenantId}:${userId}` };
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly database: TestDatabase;
  readonly url: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export function testMasterKeys(): string {
  return `test-1:${randomBytes(32).toString('base64')}`;
}

export async function startTestApp(
  dialect: DialectName,
  options: {
    env?: Record<string, string>;
    listen?: boolean;
    database?: TestDatabase;
    /** Listen on a free port and use http://127.0.0.1:<port> as ROOMLINK_BASE_URL (for real redirects). */
    realBaseUrl?: boolean;
    /** Adds features (routes, a real authenticator) built from the runtime. */
    features?: (runtime: Runtime) => Promise<{ plugins?: AppPlugin[]; authenticate?: Authenticator }>;
    /** The application's logger (default: none, or pino at TEST_LOG_LEVEL when that is set). */
    logger?: FastifyBaseLogger;
  } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(dialect));
  const port = options.realBaseUrl ? await freePort() : 0;
  const env = {
    DATABASE_URL: database.url,
    ROOMLINK_DATA_DIR: database.dir,
    ROOMLINK_BASE_URL: 'https://roomlink.test',
    // A name no one can reach: the demo-mode guard for public base URLs has nothing to protect here.
    ROOMLINK_DEMO_PUBLIC: 'true',
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: testMasterKeys(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(options.realBaseUrl ? { ROOMLINK_BASE_URL: `http://127.0.0.1:${port}`, PORT: String(port) } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const runtime = await createRuntime(
    config,
    { warn: () => undefined, error: () => undefined },
    { metrics: createMetrics({ defaultMetrics: false }) },
  );
  const features = (await options.features?.(runtime)) ?? {};
  // As in the server: once closing, answers close their connections. A request still in flight at
  // close() would otherwise keep its keep-alive connection, and the close would wait for Fastify's
  // keep-alive timeout (72 s), past the hook's.
  let closing = false;
  const app = await buildApp({
    shuttingDown: () => closing,
    config,
    store: runtime.store,
    meetings: runtime.meetings,
    authenticate: features.authenticate ?? testAuthenticator,
    metrics: runtime.metrics,
    plugins: features.plugins ?? [],
    ...(options.logger
      ? { logger: options.logger }
      : process.env.TEST_LOG_LEVEL
        ? { logger: pino(loggerOptions(process.env.TEST_LOG_LEVEL)) }
        : {}),
  });
  const url = options.listen || options.realBaseUrl ? await app.listen({ port, host: '127.0.0.1' }) : '';
  return {
    app,
    runtime,
    database,
    url,
    env,
    close: async () => {
      closing = true;
      await app.close();
      await runtime.close();
      if (!options.database) await database.drop();
    },
  };
}

/**
 * A port free on 127.0.0.1, for a server that must know its URL before it listens, and that no other
 * process takes before the server does (that server is often a child process, listening seconds later).
 *
 * A port the OS picks (listen on port 0) and the test lets go is not kept: it is again one the OS may
 * give any process that listens on port 0, or connects out, meanwhile, and the test files running in
 * parallel do plenty of both. The OS picks those only from its ephemeral range (Linux:
 * ip_local_port_range), so this port comes from below that range instead: each of Vitest's parallel
 * workers (VITEST_POOL_ID) hands out its own block in turn, skipping a port something listens on.
 * Where the range cannot be read, the OS picks.
 */
export async function freePort(): Promise<number> {
  const block = portBlock();
  if (!block) return osPickedPort();
  for (let tried = 0; tried < block.size; tried++) {
    // Taken before the probe: calls made at once get different ports.
    const port = block.start + block.next;
    block.next = (block.next + 1) % block.size;
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${block.start}-${block.start + block.size - 1}`);
}

const PORT_BLOCK_SIZE = 500;
const PORT_BLOCKS = 32;
let ownBlock: { start: number; size: number; next: number } | null | undefined;

/** This worker's block of ports below the ephemeral range, or null when that range is unknown. */
function portBlock(): { start: number; size: number; next: number } | null {
  if (ownBlock !== undefined) return ownBlock;
  let low = Number.NaN;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: the OS picks.
  }
  const first = low - PORT_BLOCKS * PORT_BLOCK_SIZE;
  if (!Number.isInteger(low) || first < 1024) {
    ownBlock = null;
    return ownBlock;
  }
  // Workers running at once have different pool ids; their process (Vitest's) shifts the blocks, so
  // that another run at the same time mostly uses other ones.
  const worker = (Number(process.env.VITEST_POOL_ID ?? 0) + process.ppid) % PORT_BLOCKS;
  // A worker runs files one after another, each in a new process: start anywhere in the block.
  ownBlock = {
    start: first + worker * PORT_BLOCK_SIZE,
    size: PORT_BLOCK_SIZE,
    next: randomInt(PORT_BLOCK_SIZE),
  };
  return ownBlock;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The environment of a server run in a test: the test's database and data directory, a free port as
 * its base URL, test master keys, and logs at `logLevel`.
 */
export async function serverTestEnv(
  database: TestDatabase,
  logLevel = 'silent',
): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    DATABASE_URL: database.url,
    ROOMLINK_DATA_DIR: database.dir,
    ROOMLINK_BASE_URL: `http://127.0.0.1:${port}`,
    HOST: '127.0.0.1',
    PORT: String(port),
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: testMasterKeys(),
    LOG_LEVEL: logLevel,
  };
}
