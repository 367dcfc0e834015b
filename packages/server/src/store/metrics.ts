/** Store metrics: SQLite's group commits and log syncs (PostgreSQL reports none of these). */
import { Histogram, type Registry } from 'prom-client';
import type { StoreObserver } from './database.js';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export function storeMetrics(registry: Registry): StoreObserver {
  const units = new Histogram({
    name: 'roomlink_db_group_commit_units',
    help: 'Write units (store transactions, job writes) per SQLite group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'roomlink_db_group_commit_duration_seconds',
    help: 'SQLite group commits, from BEGIN until their callers were answered (log sync included), by outcome',
    labelNames: ['outcome'],
    buckets: SECONDS,
    registers: [registry],
  });
  const sync = new Histogram({
    name: 'roomlink_db_log_sync_duration_seconds',
    help: "fdatasync of SQLite's write-ahead log for a group commit (synchronous=FULL); slow storage shows here first",
    buckets: SECONDS,
    registers: [registry],
  });
  return {
    groupCommit: (count, seconds, committed) => {
      units.observe(count);
      duration.observe({ outcome: committed ? 'committed' : 'failed' }, seconds);
    },
    logSync: (seconds) => sync.observe(seconds),
  };
}
