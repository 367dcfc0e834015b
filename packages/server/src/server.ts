/**
 * Runs Roomlink: builds the app from the runtime, listens, starts the background workers, and drains
 * on SIGTERM/SIGINT — background work starts nothing new, in-flight requests finish, runs and jobs
 * under way stop (retention between two batches), the database closes, and the process exits 0.
 *
 * The signal handlers are installed first, before anything that can wait (the database, the
 * migrations, the workers' start): a signal at any point stops what has started so far. A start
 * that fails stops the same way, then rejects: the server never runs, or reports ready, without its
 * workers.
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { Gauge } from 'prom-client';
import { type AppPlugin, buildApp } from './app.js';
import type { Config } from './config/config.js';
import type { Authenticator } from './http/auth.js';
import { listenFailureOr } from './http/listen-failure.js';
import { loggerOptions } from './observability/logger.js';
import { createRuntime, type Runtime } from './runtime.js';

export interface RunningServer {
  readonly url: string;
  readonly runtime: Runtime;
  shutdown(reason: string): Promise<void>;
}

/** Background workers (sync, retention) register here so that shutdown waits for them. */
export interface Worker {
  /**
   * Called once the server listens (webhook handshakes and jobs may call back into it). A rejection
   * stops the server (serve() rejects with a WorkerStartError).
   */
  start?(): void | Promise<void>;
  /**
   * Called first thing at shutdown, while in-flight requests still finish: start nothing new (clear
   * timers) and ask work under way to stop at its next safe point. stop() follows.
   */
  halt?(): void;
  /** Stops, and waits for work under way: the database closes once every worker's stop() settled. */
  stop(): Promise<void>;
  /**
   * Whether the started worker does its work: undefined when it does, otherwise a short reason for
   * operators (no personal data), from what the worker itself observed — its loop ended, or a pass
   * it makes at a known interval is overdue by several intervals. /readyz then answers 503 with it.
   * Asked at every probe and every /metrics scrape: synchronous and cheap (no I/O, no waiting).
   */
  health?(): string | undefined;
}

export interface ServeOptions {
  readonly features?: (
    runtime: Runtime,
    logger: Logger,
  ) => Promise<{ plugins: AppPlugin[]; authenticate?: Authenticator; workers?: Worker[] }>;
  readonly exitOnSignal?: boolean;
}

/** A background worker failed to start: the server stopped again (port, workers, database closed). */
export class WorkerStartError extends Error {
  constructor(cause: unknown) {
    super(
      `a background worker failed to start (${cause instanceof Error ? cause.message : String(cause)}); ` +
        'Roomlink stopped',
      { cause },
    );
    this.name = 'WorkerStartError';
  }
}

/** A signal stopped the server while it was starting; nothing failed. */
export class StoppedWhileStarting extends Error {
  constructor() {
    super('stopped while starting');
    this.name = 'StoppedWhileStarting';
  }
}

