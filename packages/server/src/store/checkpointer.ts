/**
 * Background WAL checkpoints for SQLite. SQLite checkpoints automatically inside the COMMIT that
 * takes the write-ahead log past 1000 pages: that COMMIT then copies the log into the database
 * file and fsyncs it, on the event loop, stalling every request for up to tens of milliseconds.
 * Under sustained write load a worker thread with its own connection checkpoints instead
 * (PASSIVE: it never blocks the writer), so the log rarely reaches the automatic limit.
 *
 * Durability does not depend on checkpoints: a COMMIT is durable once its log frames are synced
 * (synchronous=FULL). The automatic checkpoint stays on as the fallback if the worker falls
 * behind or stops.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  readonly file: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  /** Pause between checkpoints; default 50 ms. */
  readonly intervalMs?: number;
}

// Plain CommonJS run by the worker (eval), so that it works from sources and from dist alike.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = ' + workerData.synchronous);
let timer;
let stopped = false;
const tick = () => {
  if (stopped) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {}
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

export class Checkpointer {
  #worker: Worker | undefined;
  #failed = false;

  constructor(private readonly options: CheckpointerOptions) {}

  get running(): boolean {
    return this.#worker !== undefined;
  }

  start(): void {
    if (this.#worker || this.#failed) return;
    try {
      const worker = new Worker(WORKER, {
        eval: true,
        workerData: {
          module: createRequire(import.meta.url).resolve('better-sqlite3'),
          file: this.options.file,
          synchronous: this.options.synchronous,
          intervalMs: this.options.intervalMs ?? 50,
        },
      });
      // A failing worker only means SQLite's own automatic checkpoints carry on alone.
      worker.on('error', () => {
        this.#failed = true;
        this.#worker = undefined;
      });
      worker.on('exit', () => {
        if (this.#worker === worker) this.#worker = undefined;
      });
      worker.unref();
      this.#worker = worker;
    } catch {
      this.#failed = true;
    }
  }

  stop(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    worker?.postMessage('stop');
  }
}
