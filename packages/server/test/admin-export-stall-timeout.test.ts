/**
 * A tenant export whose download stops taking data is ended (admin/api.ts, EXPORT_STALL_TIMEOUT_MS):
 * exports run one at a time per process, and a client that starts one, stops reading and keeps its
 * connection open would otherwise hold the gate for good, every other tenant's export answered 429.
 * Over real HTTP with a short stall timeout: a client that never reads has its download ended and the
 * next export runs; a client that reads, and an export that is itself slow to produce its next
 * chunk, are not cut.
 */
import { get, type IncomingMessage, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExportGate } from '../src/admin/export-gate.js';
import { adminPlugin } from '../src/admin/plugin.js';
import { sessionAuthenticator } from '../src/identity/authenticator.js';
import { loggerOptions } from '../src/observability/logger.js';
import { createRetention, type Retention } from '../src/retention/index.js';
import type { TenantExport } from '../src/retention/subject-requests.js';
import { insertBrowserSession, insertNamedUser, SILENT, seedUsers } from './support/admin.js';
import { deferred } from './support/deferred.js';
import { startTestApp, type TestApp } from './support/harness.js';

const T = 't-stall-timeout';
const OTHER = 't-stall-timeout-other';
const USERS = 2000;
/**
 * 2,000 names of 10,000 characters: an export of about 20 MB, far beyond what the kernel's socket
 * buffers hold on loopback (a send buffer grows to net.ipv4.tcp_wmem's maximum, 4 MiB by default;
 * a receive buffer not read from stays small). Short of that the export would end, and give the gate
 * back, without the client reading, and this would test nothing.
 */
const NAME_LENGTH = 10_000;
/**
 * Short, but well beyond any one turn of the event loop here (the export yields between users), so
 * that a download the client reads as fast as it comes is never taken for a stalled one.
 */
const STALL_MS = 1000;

type Exported = { tenant: { id: string }; users: { user: { id: string; name: unknown } }[] };

/** What a download brought: its body, and whether it came to its end or was cut short. */
interface Downloaded {
  text: string;
  complete: boolean;
  error?: Error;
}

/** Reads `res` to its end, or until its connection is gone. */
function download(res: IncomingMessage): Promise<Downloaded> {
  const chunks: Buffer[] = [];
  let error: Error | undefined;
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('error', (e) => {
    error = e;
  });
  return new Promise((resolve) => {
    res.once('close', () =>
      resolve({
        text: Buffer.concat(chunks).toString('utf8'),
        complete: res.complete,
        ...(error ? { error } : {}),
      }),
    );
    res.resume();
  });
}

