/**
 * The cap on signalling sockets one client holds open, enforced before the WebSocket handshake: at the
 * cap an upgrade gets 429 and no socket; upgrades in flight hold a place; failed ones give it back;
 * refused connections are counted by reason.
 */
import http from 'node:http';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { join, MapDirectory, newSlug, refusedUpgrade, startServer, TestSocket, upgrade } from './helpers.js';

const directory = new MapDirectory();
/** All test sockets come from 127.0.0.1: `?as=` stands for another address. */
const clientAddress = (request: { query: unknown; ip: string }) =>
  (request.query as { as?: string }).as ?? request.ip;

/** An upgrade whose handshake `ws` refuses (a malformed key): the status it is answered with. */
function badHandshake(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url.replace(/^ws/, 'http'), {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'not a key',
      },
    });
    request.once('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('upgrade', () => reject(new Error('the upgrade was accepted')));
    request.once('error', reject);
  });
}

/** The samples of roomlink_rooms_connections_refused_total, by reason. */
async function refusedByReason(registry: Registry): Promise<Record<string, number>> {
  const text = await registry.metrics();
  const counts: Record<string, number> = {};
  for (const [, reason, value] of text.matchAll(
    /^roomlink_rooms_connections_refused_total\{reason="([^"]+)"\} (\d+)$/gm,
  ))
    counts[reason as string] = Number(value);
  return counts;
}

