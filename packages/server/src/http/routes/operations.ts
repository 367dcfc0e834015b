/** Probes and metrics for operators: /healthz, /readyz, /metrics. */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { StoreUnusableError } from '../../store/store.js';
import { problem } from '../errors.js';

export interface OperationsDeps {
  readonly ping: () => Promise<void>;
  readonly registry: Registry;
  /** True once shutdown began: readiness fails so that load balancers stop sending traffic. */
  readonly draining: () => boolean;
  /**
   * Why a background worker does not do its work (its own short reason, no personal data), or
   * undefined while every one does. Asked at every probe: synchronous and cheap.
   */
  readonly workerProblem?: () => string | undefined;
}

const READY_TIMEOUT_MS = 2000;

export async function operationsRoutes(app: FastifyInstance, deps: OperationsDeps): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (deps.draining()) {
      return reply.code(503).type('application/problem+json').send(problem('unavailable', 'shutting down'));
    }
    const stopped = deps.workerProblem?.();
    if (stopped !== undefined) {
      return reply.code(503).type('application/problem+json').send(problem('unavailable', stopped));
    }
    try {
      await withTimeout(deps.ping(), READY_TIMEOUT_MS);
      return { status: 'ready', database: 'reachable' };
    } catch (error) {
      const detail = error instanceof StoreUnusableError ? error.message : 'the database is not reachable';
      return reply.code(503).type('application/problem+json').send(problem('unavailable', detail));
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
