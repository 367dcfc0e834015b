// POST /api/v1/meetings at concurrency 50 against Roomlink (SQLite, real session auth, encryption)
// and against a bare Node HTTP server in the same run. Prints req/s, p50/p99 and the ratio.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  CLI,
  freePort,
  load,
  masterKeys,
  paced,
  ROOT,
  report,
  startProcess,
  tempDir,
  withCpu,
} from './lib.mjs';

const duration = Number(process.env.BENCH_SECONDS ?? 10);
// Profiling aids: BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" and BENCH_SYNC=FULL.
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const modes = (process.env.BENCH_SYNC ?? 'FULL,NORMAL').split(',');
// The paced phase's rate (requests/s); 0 skips it.
const rate = Number(process.env.BENCH_RATE ?? 2000);
// BENCH_CLOSED=0 skips the saturation phase (and its baseline): the paced phase alone, on a
// database that holds only the warm-up's meetings.
const closed = process.env.BENCH_CLOSED !== '0';
// BENCH_METRICS=1 also prints, for the saturation phase, what the server's /metrics saw: GC
// pauses by kind, group commits and log syncs (where a create's tail latency can come from).
const showMetrics = process.env.BENCH_METRICS === '1';
const dir = await tempDir('roomlink-bench-');
const env = {
  DATABASE_URL: `sqlite:${path.join(dir, 'bench.sqlite')}`,
  ROOMLINK_DATA_DIR: dir,
  ROOMLINK_KEY_PROVIDER: 'env',
  ROOMLINK_MASTER_KEYS: masterKeys(),
  LOG_LEVEL: 'info',
  HOST: '127.0.0.1',
  PORT: String(await freePort()),
};

// A real add-in session, created the way sign-in creates one (hashed token row for a user).
const { openStore } = await import(path.join(ROOT, 'packages/server/dist/store/kysely-store.js'));
const { digest, randomToken } = await import(path.join(ROOT, 'packages/server/dist/identity/secrets.js'));
const store = await openStore(env.DATABASE_URL);
const token = randomToken();
const now = new Date();
await store.tenants.ensure('bench-tenant', now);
await store.users.insert({
  id: 'bench-user',
  tenantId: 'bench-tenant',
  exchangeId: 'bench-oid',
  displayNameCt: null,
  upnCt: null,
  status: 'active',
  isAdmin: false,
  settings: {},
  pendingClaims: null,
  lastSignInAt: null,
  createdAt: now.toISOString(),
});
await store.authFlow.insertSession({
  tokenHash: digest(token),
  userId: 'bench-user',
  tenantId: 'bench-tenant',
  kind: 'addin',
  createdAt: now.toISOString(),
  expiresAt: new Date(now.getTime() + 3600_000).toISOString(),
});
await store.close();

// A week from today: the API refuses a meeting that retention would delete at once.
const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
const body = () =>
  JSON.stringify({
    subject: 'Weekly planning',
    start: `${day}T09:00:00Z`,
    end: `${day}T10:00:00Z`,
    timeZone: 'Europe/Paris',
    idempotencyKey: randomUUID(),
  });

const bare = await startProcess([path.join(ROOT, 'bench/bare-server.mjs')], {});
try {
  for (const synchronous of modes) {
    const roomlink = await startProcess([...nodeArgs, CLI, 'serve'], {
      ...env,
      ROOMLINK_SQLITE_SYNCHRONOUS: synchronous,
    });
    try {
      // Warm up both (JIT, SQLite page cache), then measure one after the other in the same run.
      const url = `${roomlink.url}/api/v1/meetings`;
      const headers = { authorization: `Bearer ${token}` };
      await load({ url, headers, body, duration: 2 });
      if (closed) {
        await load({ url: `${bare.url}/`, body, duration: 2 });
        const before = showMetrics ? await serverMetrics(roomlink.url) : undefined;
        const subject = await withCpu(roomlink.child.pid, () => load({ url, headers, body, duration }));
        if (before) printMetricsDelta(before, await serverMetrics(roomlink.url));
        const baseline = await withCpu(bare.child.pid, () => load({ url: `${bare.url}/`, body, duration }));
        report(`POST /api/v1/meetings, concurrency 50, SQLite synchronous=${synchronous}`, subject, baseline);
      }
      // Latency at the target rate rather than at saturation: at saturation a closed loop of 50
      // connections has a mean latency of 50 / throughput (Little's law), whatever the server does.
      if (rate > 0) {
        const r = await withCpu(roomlink.child.pid, () => paced({ url, headers, body, duration, rate }));
        const f = (ms) => `${ms.toFixed(1)} ms`;
        // Below the offered rate the server is over capacity: requests queue, and the latency
        // figures then measure the queue's growth over the run, not the server.
        const over = r.rps < 0.95 * rate ? '   OVER CAPACITY: latency is queueing' : '';
        console.log(
          `paced at ${rate}/s (open loop, up to 50 connections): ${r.rps.toFixed(0)} req/s   p50 ${f(r.p50)}   p90 ${f(r.p90)}   p99 ${f(r.p99)}   max ${f(r.max)}   non-2xx ${r.non2xx}   cpu ${r.cpuMsPerRequest?.toFixed(3)} ms/req${over}`,
        );
      }
    } finally {
      roomlink.child.kill('SIGTERM');
      await new Promise((resolve) => roomlink.child.once('exit', resolve));
    }
  }
} finally {
  bare.child.kill('SIGTERM');
}

/** Counts and sums of the /metrics series this benchmark reads, by series name and labels. */
async function serverMetrics(baseUrl) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const values = new Map();
  for (const line of text.split('\n')) {
    const match =
      /^(roomlink_(?:nodejs_gc_duration_seconds|db_group_commit_duration_seconds|db_group_commit_units|db_log_sync_duration_seconds)_(?:count|sum))(\{[^}]*\})? (\S+)$/.exec(
        line,
      );
    if (match) values.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return values;
}

function printMetricsDelta(before, after) {
  const delta = (key) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const lines = [];
  for (const key of after.keys()) {
    if (!key.includes('_count')) continue;
    const count = delta(key);
    if (count === 0) continue;
    const sum = delta(key.replace('_count', '_sum'));
    const seconds = key.includes('_seconds');
    const mean = seconds ? `${((1000 * sum) / count).toFixed(2)} ms` : (sum / count).toFixed(1);
    lines.push(
      `  ${key.replace('roomlink_', '').replace('_count', '')}: ${count} x, mean ${mean}${seconds ? `, sum ${sum.toFixed(2)} s` : ''}`,
    );
  }
  console.log(`server /metrics over the saturation phase:\n${lines.join('\n')}`);
}
