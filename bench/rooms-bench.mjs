// Built-in rooms: (1) time from page load to the first remote video frame, two headless Chromium
// participants on loopback; (2) how many concurrent rooms of 3 the signalling server holds, with
// simulated WebSocket clients doing join / offer / answer / ICE and chatting at a steady rate.
// Everything runs on this machine over loopback, bounded in count and time. Needs
// `npm run build -w @roomlink/rooms` first. Linux only (reads /proc for the server's CPU and memory).
//
//   node bench/rooms-bench.mjs            both parts
//   node bench/rooms-bench.mjs media      part 1 only
//   node bench/rooms-bench.mjs signalling part 2 only
// Knobs: BENCH_MEDIA_ROUNDS (5), BENCH_MAX_ROOMS (3000), BENCH_STAGE_SECONDS (8),
//        BENCH_CHAT_INTERVAL_MS (5000 per participant), BENCH_P99_LIMIT_MS (200), BENCH_MAX_SECONDS (240).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ROOT, startProcess } from './lib.mjs';

const ROOMS_DIST = path.join(ROOT, 'packages/rooms/dist');
const SLUG_PREFIX = 'benchroom';

if (process.argv[2] === '--serve') {
  await serve();
} else {
  if (
    !existsSync(path.join(ROOMS_DIST, 'server/index.js')) ||
    !existsSync(path.join(ROOMS_DIST, 'web/index.html'))
  ) {
    console.error('build the room service first: npm run build -w @roomlink/rooms');
    process.exit(1);
  }
  const only = process.argv[2];
  console.log(machine('start'));
  if (!only || only === 'media') await mediaBench();
  if (!only || only === 'signalling') await signallingBench();
  console.log(machine('end'));
}

/** The room service alone, every `benchroom<n>` slug an open room without PINs or lobby. */
async function serve() {
  const { default: Fastify } = await import('fastify');
  const { createRooms } = await import(pathToFileURL(path.join(ROOMS_DIST, 'server/index.js')).href);
  const now = Date.now();
  const info = {
    meetingId: 'bench',
    tenantId: 'bench',
    status: 'scheduled',
    startsAt: new Date(now - 60_000),
    endsAt: new Date(now + 6 * 3600_000),
    hostPin: '482913',
    guestPin: null,
    lobby: false,
    language: 'en',
  };
  const directory = {
    async findBySlug(slug) {
      return slug.startsWith(SLUG_PREFIX) ? { ...info, meetingId: slug } : null;
    },
  };
  const app = Fastify({ logger: false });
  const rooms = createRooms({
    directory,
    maxParticipants: 6,
    // Every bench client comes from 127.0.0.1; counted as one address, they would hit the per-address
    // socket cap and frame budget that real clients, each from its own address, never share.
    clientAddress: (request) => `${request.ip}:${request.socket.remotePort}`,
  });
  await rooms.register(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(`LISTENING ${url}`);
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------
// Part 1: page load → first remote video frame

async function mediaBench() {
  const rounds = Number(process.env.BENCH_MEDIA_ROUNDS ?? 5);
  const { chromium } = await import('playwright-core');
  const { child, url } = await startProcess([process.argv[1], '--serve'], {});
  const { CHROMIUM_FLAGS, CHROMIUM_PATH, FAKE_MEDIA_FLAGS } = await import('../scripts/chromium.mjs');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS],
  });
  // Bench-only: note when Join is clicked and when the first remote tile presents its first frame.
  const probe = `(() => {
    document.addEventListener('click', (e) => {
      if (e.target && e.target.id === 'join-button') window.__joinClickAt ??= performance.now();
    }, true);
    new MutationObserver(() => {
      const video = document.querySelector('.tile.remote video');
      if (!video || video.__watched) return;
      video.__watched = true;
      video.requestVideoFrameCallback((now) => { window.__firstRemoteFrameAt ??= now; });
    }).observe(document, { subtree: true, childList: true });
  })();`;
  const results = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const slug = `${SLUG_PREFIX}media${round}${Date.now()}`;
      const first = await (await browser.newContext()).newPage();
      await first.goto(`${url}/m/${slug}`);
      await first.getByLabel('Your name').fill('Ada');
      await first.getByRole('button', { name: 'Join', exact: true }).click();
      await first.getByRole('button', { name: 'Leave' }).waitFor();

      const context = await browser.newContext();
      await context.addInitScript(probe);
      const page = await context.newPage();
      await page.goto(`${url}/m/${slug}`);
      await page.getByLabel('Your name').fill('Bob');
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      await page.waitForFunction(() => window.__firstRemoteFrameAt !== undefined, undefined, {
        timeout: 30_000,
      });
      const [frameAt, clickAt] = await page.evaluate('[window.__firstRemoteFrameAt, window.__joinClickAt]');
      results.push({ fromLoad: frameAt, fromJoin: frameAt - clickAt });
      await context.close();
      await first.context().close();
    }
  } finally {
    await browser.close();
    child.kill('SIGTERM');
  }
  const fromLoad = results.map((r) => r.fromLoad).sort((a, b) => a - b);
  const fromJoin = results.map((r) => r.fromJoin).sort((a, b) => a - b);
  console.log('\n## First remote video frame (2 participants, headless Chromium, fake camera, loopback)');
  console.log(`rounds: ${rounds}`);
  console.log(
    `navigation start → first remote frame: median ${ms(median(fromLoad))}, max ${ms(fromLoad.at(-1))}`,
  );
  console.log(
    `Join click → first remote frame:        median ${ms(median(fromJoin))}, max ${ms(fromJoin.at(-1))}`,
  );
  console.log('(navigation includes the scripted form fill; requestVideoFrameCallback on the remote tile)');
}

