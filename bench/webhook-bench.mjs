// Calendar sync benchmarks (run: node --import tsx bench/webhook-bench.mjs).
// 1. Webhook ingestion: POST /api/graph/notifications with a durable enqueue per request (SQLite,
//    synchronous=FULL), against a bare Node server that only answers 202, in the same run.
// 2. Change -> room updated latency: the Graph emulator changes an event; we time until the meeting
//    shows it (notification -> webhook -> queue -> worker -> Graph GET -> MeetingService.update).
// Loopback only; bounded in time. Figures go to bench/sync-README.md by hand.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuText, freePort, interleaved, load, ROOT, startProcess, withCpu } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

if (process.argv[2] === 'serve') {
  await serve();
} else {
  await main();
}

async function main() {
  const bare = await startProcess([`${ROOT}/bench/bare-server.mjs`], { BARE_STATUS: '202' });
  // Profiling aid: BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const sync = await startProcess([...nodeArgs, '--import', 'tsx', SELF, 'serve'], {});
  try {
    const info = await (await fetch(`${sync.url}/bench/info`)).json();
    console.error('bench: server up');
    const body = JSON.stringify({
      value: [
        {
          subscriptionId: info.subscriptionId,
          clientState: info.clientState,
          changeType: 'updated',
          resource: `Users/${info.oid}/Events/AAkALbench`,
          resourceData: { id: 'AAkALbench' },
          tenantId: info.tenantId,
        },
      ],
    });
    // Warm up both (JIT, SQLite page cache): a cold baseline made the first rounds' ratios look better.
    await load({ url: `${sync.url}/api/graph/notifications`, body, connections: 50, duration: 2 });
    await load({ url: `${bare.url}/`, body, connections: 50, duration: 2 });
    // The machine's speed drifts within minutes: the two servers take turns in short rounds, so that
    // both see the same mix of fast and slow spells (BENCH_ROUNDS=1: one run each, as before).
    const { subject, baseline, ratios, runs } = await interleaved({
      rounds: ROUNDS,
      subject: (duration) =>
        withCpu(sync.child.pid, () =>
          load({ url: `${sync.url}/api/graph/notifications`, body, connections: 50, duration }),
        ),
      baseline: (duration) =>
        withCpu(bare.child.pid, () => load({ url: `${bare.url}/`, body, connections: 50, duration })),
      duration: DURATION,
    });
    const fmt = (r) =>
      `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   non-2xx ${r.non2xx}${cpuText(r)}`;
    console.log('\n## webhook ingestion (durable enqueue, SQLite FULL)');
    console.log(`roomlink /api/graph/notifications ${fmt(subject)}`);
    console.log(`bare node http 202 (baseline)     ${fmt(baseline)}`);
    console.log(
      `ratio: ${(subject.rps / baseline.rps).toFixed(2)}   (per round: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
    );
    // BENCH_DETAIL=1: each round's rates and main-thread CPU, to see drift within a run.
    if (process.env.BENCH_DETAIL === '1') {
      runs.subject.forEach((r, i) => {
        const b = runs.baseline[i];
        console.log(
          `  round ${i + 1}: roomlink ${r.rps.toFixed(0)}/s (main ${r.mainCpuMsPerRequest?.toFixed(3)} ms), bare ${b.rps.toFixed(0)}/s (main ${b.mainCpuMsPerRequest?.toFixed(3)} ms)`,
        );
      });
    }
    const latency = await (await fetch(`${sync.url}/bench/latency?n=30`, { method: 'POST' })).json();
    console.log('\n## change -> room updated (through the Graph emulator)');
    console.log(`n=${latency.n}  p50 ${latency.p50} ms  p99 ${latency.p99} ms  max ${latency.max} ms`);
  } finally {
    bare.child.kill('SIGTERM');
    sync.child.kill('SIGTERM');
  }
}

async function serve() {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { randomBytes, randomUUID } = await import('node:crypto');
  const { generateKeyPair, SignJWT } = await import('jose');
  const { buildApp } = await import('../packages/server/src/app.ts');
  const { loadConfig } = await import('../packages/server/src/config/config.ts');
  const { createRuntime } = await import('../packages/server/src/runtime.ts');
  const { createMetrics } = await import('../packages/server/src/observability/metrics.ts');
  const { createCalendarSync } = await import('../packages/server/src/graph/index.ts');
  const { loggerOptions } = await import('../packages/server/src/observability/logger.ts');
  const { default: pino } = await import('pino');
  const { hashClientState } = await import('../packages/server/src/graph/subscriptions.ts');
  const { createGraphEmulator, customPropertiesId, jwksVerifier } = await import(
    '../packages/emulators/src/graph/index.ts'
  );
  const dir = await mkdtemp(path.join(tmpdir(), 'roomlink-bench-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    ROOMLINK_BASE_URL: base,
    ROOMLINK_DATA_DIR: dir,
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    GRAPH_BASE_URL: `${base}/_emulator/graph`,
    LOG_LEVEL: 'silent',
  });
  const runtime = await createRuntime(config, { warn: () => undefined });
  const metrics = createMetrics({ defaultMetrics: false });
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const user = { userId: randomUUID(), tenantId: randomUUID(), oid: randomUUID() };
  const tokens = {
    getAccessToken: () =>
      new SignJWT({ tid: user.tenantId, oid: user.oid, scp: 'Calendars.Read' })
        .setProtectedHeader({ alg: 'RS256' })
        .setAudience('https://graph.microsoft.com')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    onClaimsChallenge: async () => undefined,
  };
  const emulator = createGraphEmulator({
    baseUrl: `${base}/_emulator/graph`,
    verifyAccessToken: jwksVerifier(async () => publicKey),
  });
  const addinId = 'bench-addin';
  const sync = createCalendarSync({
    config,
    store: runtime.store,
    meetings: runtime.meetings,
    cipher: runtime.cipher,
    tokens,
    registry: metrics.registry,
    addinId,
    tuning: { queuePollMs: 50, maintenanceEveryMs: 600_000 },
  });
  const now = new Date();
  await runtime.store.tenants.ensure(user.tenantId, now);
  await runtime.store.users.insert({
    id: user.userId,
    tenantId: user.tenantId,
    exchangeId: user.oid,
    displayNameCt: null,
    upnCt: null,
    status: 'active',
    isAdmin: false,
    settings: {},
    pendingClaims: null,
    lastSignInAt: null,
    createdAt: now.toISOString(),
  });
  // The load phase posts to a subscription of a user whose worker is not running yet: pure ingestion.
  const clientState = randomBytes(32).toString('base64url');
  const benchUserId = randomUUID();
  await runtime.store.users.insert({
    ...(await runtime.store.users.findById(user.userId)),
    id: benchUserId,
    exchangeId: randomUUID(),
  });
  await sync.syncStore.users.activate(benchUserId, user.tenantId, now);
  await sync.syncStore.users.update(
    benchUserId,
    { subscriptionId: 'bench-sub', clientStateHash: hashClientState(clientState) },
    now,
  );

  // Logged as the product logs (one line per request at info, to stdout, which the bench drains),
  // unless BENCH_LOG=off: the figures before 2026-11-29 11:00 UTC were taken without request logs.
  const logger = process.env.BENCH_LOG === 'off' ? undefined : pino(loggerOptions('info'));
  const app = await buildApp({
    config,
    store: runtime.store,
    meetings: runtime.meetings,
    authenticate: async () => null,
    metrics,
    ...(logger ? { logger } : {}),
    plugins: [
      sync.plugin,
      async (a) => {
        await a.register(emulator.plugin, { prefix: '/_emulator/graph' });
        a.get('/bench/info', async () => ({
          subscriptionId: 'bench-sub',
          clientState,
          oid: user.oid,
          tenantId: user.tenantId,
        }));
        a.post('/bench/latency', async (request) => {
          const n = Number(request.query.n ?? 20);
          // The ingestion phase left thousands of jobs for a fake event: drop them, not measured here.
          await runtime.store.db.withTables().deleteFrom('jobs').execute();
          await sync.start();
          await sync.startSyncForUser(user.userId, user.tenantId);
          for (let i = 0; !emulator.subscriptions().some((s) => s.resource === 'me/events'); i++) {
            if (i > 500) throw new Error('no subscription');
            await sleep(10);
          }
          const principal = { tenantId: user.tenantId, userId: user.userId, isTenantAdmin: false };
          const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 86_400_000);
          const { meeting } = await runtime.meetings.create(principal, {
            subject: 'Bench',
            start,
            end: new Date(start.getTime() + 3_600_000),
          });
          const event = emulator.createEvent(user.oid, {
            subject: 'Bench',
            start: { dateTime: start.toISOString().slice(0, 19), timeZone: 'UTC' },
            end: {
              dateTime: new Date(start.getTime() + 3_600_000).toISOString().slice(0, 19),
              timeZone: 'UTC',
            },
            singleValueExtendedProperties: [
              { id: customPropertiesId(addinId), value: JSON.stringify({ roomlinkMeetingId: meeting.id }) },
            ],
          });
          const samples = [];
          for (let i = 0; i < n; i++) {
            const subject = `Bench ${i}`;
            const t0 = performance.now();
            emulator.updateEvent(user.oid, event.id, { subject });
            const deadline = Date.now() + 10_000;
            while ((await runtime.meetings.get(principal, meeting.id)).subject !== subject) {
              if (Date.now() > deadline) throw new Error('change not applied within 10 s');
              await sleep(2);
            }
            samples.push(performance.now() - t0);
          }
          samples.sort((a, b) => a - b);
          const q = (p) => Math.round(samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]);
          return { n, p50: q(0.5), p99: q(0.99), max: Math.round(samples.at(-1)) };
        });
      },
    ],
  });
  const url = await app.listen({ port, host: '127.0.0.1' });
  console.log(`LISTENING ${url}`);
  process.once('SIGTERM', async () => {
    await app.close();
    await sync.stop();
    await emulator.close();
    await runtime.close();
    process.exit(0);
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

void spawn;
