/** Test doubles and a real server for the room service tests. */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import type { RoomDirectory, RoomInfo } from '../src/server/directory.js';
import type { RoomsOptions } from '../src/server/options.js';
import { createRooms, type RoomService } from '../src/server/plugin.js';
import type { ServerMessage } from '../src/shared/protocol.js';

export class MapDirectory implements RoomDirectory {
  readonly rooms = new Map<string, RoomInfo>();
  /** Lookups waiting at the gate (see hold). */
  pending = 0;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;

  /** Held lookups answer with the row as it was when they started, as a database statement does. */
  snapshotAtStart = false;

  async findBySlug(slug: string): Promise<RoomInfo | null> {
    const snapshot = this.rooms.get(slug) ?? null;
    if (this.#gate) {
      this.pending += 1;
      await this.#gate;
      this.pending -= 1;
    }
    return this.snapshotAtStart ? snapshot : (this.rooms.get(slug) ?? null);
  }

  /** Makes lookups wait until release(), so that a test can have many in flight at once. */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = null;
  }

  /** Adds a room and returns its slug. */
  add(overrides: Partial<RoomInfo> = {}, slug = newSlug()): string {
    this.rooms.set(slug, roomInfo(overrides));
    return slug;
  }
}

export function newSlug(): string {
  return randomBytes(16).toString('base64url');
}

/** A room that is open now (started 5 minutes ago, ends in 55) with a host PIN and no guest PIN. */
export function roomInfo(overrides: Partial<RoomInfo> = {}): RoomInfo {
  const now = Date.now();
  return {
    meetingId: randomBytes(8).toString('hex'),
    tenantId: 'tenant-1',
    status: 'scheduled',
    startsAt: new Date(now - 5 * 60_000),
    endsAt: new Date(now + 55 * 60_000),
    hostPin: '482913',
    guestPin: null,
    lobby: false,
    language: 'en',
    ...overrides,
  };
}

export interface TestServer {
  readonly app: FastifyInstance;
  readonly rooms: RoomService;
  readonly baseUrl: string;
  wsUrl(slug: string): string;
  close(): Promise<void>;
}

export async function startServer(
  options: RoomsOptions,
  setup: (app: FastifyInstance) => Promise<void> = async () => undefined,
): Promise<TestServer> {
  const app = Fastify({ logger: false });
  await setup(app);
  const rooms = createRooms(options);
  await rooms.register(app);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    rooms,
    baseUrl: address,
    wsUrl: (slug) => `${address.replace(/^http/, 'ws')}/api/v1/rooms/${slug}/signal`,
    close: () => app.close(),
  };
}

/** A signalling client that queues what it receives, so tests can wait for the next message of a kind. */
export class TestSocket {
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters = new Set<() => void>();
  #cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ServerMessage);
      for (const wake of this.#waiters) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: String(reason) });
        for (const wake of this.#waiters) wake();
      });
    });
  }

  static open(url: string): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Waits for the next message (after those already taken) of `type`; skips others of other types. */
  async next<T extends ServerMessage['type']>(
    type: T,
    timeoutMs = 10_000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.received.length) {
        const message = this.received[this.#cursor++] as ServerMessage;
        if (message.type === type) return message as Extract<ServerMessage, { type: T }>;
      }
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed before a "${type}" message`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no "${type}" message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        const waiters = this.#waiters;
        waiters.add(done);
      });
    }
  }

  /** Everything received of `type` so far. */
  all<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a socket and joins; returns it with the `joined` (or `waiting`) answer already taken. */
export async function join(
  server: TestServer,
  slug: string,
  name: string,
  pin?: string,
): Promise<{ socket: TestSocket; id: string }> {
  const socket = await TestSocket.open(server.wsUrl(slug));
  socket.send({ type: 'join', name, ...(pin ? { pin } : {}) });
  const joined = await socket.next('joined');
  return { socket, id: joined.id };
}

export interface Refusal {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** An upgrade the server must refuse: its status, headers and problem+json body; rejects if it opens. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.once('end', () => {
        ws.terminate();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text) });
      });
    });
    ws.once('error', reject);
  });
}

/** Opens a socket and closes it at once: 'open', or the HTTP status the upgrade was answered with. */
export function upgrade(url: string, headers: Record<string, string> = {}): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}