describe('the socket cap, before the handshake', () => {
  it('answers an upgrade at the cap 429 with problem+json and Retry-After, and makes no socket; a place frees when one closes; other addresses are not affected', async () => {
    // Frozen: the budget of new connections (4 at once at this cap, then one every 5 s) never refills.
    const clock = Date.now();
    const server = await startServer({
      directory,
      maxSocketsPerClient: 2,
      now: () => new Date(clock),
      clientAddress,
    });
    try {
      const slug = directory.add();
      const url = server.wsUrl(slug);
      const ada = await join(server, slug, 'Ada');
      const idle = await TestSocket.open(url);

      for (let i = 0; i < 6; i++) {
        const refused = await refusedUpgrade(url);
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBe('5');
        expect(refused.headers['cache-control']).toBe('no-store');
        expect(refused.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(refused.body).toEqual({
          type: 'https://roomlink.dev/problems/too-many-connections',
          title: 'Too many requests',
          status: 429,
          detail: 'this address already holds as many connections as it may: one must close first',
          code: 'too_many_connections',
          reason: 'socket_cap',
        });
      }
      expect(server.rooms.counts().sockets).toBe(2);

      // Another address has places of its own.
      const olga = await TestSocket.open(`${url}?as=198.51.100.7`);
      olga.send({ type: 'join', name: 'Olga' });
      await olga.next('joined');

      idle.close();
      await expect.poll(() => server.rooms.counts().sockets).toBe(2);
      // The six refusals took nothing from the budget either: a third new socket is still in it.
      const cy = await join(server, slug, 'Cy');
      expect((await refusedUpgrade(url)).status).toBe(429);
      for (const s of [ada.socket, cy.socket, olga]) s.close();
    } finally {
      await server.close();
    }
  });

  it('tells a client at its cap to come back no sooner than its budget of new connections lets it', async () => {
    const clock = Date.now();
    // Cap 1: two new connections at once, then one every 10 s.
    const server = await startServer({ directory, maxSocketsPerClient: 1, now: () => new Date(clock) });
    try {
      const url = server.wsUrl(directory.add());
      expect(await upgrade(url)).toBe('open');
      await expect.poll(() => server.rooms.counts().sockets).toBe(0);
      const held = await TestSocket.open(url);
      const refused = await refusedUpgrade(url);
      expect(refused.status).toBe(429);
      expect(refused.body.detail).toMatch(/one must close first/);
      expect(refused.headers['retry-after']).toBe('10');
      held.close();
    } finally {
      await server.close();
    }
  });

  it('counts upgrades in flight: the last place goes to one of two at once, and an upgrade that fails gives its place back', async () => {
    let clock = Date.now();
    // An app's own slow hook (a lookup, a rate limiter) holds `?hold` upgrades after their admission.
    let gate: Promise<void> | null = null;
    let open: () => void = () => undefined;
    let holding = 0;
    const server = await startServer(
      { directory, maxSocketsPerClient: 2, now: () => new Date(clock), clientAddress },
      async (app) => {
        app.addHook('preValidation', async (request) => {
          if ((request.query as { hold?: string }).hold === undefined || !gate) return;
          holding += 1;
          await gate;
          holding -= 1;
        });
      },
    );
    const hold = () => {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    };
    const release = () => {
      open();
      gate = null;
    };
    // Server-side TCP connections: made, left by their client (ended or closed), closed.
    let connections = 0;
    let left = 0;
    let closed = 0;
    server.app.server.on('connection', (socket) => {
      connections += 1;
      let gone = false;
      const leave = () => {
        if (!gone) left += 1;
        gone = true;
      };
      socket.once('end', leave);
      socket.once('close', () => {
        leave();
        closed += 1;
      });
    });
    // Every connection but the open signalling sockets has closed: no upgrade is under way, and each
    // that failed has given its place back if it is going to.
    const settled = () => expect.poll(() => connections - closed - server.rooms.counts().sockets).toBe(0);
    try {
      const slug = directory.add();
      const url = server.wsUrl(slug);
      const ada = await join(server, slug, 'Ada');

      hold();
      const first = TestSocket.open(`${url}?hold`);
      await expect.poll(() => holding).toBe(1);
      // One socket open and one upgrade under way: the cap (2) is reached, though one has no socket yet.
      const second = await refusedUpgrade(url);
      expect(second.status).toBe(429);
      expect(second.body.detail).toMatch(/one must close first/);
      release();
      const bob = await first;
      expect(server.rooms.counts().sockets).toBe(2);
      bob.close();
      await expect.poll(() => server.rooms.counts().sockets).toBe(1);

      // Upgrades that fail after their admission, each given time to settle.
      expect(await upgrade(url, { Origin: 'https://evil.example' })).toBe(403);
      await settled();
      expect(await badHandshake(url)).toBe(400);
      await settled();
      // Two of the four new connections are spent (Ada, Bob), two just now; one more every 5 s.
      clock += 15_000;
      hold();
      const gone = new WebSocket(`${url}?hold`);
      gone.on('error', () => undefined);
      await expect.poll(() => holding).toBe(1);
      const leftBefore = left;
      gone.terminate();
      await expect.poll(() => left).toBe(leftBefore + 1);
      release();
      await settled();

      // None of them kept a place: one more socket is let in, and then the cap refuses.
      const cy = await join(server, slug, 'Cy');
      expect((await refusedUpgrade(url)).status).toBe(429);
      for (const s of [ada.socket, cy.socket]) s.close();
    } finally {
      release();
      await server.close();
    }
  });
});

/** What GET /api/v1/rooms/:slug/admission answers, as the join page reads it. */
async function admission(baseUrl: string, slug: string, as?: string) {
  const query = as === undefined ? '' : `?as=${as}`;
  const response = await fetch(`${baseUrl}/api/v1/rooms/${slug}/admission${query}`);
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    cacheControl: response.headers.get('cache-control'),
    contentType: response.headers.get('content-type'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  };
}

describe('GET /api/v1/rooms/:slug/admission', () => {
  it('answers 204 while an upgrade would be let in, and 429 with the reason and Retry-After at the socket cap; the same for any slug', async () => {
    const clock = Date.now();
    const registry = new Registry();
    const server = await startServer({
      directory,
      maxSocketsPerClient: 2,
      now: () => new Date(clock),
      clientAddress,
      metricsRegistry: registry,
    });
    try {
      const slug = directory.add();
      const url = server.wsUrl(slug);
      expect(await admission(server.baseUrl, slug)).toEqual({
        status: 204,
        retryAfter: null,
        cacheControl: 'no-store',
        contentType: null,
        body: null,
      });
      const ada = await join(server, slug, 'Ada');
      const idle = await TestSocket.open(url);

      const refused = await refusedUpgrade(url);
      // Unknown and malformed slugs too: the answer is the address's, never the room's.
      for (const asked of [slug, newSlug(), 'x']) {
        const answer = await admission(server.baseUrl, asked);
        expect(answer.status, asked).toBe(429);
        expect(answer.retryAfter).toBe(refused.headers['retry-after']);
        expect(answer.retryAfter).toBe('5');
        expect(answer.cacheControl).toBe('no-store');
        expect(answer.contentType).toMatch(/^application\/problem\+json/);
        // What the refused upgrade said, which a browser cannot read.
        expect(answer.body).toEqual(refused.body);
        expect(answer.body).toMatchObject({
          status: 429,
          code: 'too_many_connections',
          reason: 'socket_cap',
        });
      }
      // Another address is admitted.
      expect((await admission(server.baseUrl, slug, '198.51.100.7')).status).toBe(204);
      // Asking is no connection: only the one upgrade was counted as refused.
      expect(await refusedByReason(registry)).toMatchObject({ socket_cap: 1, connection_rate: 0 });

      idle.close();
      await expect.poll(async () => (await admission(server.baseUrl, slug)).status).toBe(204);
      const cy = await join(server, slug, 'Cy');
      expect((await admission(server.baseUrl, slug)).status).toBe(429);
      for (const s of [ada.socket, cy.socket]) s.close();
    } finally {
      await server.close();
    }
  });

  it('answers 429 connection_rate to an address connecting too often, until its budget lets it in again', async () => {
    let clock = Date.now();
    // Cap 1: two new connections at once, then one every 10 s.
    const server = await startServer({
      directory,
      maxSocketsPerClient: 1,
      now: () => new Date(clock),
      clientAddress,
    });
    try {
      const slug = directory.add();
      const url = server.wsUrl(slug);
      for (let i = 0; i < 2; i++) {
        expect(await upgrade(url)).toBe('open');
        await expect.poll(() => server.rooms.counts().sockets).toBe(0);
      }
      const refused = await refusedUpgrade(url);
      const answer = await admission(server.baseUrl, slug);
      expect(answer.status).toBe(429);
      expect(answer.retryAfter).toBe('10');
      expect(answer.body).toEqual(refused.body);
      expect(answer.body).toMatchObject({ code: 'too_many_connections', reason: 'connection_rate' });

      clock += 6_000;
      expect((await admission(server.baseUrl, slug)).retryAfter).toBe('4');
      clock += 4_000;
      expect((await admission(server.baseUrl, slug)).status).toBe(204);
      expect(await upgrade(url)).toBe('open');
    } finally {
      await server.close();
    }
  });

  it('takes nothing from the limits it reports: an address that asks again and again is still let in', async () => {
    const clock = Date.now();
    // Cap 1 on a still clock: two new connections in all, if asking took one each time none would be left.
    const server = await startServer({
      directory,
      maxSocketsPerClient: 1,
      now: () => new Date(clock),
      clientAddress,
    });
    try {
      const slug = directory.add();
      for (let i = 0; i < 20; i++) expect((await admission(server.baseUrl, slug)).status).toBe(204);
      const held = await TestSocket.open(server.wsUrl(slug));
      for (let i = 0; i < 20; i++) expect((await admission(server.baseUrl, slug)).status).toBe(429);
      held.close();
      await expect.poll(() => server.rooms.counts().sockets).toBe(0);
      // The second new connection of the two is still there, after forty questions.
      expect(await upgrade(server.wsUrl(slug))).toBe('open');
    } finally {
      await server.close();
    }
  });
});

describe('metrics', () => {
  it('counts refused connections by reason, with no address or room in them', async () => {
    const clock = Date.now();
    const registry = new Registry();
    const server = await startServer({
      directory,
      maxSocketsPerClient: 1,
      now: () => new Date(clock),
      clientAddress,
      metricsRegistry: registry,
    });
    try {
      // Every reason is there from the start.
      expect(await refusedByReason(registry)).toEqual({ connection_rate: 0, socket_cap: 0, origin: 0 });
      const slug = directory.add();
      const url = server.wsUrl(slug);
      const held = await TestSocket.open(url);
      for (let i = 0; i < 3; i++) expect(await upgrade(url)).toBe(429);
      expect(await refusedByReason(registry)).toEqual({ connection_rate: 0, socket_cap: 3, origin: 0 });

      // Another address, under its cap, connecting too often: two at once, then one every 10 s.
      const other = `${url}?as=198.51.100.7`;
      for (let i = 0; i < 2; i++) {
        expect(await upgrade(other)).toBe('open');
        await expect.poll(() => server.rooms.counts().sockets).toBe(1);
      }
      expect(await upgrade(other)).toBe(429);
      expect(await upgrade(`${url}?as=203.0.113.9`, { Origin: 'https://evil.example' })).toBe(403);
      expect(await refusedByReason(registry)).toEqual({ connection_rate: 1, socket_cap: 3, origin: 1 });

      const text = await registry.metrics();
      for (const secret of [slug, '127.0.0.1', '198.51.100.7', '203.0.113.9', 'evil'])
        expect(text).not.toContain(secret);
      held.close();
    } finally {
      await server.close();
    }
  });
});