describe('a tenant export whose download takes no data', () => {
  let t: TestApp;
  let retention: Retention;
  const gate = new ExportGate();
  const cookie: Record<string, string> = {};
  const lines: { level: number; msg: string; tenantId?: string; stalledForMs?: number }[] = [];
  const logged: string[] = [];
  /** The server's side of each export's response, as they come. */
  const served: ServerResponse[] = [];
  const responses: IncomingMessage[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    t = await startTestApp('sqlite', {
      realBaseUrl: true,
      logger: pino(loggerOptions('warn'), sink),
      features: async (runtime) => {
        retention = createRetention(runtime, { logger: SILENT });
        return {
          authenticate: sessionAuthenticator(runtime.store.authFlow, runtime.config.baseUrl),
          plugins: [adminPlugin({ runtime, retention, exportGate: gate, exportStallTimeoutMs: STALL_MS })],
        };
      },
    });
    await insertNamedUser(t.runtime, T, 'a-admin', { isAdmin: true, name: 'Ada Admin' });
    await insertNamedUser(t.runtime, OTHER, 'o-admin', { isAdmin: true, name: 'Otto Other' });
    await seedUsers(t.runtime, T, USERS, NAME_LENGTH);
    cookie[T] = `roomlink_session=${await insertBrowserSession(t.runtime, T, 'a-admin')}`;
    cookie[OTHER] = `roomlink_session=${await insertBrowserSession(t.runtime, OTHER, 'o-admin')}`;
    t.app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/api/v1/admin/export') served.push(res);
    });
  }, 120_000);
  afterAll(async () => t?.close());
  // A test that failed midway leaves no download holding the gate for the next.
  afterEach(async () => {
    for (const res of responses.splice(0)) res.destroy();
    await gate.whenFree();
    lines.splice(0);
    logged.splice(0);
  });

  /** The export's response, its body not read: nothing reads the socket until it is resumed. */
  function startExport(tenant: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      // A connection of its own (no keep-alive agent), so that nothing else is sent on it.
      const req = get(
        `${t.url}/api/v1/admin/export`,
        { headers: { cookie: cookie[tenant] as string }, agent: false },
        (res) => {
          res.pause();
          responses.push(res);
          resolve(res);
        },
      );
      req.on('error', reject);
    });
  }

  const stallWarnings = () => lines.filter((l) => l.msg.startsWith('tenant export ended'));

  it('ends a download the client stops reading, and the next export, of another tenant, runs', async () => {
    const res = await startExport(T);
    expect(res.statusCode).toBe(200);
    expect(gate.busy).toBe(true);

    // The client reads nothing: the server ends the download, and the gate opens again.
    await gate.whenFree();
    expect(served.at(-1)?.destroyed).toBe(true);

    // Read now, the download brings what the buffers on the way held, and no end: cut short.
    const cut = await download(res);
    expect(cut.complete).toBe(false);
    expect(cut.error?.message).toBe('aborted');
    expect(() => JSON.parse(cut.text)).toThrow();
    expect(Buffer.byteLength(cut.text)).toBeLessThan((USERS * NAME_LENGTH) / 2);

    // Logged once, at warn, by tenant id: no one's name or address.
    expect(stallWarnings()).toEqual([
      expect.objectContaining({ level: 40, tenantId: T, stalledForMs: STALL_MS }),
    ]);
    expect(logged.join('')).not.toMatch(/Bulk User|contoso|Ada Admin/);
    expect(lines.filter((l) => l.msg.includes('failed midway'))).toEqual([]);

    const next = await fetch(`${t.url}/api/v1/admin/export`, {
      headers: { cookie: cookie[OTHER] as string },
    });
    expect(next.status).toBe(200);
    expect(((await next.json()) as Exported).tenant.id).toBe(OTHER);
    expect(gate.busy).toBe(false);
  }, 20_000);

  it('does not end a download the client reads as it comes', async () => {
    const res = await startExport(T);
    expect(res.statusCode).toBe(200);
    const whole = await download(res);
    expect(whole.complete).toBe(true);
    expect(whole.error).toBeUndefined();
    const data = JSON.parse(whole.text) as Exported;
    expect(data.users).toHaveLength(USERS + 1);
    expect(Buffer.byteLength(whole.text)).toBeGreaterThan(USERS * NAME_LENGTH);
    expect(stallWarnings()).toEqual([]);
    expect(gate.busy).toBe(false);
  }, 20_000);

  it('does not end a download while the export itself is slow to give its next chunk', async () => {
    // The export, once its first chunk is sent, waits until the connection has been idle for the
    // stall timeout (its response told of it): idle with nothing left for the client to take.
    const idle = deferred();
    const subjects = retention.subjects;
    const exportTenant = subjects.exportTenant.bind(subjects);
    subjects.exportTenant = async (...args) => {
      const body = await exportTenant(...args);
      served.at(-1)?.once('timeout', () => idle.resolve());
      return held(body, idle.promise);
    };
    try {
      const res = await startExport(OTHER);
      expect(res.statusCode).toBe(200);
      const whole = await download(res);
      expect(whole.complete).toBe(true);
      expect((JSON.parse(whole.text) as Exported).tenant.id).toBe(OTHER);
      expect(stallWarnings()).toEqual([]);
    } finally {
      subjects.exportTenant = exportTenant;
    }
  }, 20_000);
});

/** `body` unchanged, but holding its second chunk back until `until` resolves. */
function held(body: TenantExport, until: Promise<void>): TenantExport {
  return {
    async *[Symbol.asyncIterator]() {
      let first = true;
      for await (const chunk of body) {
        if (!first) await until;
        first = false;
        yield chunk;
      }
    },
  };
}
