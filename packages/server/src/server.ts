/**
 * Runs Roomlink: builds the app from the runtime, listens, and drains on SIGTERM/SIGINT — in-flight
 * requests finish, background work stops, the database closes, and the process exits 0.
 */
import pino, { type Logger } from 'pino';
import { type AppPlugin, buildApp } from './app.js';
import { type Config, clientAddressesKnown } from './config/config.js';
import type { Authenticator } from './http/auth.js';
import { loggerOptions } from './observability/logger.js';
import { createRuntime, type Runtime } from './runtime.js';

export interface RunningServer {
  readonly url: string;
  readonly runtime: Runtime;
  shutdown(reason: string): Promise<void>;
}

/** Background workers (sync, retention) register here so that shutdown waits for them. */
export interface Worker {
  /** Called once the server listens (webhook handshakes and jobs may call back into it). */
  start?(): void | Promise<void>;
  stop(): Promise<void>;
}

export interface ServeOptions {
  readonly features?: (
    runtime: Runtime,
    logger: Logger,
  ) => Promise<{ plugins: AppPlugin[]; authenticate?: Authenticator; workers?: Worker[] }>;
  readonly exitOnSignal?: boolean;
}

export async function serve(config: Config, options: ServeOptions = {}): Promise<RunningServer> {
  const logger = pino(loggerOptions(config.logLevel));
  const runtime = await createRuntime(config, logger);
  const metrics = runtime.metrics;
  const features = (await options.features?.(runtime, logger)) ?? { plugins: [] };
  let draining = false;
  const app = await buildApp({
    config,
    store: runtime.store,
    meetings: runtime.meetings,
    authenticate: features.authenticate ?? (async () => null),
    metrics,
    logger,
    plugins: features.plugins,
    draining: () => draining,
  });
  const url = await app.listen({ port: config.port, host: config.host });
  for (const worker of features.workers ?? []) await worker.start?.();
  // Roomlink serves plain HTTP only: an https base URL means a TLS proxy in front of it.
  if (!clientAddressesKnown(config)) {
    logger.warn(
      'ROOMLINK_BASE_URL is https but ROOMLINK_TRUSTED_PROXIES is unset: behind the TLS proxy, per-client ' +
        "limits (the rooms' PIN lockouts and removals) see every visitor as the proxy, so one visitor's wrong " +
        "PINs lock everyone out of a room, a host's removal of one guest keeps every guest out for 10 minutes, " +
        "and the sign-in rate limits are off. Set it to the proxy's address (see " +
        'docs/operations.md).',
    );
  }
  logger.info(
    { url, baseUrl: config.baseUrl.toString(), database: runtime.store.location, demo: config.demo },
    config.demo
      ? 'Roomlink is running in demo mode (no Microsoft 365 app registration configured)'
      : 'Roomlink is running',
  );

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      logger.info({ reason }, 'shutting down: finishing in-flight requests');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      await app.close();
      await Promise.all((features.workers ?? []).map((w) => w.stop()));
      await runtime.close();
      clearTimeout(timer);
      logger.info('stopped');
    })();
    return closing;
  };

  if (options.exitOnSignal ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void shutdown(signal).then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { url, runtime, shutdown };
}