export async function serve(config: Config, options: ServeOptions = {}): Promise<RunningServer> {
  const logger = pino(loggerOptions(config.logLevel));
  // What has started so far; closeAll() closes each part once, whenever it was created.
  let runtime: Runtime | undefined;
  let app: FastifyInstance | undefined;
  let workers: readonly Worker[] = [];
  let workersStarted = false;
  const closed = new Map<object, Promise<void>>();
  const closeOnce = (part: object, close: () => Promise<void>): Promise<void> => {
    let done = closed.get(part);
    if (!done) {
      done = close();
      closed.set(part, done);
    }
    return done;
  };
  const halted = new Set<Worker>();
  const closeAll = async (): Promise<void> => {
    // No new background work from here on (timers cleared, a retention run told to stop at its
    // next batch), while in-flight requests finish.
    for (const worker of workers) {
      if (halted.has(worker)) continue;
      halted.add(worker);
      worker.halt?.();
    }
    const current = app;
    if (current) await closeOnce(current, () => current.close());
    // Jobs and runs under way end before the database closes under them.
    const stopped = await Promise.allSettled(workers.map((w) => closeOnce(w, () => w.stop())));
    const opened = runtime;
    if (opened) await closeOnce(opened, () => opened.close());
    const failed = stopped.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  };

  let closing: Promise<void> | undefined;

  // What each worker's health() said last (each change is logged once, not at every probe).
  const reported = new Map<Worker, string>();
  /** The problems the running workers report, in their order; before the start and once shutdown began, none. */
  const workerProblems = (): string[] => {
    if (!workersStarted || closing) return [];
    const problems: string[] = [];
    for (const worker of workers) {
      const reason = worker.health?.();
      const before = reported.get(worker);
      if (reason !== before) {
        if (reason === undefined) {
          reported.delete(worker);
          logger.info({ was: before }, 'a background worker works again');
        } else {
          reported.set(worker, reason);
          logger.error({ reason }, 'a background worker does not work: /readyz answers 503');
        }
      }
      if (reason !== undefined) problems.push(reason);
    }
    return problems;
  };

  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down: finishing in-flight requests');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      try {
        await closeAll();
      } finally {
        clearTimeout(timer);
      }
      logger.info('stopped');
    })();
    return closing;
  };

  const handlers: [NodeJS.Signals, () => void][] = [];
  if (options.exitOnSignal ?? true) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = () => {
        void shutdown(signal).then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      handlers.push([signal, handler]);
      process.once(signal, handler);
    }
  }
  /** After each step of the start: a signal came meanwhile, so stop what the step made too. */
  const stopIfSignalled = async (): Promise<void> => {
    if (!closing) return;
    await closing.catch(() => undefined);
    await closeAll();
    throw new StoppedWhileStarting();
  };

  try {
    // On SQLite, the one server of its database from here on (another one running: refused), before
    // the store migrates and the job queue and calendar sync take over jobs and leases.
    runtime = await createRuntime(config, logger, { serveLock: true });
    await stopIfSignalled();
    const started = runtime;
    new Gauge({
      name: 'roomlink_workers_failing',
      help: 'Background workers (calendar sync, retention) that report they do not work; /readyz says why',
      registers: [started.metrics.registry],
      collect() {
        this.set(workerProblems().length);
      },
    });
    const features = (await options.features?.(started, logger)) ?? { plugins: [] };
    workers = features.workers ?? [];
    await stopIfSignalled();
    app = await buildApp({
      config,
      store: started.store,
      meetings: started.meetings,
      authenticate: features.authenticate ?? (async () => null),
      metrics: started.metrics,
      logger,
      plugins: features.plugins,
      // Not ready until the workers run, nor once shutdown began.
      draining: () => closing !== undefined || !workersStarted,
      // Once they run: a worker that stopped or stalls since.
      workerProblem: () => workerProblems()[0],
      shuttingDown: () => closing !== undefined,
    });
    await stopIfSignalled();
    const url = await app
      .listen({ port: config.port, host: config.host })
      .catch((error: unknown) => Promise.reject(listenFailureOr(error, config.host, config.port)));
    await stopIfSignalled();
    for (const worker of workers) {
      try {
        await worker.start?.();
      } catch (error) {
        if (closing) await stopIfSignalled();
        // Serving without it would look healthy and fail later (sign-ins need the job queue; no
        // retention would run): stop, and say why.
        logger.fatal({ err: error }, 'a background worker failed to start; Roomlink stops');
        await shutdown('a background worker failed to start').catch(() => undefined);
        throw new WorkerStartError(error);
      }
      await stopIfSignalled();
    }
    workersStarted = true;
    // Where a newcomer (demo) or an admin deploying the add-in goes next, so the start line says it.
    const sandbox = new URL('sandbox/', config.baseUrl).toString();
    logger.info(
      {
        url,
        baseUrl: config.baseUrl.toString(),
        database: started.store.location,
        demo: config.demo,
        admin: new URL('admin', config.baseUrl).toString(),
        manifest: new URL('addin/manifest.xml', config.baseUrl).toString(),
        ...(config.demo ? { sandbox } : {}),
      },
      config.demo
        ? `Roomlink is running in demo mode (no Microsoft 365 app registration configured): try it in the Outlook sandbox at ${sandbox}`
        : 'Roomlink is running',
    );
    return { url, runtime: started, shutdown };
  } catch (error) {
    // Whatever started is closed, so that the process ends (an open port or pool would keep it up).
    if (!(error instanceof WorkerStartError) && !(error instanceof StoppedWhileStarting))
      await closeAll().catch(() => undefined);
    // A signal's handler ends the process itself once its shutdown is done.
    if (!(error instanceof StoppedWhileStarting))
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    throw error;
  }
}
