/**
 * A tenant export is streamed with backpressure (admin/api.ts): it is read from the database only as
 * fast as the connection takes it, so a client that stops reading leaves the server holding what the
 * socket buffers and the stream's 64 KiB hold, not the tenant. Over real HTTP on both dialects: the
 * client stops reading, the export stops being pulled well short of its end, and reading again
 * brings the whole document; a download abandoned while the server waits on it gives the export
 * gate back. (admin-export-stall.test.ts abandons a download after its first chunk; here the server
 * is known to be stalled on the client when it goes, the pipe waiting for a drain that never comes.)
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExportGate } from '../src/admin/export-gate.js';
import type { TenantExport } from '../src/retention/subject-requests.js';
import { type AdminTestApp, insertBrowserSession, insertNamedUser, startAdminApp } from './support/admin.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';

const T = 't-backpressure';
const USERS = 4;
const MEETINGS_EACH = 40;
/**
 * 16 MB from 160 meetings, quick to create. It has to be well beyond the kernel's socket buffers,
 * which on loopback reach several MB (Linux grows a send buffer up to net.ipv4.tcp_wmem's maximum,
 * 4 MiB by default): short of that the export ends before the client's not reading holds it back.
 */
const SUBJECT_LENGTH = 100_000;

/** How far the export has been pulled, as the route's Readable.from pulls it. */
interface Pulled {
  bytes: number;
  largestChunk: number;
  /** The stream has asked for a chunk the export has not given yet (a page being read, say). */
  pending: boolean;
  done: boolean;
}

/** The export's chunks unchanged, counted as they are pulled. */
function counted(body: TenantExport, pulled: Pulled): TenantExport {
  return {
    [Symbol.asyncIterator]() {
      const chunks = body[Symbol.asyncIterator]();
      return {
        async next() {
          pulled.pending = true;
          try {
            const r = await chunks.next();
            if (r.done) pulled.done = true;
            else {
              const size = Buffer.byteLength(r.value);
              pulled.bytes += size;
              pulled.largestChunk = Math.max(pulled.largestChunk, size);
            }
            return r;
          } finally {
            pulled.pending = false;
          }
        },
        // How Readable.from ends the export when the stream is destroyed (a download abandoned).
        async return(value?: unknown) {
          return (await chunks.return?.(value)) ?? { done: true, value: undefined };
        },
      };
    },
  };
}

