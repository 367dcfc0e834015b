/**
 * Media through a real coturn relay (Debian's `coturn` package) with the short-lived credentials the
 * room service mints: both browsers are forced to relay-only, so media flows only if coturn accepted
 * the HMAC credentials. Skipped where `turnserver` is not installed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWebClient,
  inboundStats,
  launchChromium,
  newParticipantPage,
  selectedCandidateTypes,
} from './browser.js';
import { MapDirectory, startServer, type TestServer } from './helpers.js';

const turnserver = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v turnserver'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();

describe.skipIf(!turnserver)('TURN relay (coturn)', () => {
  const secret = randomBytes(16).toString('hex');
  const directory = new MapDirectory();
  let coturn: ChildProcess;
  let port: number;
  let server: TestServer;
  let chromium: { browser: Browser; close(): Promise<void> };
  let web: { root: string; remove(): Promise<void> };

  beforeAll(async () => {
    ({ coturn, port } = await startCoturn(secret));
    [web, chromium] = await Promise.all([buildWebClient(), launchChromium()]);
    server = await startServer({
      directory,
      webRoot: web.root,
      turn: { secret, urls: [`turn:127.0.0.1:${port}?transport=udp`], ttlSeconds: 600 },
    });
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    await web?.remove();
    coturn?.kill();
  });

  async function join(slug: string, name: string): Promise<Page> {
    const { page } = await newParticipantPage(chromium.browser, { relayOnly: true });
    await page.goto(`${server.baseUrl}/m/${slug}`);
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByRole('button', { name: 'Leave' }).waitFor();
    return page;
  }

  it('two relay-only participants exchange audio and video through coturn', async () => {
    const slug = directory.add();
    const pages = [await join(slug, 'Ada'), await join(slug, 'Bob')];
    for (const page of pages) {
      await expect
        .poll(
          async () => {
            const stats = await inboundStats(page);
            return (
              stats.length === 1 && stats.every((s) => s.state === 'connected' && s.audio > 0 && s.video > 0)
            );
          },
          { timeout: 20_000 },
        )
        .toBe(true);
      expect(await selectedCandidateTypes(page)).toEqual(['relay']);
    }
  }, 60_000);
});

/**
 * Starts coturn on a free UDP port and waits until it answers STUN. A port is only known free when
 * it was probed, so another process may take it before coturn binds it; coturn then keeps retrying
 * the bind instead of exiting. Such a start is given up after a while and tried on a new port, and
 * the last failure says what coturn logged.
 */
async function startCoturn(secret: string): Promise<{ coturn: ChildProcess; port: number }> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freeUdpPort();
    const coturn = spawn(
      turnserver as string,
      [
        '-n',
        '--listening-ip=127.0.0.1',
        `--listening-port=${port}`,
        '--relay-ip=127.0.0.1',
        '--min-port=49160',
        '--max-port=49400',
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        '--realm=roomlink.test',
        // The test relays over UDP only; no TCP listener means no clash with a TCP port in use.
        '--no-tcp',
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--allow-loopback-peers',
        '--fingerprint',
        '--log-file=stdout',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4_000);
    };
    coturn.stdout?.on('data', keep);
    coturn.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      coturn.once('exit', (code) => reject(new Error(`coturn exited (${code}) before answering STUN`))),
    );
    // Also killed on purpose later (a retry, the end of the tests): that rejection is not an error.
    exited.catch(() => undefined);
    try {
      await Promise.race([stunReachable(port, 10_000), exited]);
      coturn.stdout?.off('data', keep).resume();
      coturn.stderr?.off('data', keep).resume();
      return { coturn, port };
    } catch (error) {
      coturn.kill();
      lastError = new Error(
        `${(error as Error).message} (attempt ${attempt}, port ${port}); coturn logged:\n${log}`,
      );
    }
  }
  throw lastError;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Sends STUN Binding requests until coturn answers one (it is then ready for allocations). */
function stunReachable(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    const finish = (error?: Error) => {
      clearInterval(retry);
      clearTimeout(deadline);
      socket.close();
      if (error) reject(error);
      else resolve();
    };
    socket.on('message', (message) => {
      if (message.readUInt16BE(0) === 0x0101) finish();
    });
    const send = () => socket.send(request, port, '127.0.0.1');
    const retry = setInterval(send, 100);
    const deadline = setTimeout(() => finish(new Error('coturn did not answer STUN')), timeoutMs);
    send();
  });
}