// ---------------------------------------------------------------------------------------------
// Part 2: signalling capacity

async function signallingBench() {
  const { WebSocket } = await import('ws');
  const maxRooms = Number(process.env.BENCH_MAX_ROOMS ?? 3000);
  const stageSeconds = Number(process.env.BENCH_STAGE_SECONDS ?? 8);
  const chatIntervalMs = Number(process.env.BENCH_CHAT_INTERVAL_MS ?? 5000);
  const p99LimitMs = Number(process.env.BENCH_P99_LIMIT_MS ?? 200);
  const maxSeconds = Number(process.env.BENCH_MAX_SECONDS ?? 240);
  const stages = [100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000].filter((n) => n <= maxRooms);

  const { child, url } = await startProcess([process.argv[1], '--serve'], {});
  const wsBase = url.replace(/^http/, 'ws');
  const started = performance.now();
  // Realistic sizes: a Chrome offer/answer with audio+video is ~4-6 KB; candidates ~100 bytes.
  const sdp = `v=0\r\n${'a=fake-attribute-line-for-size-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n'.repeat(70)}`;
  const candidate = (i) => ({
    candidate: `candidate:${i} 1 udp 2122260223 192.0.2.${i} ${50000 + i} typ host generation 0 ufrag abcd network-id 1`,
    sdpMid: '0',
    sdpMLineIndex: 0,
  });

  const clients = [];
  let chatLatencies = [];
  let setupTimes = [];
  let failures = 0;

  function openClient(slug, name) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsBase}/api/v1/rooms/${slug}/signal`);
      const client = { ws, id: null, timer: null };
      let joinedAt = 0;
      let expectedAnswers = 0;
      let answers = 0;
      const send = (m) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
      ws.on('open', () => {
        joinedAt = performance.now();
        send({ type: 'join', name });
      });
      ws.on('error', (e) => reject(e));
      ws.on('close', () => {
        clearInterval(client.timer);
      });
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        switch (m.type) {
          case 'joined':
            client.id = m.id;
            expectedAnswers = m.peers.length;
            // The newcomer offers to everyone already there, then trickles candidates.
            for (const peer of m.peers) {
              send({ type: 'signal', to: peer.id, data: { description: { type: 'offer', sdp } } });
              for (let i = 0; i < 8; i++)
                send({ type: 'signal', to: peer.id, data: { candidate: candidate(i) } });
            }
            send({ type: 'media', audio: true, video: true, screen: false });
            if (expectedAnswers === 0) done();
            break;
          case 'signal':
            if (m.data.description?.type === 'offer') {
              send({ type: 'signal', to: m.from, data: { description: { type: 'answer', sdp } } });
              for (let i = 0; i < 8; i++)
                send({ type: 'signal', to: m.from, data: { candidate: candidate(i) } });
            } else if (m.data.description?.type === 'answer') {
              answers += 1;
              if (answers === expectedAnswers) done();
            }
            break;
          case 'chat': {
            const sentAt = Number(m.text.split(':')[1]);
            if (m.from !== client.id && Number.isFinite(sentAt))
              chatLatencies.push(performance.now() - sentAt);
            break;
          }
          case 'refused':
          case 'error':
            failures += 1;
            break;
        }
      });
      function done() {
        setupTimes.push(performance.now() - joinedAt);
        // Steady chat with a random phase, so that rooms do not all speak at once.
        setTimeout(() => {
          client.timer = setInterval(
            () => send({ type: 'chat', text: `t:${performance.now()}` }),
            chatIntervalMs,
          );
        }, Math.random() * chatIntervalMs);
        resolve(client);
      }
    });
  }

  async function openRoom(index) {
    const slug = `${SLUG_PREFIX}${index}`;
    // Participants arrive one after the other, as people do.
    for (const name of ['Ada', 'Bob', 'Cy']) clients.push(await openClient(slug, name));
  }

  const rows = [];
  let rooms = 0;
  let cpuBefore = serverCpuSeconds(child.pid);
  try {
    for (const target of stages) {
      if ((performance.now() - started) / 1000 > maxSeconds) break;
      setupTimes = [];
      const batch = [];
      for (let i = rooms; i < target; i++) {
        batch.push(openRoom(i));
        if (batch.length >= 50) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      rooms = target;
      const setup = [...setupTimes].sort((a, b) => a - b);
      // Measure a steady stage: chat only, no joins.
      chatLatencies = [];
      cpuBefore = serverCpuSeconds(child.pid);
      const loadCpuBefore = process.cpuUsage();
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const stageStart = performance.now();
      await new Promise((r) => setTimeout(r, stageSeconds * 1000));
      const elapsed = (performance.now() - stageStart) / 1000;
      loopDelay.disable();
      const cpu = (serverCpuSeconds(child.pid) - cpuBefore) / elapsed;
      const loadCpu = process.cpuUsage(loadCpuBefore);
      const lat = [...chatLatencies].sort((a, b) => a - b);
      const row = {
        rooms,
        sockets: clients.length,
        setupP50: percentile(setup, 50),
        setupP99: percentile(setup, 99),
        chatPerSecond: lat.length / elapsed,
        chatP50: percentile(lat, 50),
        chatP99: percentile(lat, 99),
        serverCpu: cpu,
        serverRssMb: serverRssMb(child.pid),
        loadCpu: (loadCpu.user + loadCpu.system) / 1e6 / elapsed,
        loadLoopP99: loopDelay.percentile(99) / 1e6,
        failures,
      };
      rows.push(row);
      console.error(
        `stage ${rooms} rooms: chat p99 ${ms(row.chatP99)}, server CPU ${(cpu * 100).toFixed(0)}%, ` +
          `RSS ${row.serverRssMb} MB, load generator CPU ${(row.loadCpu * 100).toFixed(0)}%`,
      );
      if (failures > 0 || row.chatP99 > p99LimitMs) break;
    }
  } finally {
    for (const c of clients) {
      clearInterval(c.timer);
      c.ws.terminate();
    }
    child.kill('SIGTERM');
  }

  console.log(
    '\n## Signalling capacity (rooms of 3, simulated clients, loopback, server and load on the same 2 cores)',
  );
  console.log(
    `per participant: join, offer/answer (~${Math.round(sdp.length / 1024)} KB SDP) + 8 ICE candidates per peer, ` +
      `1 chat message every ${chatIntervalMs / 1000} s; stop when chat p99 > ${p99LimitMs} ms or any refusal`,
  );
  console.log(
    '| rooms | sockets | setup p50 | setup p99 | chat deliveries/s | chat p50 | chat p99 | server CPU | server RSS | load gen CPU | load gen loop delay p99 |',
  );
  console.log(
    '| ----: | ------: | --------: | --------: | ----------------: | -------: | -------: | ---------: | ---------: | -----------: | ----------------------: |',
  );
  for (const r of rows) {
    console.log(
      `| ${r.rooms} | ${r.sockets} | ${ms(r.setupP50)} | ${ms(r.setupP99)} | ${Math.round(r.chatPerSecond)} | ` +
        `${ms(r.chatP50)} | ${ms(r.chatP99)} | ${(r.serverCpu * 100).toFixed(0)}% | ${r.serverRssMb} MB | ` +
        `${(r.loadCpu * 100).toFixed(0)}% | ${ms(r.loadLoopP99)} |`,
    );
  }
  const held = rows.filter((r) => r.failures === 0 && r.chatP99 <= p99LimitMs).at(-1);
  console.log(
    `\nheld with chat p99 ≤ ${p99LimitMs} ms: ${held ? `${held.rooms} rooms (${held.sockets} sockets)` : 'none'}`,
  );
}

/** Other work on the machine skews every figure here: say how busy it was. */
function machine(when) {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `[${when}] ${os.cpus().length} CPUs, Node ${process.version}, load average ${load}`;
}

function serverCpuSeconds(pid) {
  // utime + stime in clock ticks (USER_HZ is 100 on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function serverRssMb(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(sorted) {
  return percentile(sorted, 50);
}

function ms(value) {
  return Number.isFinite(value) ? `${value.toFixed(value < 10 ? 1 : 0)} ms` : 'n/a';
}