type Exported = { users: { user: { id: string }; meetings: { subject: string }[] }[] };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`a tenant export held back by a client that does not read, on ${label}`, () => {
    let t: AdminTestApp;
    let cookie: string;
    const gate = new ExportGate();
    let pulled: Pulled = { bytes: 0, largestChunk: 0, pending: false, done: false };
    /** The server's side of the latest export's response. */
    let served: ServerResponse | undefined;
    const responses: IncomingMessage[] = [];

    beforeAll(async () => {
      t = await startAdminApp(dialect, { exportGate: gate });
      await insertNamedUser(t.runtime, T, 'b-admin', { isAdmin: true });
      for (let u = 0; u < USERS; u++) {
        const userId = `b-user-${u}`;
        await insertNamedUser(t.runtime, T, userId);
        for (let i = 0; i < MEETINGS_EACH; i++) {
          const end = new Date(Date.now() + 86_400_000 + i * 3_600_000);
          await t.runtime.meetings.create(
            { tenantId: T, userId, isTenantAdmin: false },
            {
              subject: `Meeting ${u}/${i} `.padEnd(SUBJECT_LENGTH, 'abcdefghij'),
              start: new Date(end.getTime() - 1_800_000),
              end,
              options: { guestPin: true },
            },
          );
        }
      }
      cookie = `roomlink_session=${await insertBrowserSession(t.runtime, T, 'b-admin')}`;

      // The route calls deps.subjects.exportTenant, which is this service.
      const subjects = t.retention.subjects;
      const exportTenant = subjects.exportTenant.bind(subjects);
      subjects.exportTenant = async (...args) => {
        pulled = { bytes: 0, largestChunk: 0, pending: false, done: false };
        return counted(await exportTenant(...args), pulled);
      };
      t.app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (req.url === '/api/v1/admin/export') served = res;
      });
    }, 60_000);
    afterAll(async () => t?.close());
    // A test that failed midway leaves no download holding the gate (or the server, open) for the next.
    afterEach(async () => {
      for (const res of responses.splice(0)) res.destroy();
      await gate.whenFree();
    });

    /** The export's response, its body not read: nothing reads the socket until it is resumed. */
    function startExport(): Promise<IncomingMessage> {
      return new Promise((resolve, reject) => {
        // A connection of its own (no keep-alive agent): the server socket's counts are this export's.
        const req = httpRequest(
          `${t.url}/api/v1/admin/export`,
          { headers: { cookie }, agent: false },
          (res) => {
            res.pause();
            responses.push(res);
            resolve(res);
          },
        );
        req.on('error', reject);
        req.end();
      });
    }

    /**
     * Until the server waits on the client: its response refuses more (the socket's buffers are
     * full), and for a good many turns of the event loop no chunk is asked of the export nor given
     * (a stream still filling its own buffer asks again within a turn of being given one).
     */
    async function untilStalled(): Promise<void> {
      let still = 0;
      let last = -1;
      while (still < 50) {
        await nextTurn();
        if (pulled.done) throw new Error(`the export was pulled to its end (${pulled.bytes} bytes)`);
        const waiting = served?.writableNeedDrain === true && !pulled.pending && pulled.bytes === last;
        still = waiting ? still + 1 : 0;
        last = pulled.bytes;
      }
    }

    async function readAll(res: IncomingMessage): Promise<string> {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      await new Promise((resolve, reject) => {
        res.on('end', resolve);
        res.on('error', reject);
        res.resume();
      });
      return Buffer.concat(chunks).toString('utf8');
    }

    it('stops pulling the export while the client does not read, and sends all of it once it does', async () => {
      const res = await startExport();
      expect(res.statusCode).toBe(200);
      await untilStalled();
      const held = pulled.bytes;
      // What the server process holds of it: pulled, less what the kernel has taken (the socket's
      // completed writes; headers and chunk framing count there too, a few hundred bytes).
      const socket = served?.socket;
      if (!socket) throw new Error('the export’s response has no socket');
      const inProcess = held - (socket.bytesWritten - socket.writableLength);
      const { largestChunk } = pulled;

      const text = await readAll(res);
      const total = Buffer.byteLength(text);
      expect(pulled).toMatchObject({ done: true, bytes: total });
      const data = JSON.parse(text) as Exported;
      expect(data.users).toHaveLength(USERS + 1);
      const meetings = data.users.flatMap((u) => u.meetings);
      expect(meetings).toHaveLength(USERS * MEETINGS_EACH);
      expect(meetings.every((m) => m.subject.length === SUBJECT_LENGTH)).toBe(true);

      // While the client read nothing, the export was pulled only as far as the buffers on the way
      // hold: the stream's 64 KiB (and the chunk that crossed it), the socket's writable buffer
      // (its high-water mark and the chunk that crossed it), and what the kernel took.
      expect(held, `pulled ${held} of ${total} bytes`).toBeLessThan(total / 2);
      expect(inProcess, `held in the server process, of ${total} bytes`).toBeLessThanOrEqual(
        64 * 1024 + socket.writableHighWaterMark + 2 * largestChunk,
      );

      // Read to its end, the export has given the gate back: the next one runs.
      expect(gate.busy).toBe(false);
      const again = await startExport();
      expect(again.statusCode).toBe(200);
      again.destroy();
      await gate.whenFree();
    });

    it('gives the gate back when a download is abandoned while the server waits on it', async () => {
      const res = await startExport();
      expect(res.statusCode).toBe(200);
      await untilStalled();
      expect(gate.busy).toBe(true);
      res.socket.destroy();
      await gate.whenFree();
      const next = await startExport();
      expect(next.statusCode).toBe(200);
      const data = JSON.parse(await readAll(next)) as Exported;
      expect(data.users.flatMap((u) => u.meetings)).toHaveLength(USERS * MEETINGS_EACH);
    });
  });
}
