// Shared helpers for benchmarks: start processes, run autocannon, print comparable figures.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import hdr from 'hdr-histogram-js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'packages/server/dist/cli/main.js');

export async function tempDir(prefix) {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export function masterKeys() {
  return `bench:${randomBytes(32).toString('base64')}`;
}

/** Starts a node process and resolves with its URL once it logs `url` (JSON) or prints `LISTENING <url>`. */
export function startProcess(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    const ready = (url) => {
      // From here on the output is drained, not kept: a slow reader would throttle the server.
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({ child, url });
    };
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      for (const line of buffer.split('\n')) {
        const plain = /^LISTENING (\S+)/.exec(line);
        if (plain) return ready(plain[1]);
        try {
          const json = JSON.parse(line);
          if (json.url && String(json.msg).startsWith('Roomlink is running')) {
            return ready(json.url.replace('0.0.0.0', '127.0.0.1'));
          }
        } catch {}
      }
    });
    child.once('exit', (code) => reject(new Error(`process exited with ${code} before listening`)));
  });
}

export async function load({ url, method = 'POST', headers = {}, body, connections = 50, duration = 10 }) {
  const result = await autocannon({
    url,
    method,
    connections,
    duration,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (req) => ({ ...req, body: typeof body === 'function' ? body() : body }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}

/** The CPU part of a result line: the process's and its main thread's CPU per request. */
export function cpuText(r) {
  return r.cpuMsPerRequest === undefined
    ? ''
    : `   cpu ${r.cpuMsPerRequest.toFixed(3)} ms/req (main thread ${r.mainCpuMsPerRequest?.toFixed(3)})`;
}

export function report(name, subject, baseline) {
  const line = (label, r) =>
    `${label.padEnd(28)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   non-2xx ${r.non2xx}   errors ${r.errors}${cpuText(r)}`;
  console.log(`\n## ${name}`);
  console.log(line('roomlink', subject));
  console.log(line('bare node http (baseline)', baseline));
  console.log(`ratio roomlink/baseline: ${(subject.rps / baseline.rps).toFixed(2)}`);
}

/**
 * CPU seconds (user + system, all threads) a process has used so far; Linux only, else undefined.
 * Per-request CPU is steadier than req/s on a shared machine: other load changes the rate a lot
 * more than it changes the work done per request.
 */
export function cpuSeconds(pid, thread) {
  try {
    const stat = readFileSync(thread ? `/proc/${pid}/task/${thread}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat (1-based), in clock ticks (100/s).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Runs `measure` and returns its result with the process's CPU ms per completed request. */
export async function withCpu(pid, measure) {
  const before = cpuSeconds(pid);
  // The main thread (its id is the process id) runs the event loop: the server's bottleneck.
  const mainBefore = cpuSeconds(pid, pid);
  const result = await measure();
  const after = cpuSeconds(pid);
  const mainAfter = cpuSeconds(pid, pid);
  const perRequest = (a, b) =>
    a === undefined || b === undefined || !result.total ? undefined : ((b - a) * 1000) / result.total;
  return {
    ...result,
    cpuMsPerRequest: perRequest(before, after),
    mainCpuMsPerRequest: perRequest(mainBefore, mainAfter),
  };
}

/**
 * Open-loop load: `rate` requests per second at even intervals, over at most `connections`
 * keep-alive connections, for `duration` seconds. Latency counts from the moment a request was
 * due, not from when a connection was free, so that a stalled server is not hidden by the
 * generator waiting for it (no coordinated omission). autocannon's own rate limit sends each
 * second's quota as a burst, which measures saturation again.
 */
export async function paced({ url, headers = {}, body, rate, connections = 50, duration = 10 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const target = new URL(url);
  const total = Math.round(rate * duration);
  const interval = 1000 / rate;
  const start = performance.now();
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const inflight = new Set();
  const fire = (due) => {
    const payload = typeof body === 'function' ? body() : body;
    const done = new Promise((resolve) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            ...headers,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            histogram.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)));
            if (res.statusCode >= 200 && res.statusCode < 300) ok++;
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(payload);
    });
    inflight.add(done);
    done.then(() => inflight.delete(done));
  };
  while (sent < total) {
    const now = performance.now() - start;
    while (sent < total && sent * interval <= now) fire(start + sent++ * interval);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inflight);
  agent.destroy();
  const ms = (p) => histogram.getValueAtPercentile(p) / 1000;
  return {
    rps: ok / ((performance.now() - start) / 1000),
    p50: ms(50),
    p90: ms(90),
    p99: ms(99),
    max: histogram.maxValue / 1000,
    non2xx: failed,
    total: ok,
  };
}

/**
 * Runs `subject` and `baseline` in turns, `rounds` times each, `duration` seconds in all per side.
 * Rates are totals over all rounds (requests / seconds); p50 is the median of the rounds' and p99
 * the worst round's; CPU per request is the mean weighted by requests.
 */
export async function interleaved({ subject, baseline, rounds, duration }) {
  const slice = Math.max(1, Math.round(duration / rounds));
  const runs = { subject: [], baseline: [] };
  for (let i = 0; i < rounds; i++) {
    runs.subject.push(await subject(slice));
    runs.baseline.push(await baseline(slice));
  }
  const combine = (list) => {
    const total = list.reduce((sum, r) => sum + r.total, 0);
    const weighted = (key) =>
      list.every((r) => r[key] !== undefined)
        ? list.reduce((sum, r) => sum + r[key] * r.total, 0) / total
        : undefined;
    const p50s = list.map((r) => r.p50).sort((a, b) => a - b);
    return {
      rps: total / (slice * list.length),
      p50: p50s[Math.floor(p50s.length / 2)],
      p99: Math.max(...list.map((r) => r.p99)),
      non2xx: list.reduce((sum, r) => sum + r.non2xx, 0),
      total,
      cpuMsPerRequest: weighted('cpuMsPerRequest'),
      mainCpuMsPerRequest: weighted('mainCpuMsPerRequest'),
    };
  };
  return {
    subject: combine(runs.subject),
    baseline: combine(runs.baseline),
    ratios: runs.subject.map((r, i) => r.rps / runs.baseline[i].rps),
    runs,
  };
}

/** A TCP port free on loopback now (the server refuses PORT=0: its base URL would name port 0). */
export async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
