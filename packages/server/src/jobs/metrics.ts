/** Job queue metrics: jobs by kind and state (read at scrape time) and runs by outcome. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { JobObserver, JobQueue } from './queue.js';

export function jobMetrics(registry: Registry, queue: () => JobQueue | undefined): JobObserver {
  const outcomes = new Counter({
    name: 'roomlink_jobs_processed_total',
    help: 'Job runs by kind and outcome (completed, retried, dead)',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'roomlink_job_queue_errors_total',
    help: 'Errors of the job queue itself (not of jobs)',
    registers: [registry],
  });
  new Gauge({
    name: 'roomlink_jobs',
    help: 'Jobs by kind and state (ready, running, dead)',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const q = queue();
      if (!q) return;
      for (const c of await q.counts().catch(() => [])) this.set({ kind: c.kind, state: c.state }, c.count);
    },
  });
  return {
    onOutcome: (kind, outcome) => outcomes.inc({ kind, outcome }),
    onError: () => errors.inc(),
  };
}
