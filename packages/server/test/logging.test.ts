/** What the server logs at the most verbose level never holds titles, addresses, tokens or PINs. */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pino, { type LoggerOptions } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/observability/logger.js';
import type { TestDatabase } from './support/databases.js';
import { startTestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';
import { type ServerProcess, startSignedInServer } from './support/server-process.js';

const SOON = daysFromNow(7);

describe('logs', () => {
  let database: TestDatabase;
  let server: ServerProcess | undefined;
  let token: string;
  afterEach(async () => {
    server?.kill('SIGKILL');
    await database?.drop();
  });

  it('hold no subject, e-mail address, session token or PIN, even at trace level and on errors', async () => {
    ({ server, token, database } = await startSignedInServer('tenant-log', 'logger', { LOG_LEVEL: 'trace' }));
    const subject = 'Salary talk with jane.doe@contoso.example';
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/api/v1/meetings?lang=fr`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        subject,
        start: SOON.start,
        end: SOON.end,
        options: { guestPin: true },
      }),
    });
    expect(created.status).toBe(201);
    const meeting = (await created.json()) as { id: string; hostPin: string; guestPin: string };
    // A rejected request quoting personal data, and a request with a secret in the query string.
    await fetch(`${server.url}/api/v1/meetings`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ subject, start: 'x@y.example' }),
    });
    await fetch(`${server.url}/api/v1/meetings/${meeting.id}?code=secret-authorization-code`, { headers });
    await server.waitForLog(
      (l) =>
        l.msg === 'request completed' && l.res !== undefined && String(JSON.stringify(l)).includes('400'),
    );
    server.kill('SIGTERM');
    await server.exited;

    const output = server.output();
    expect(output).toContain('request completed');
    // The per-request line holds only these fields (app.ts).
    const completed = output
      .split('\n')
      .filter((line) => line.includes('"request completed"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(completed.length).toBeGreaterThanOrEqual(3);
    for (const line of completed) {
      expect(Object.keys(line).sort()).toEqual(
        ['hostname', 'level', 'msg', 'pid', 'reqId', 'req', 'res', 'responseTime', 'time'].sort(),
      );
      expect(line.reqId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Object.keys(line.req as object).sort()).toEqual(['method', 'route']);
      expect(Object.keys(line.res as object)).toEqual(['statusCode']);
    }
    for (const secret of [
      subject,
      'jane.doe',
      'contoso.example',
      'x@y.example',
      token,
      'secret-authorization-code',
    ]) {
      expect(output, secret).not.toContain(secret);
    }
    // A PIN as a value of its own: its six random digits can be part of a longer number by chance (a
    // timestamp, a response time).
    for (const pin of [meeting.hostPin, meeting.guestPin]) {
      expect(output, 'a PIN').not.toMatch(new RegExp(`(?<![0-9])${pin}(?![0-9])`));
    }
  });

  it("logs Graph's accepted change notifications at debug level only, all else of its webhooks at info", async () => {
    const statusOf = (line: Record<string, unknown>) =>
      (line.res as { statusCode?: number } | undefined)?.statusCode;
    // The level of each webhook response's access line, by "route status".
    const levels = async (logLevel: string): Promise<Map<string, unknown>> => {
      const started = await startSignedInServer('tenant-log', 'logger', { LOG_LEVEL: logLevel });
      const own = started.server;
      try {
        const post = (path: string, contentType: string, body: string) =>
          fetch(`${own.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
        // Well-formed, for a subscription Roomlink does not have: accepted and counted, never queued.
        const change = {
          subscriptionId: 'sub-x',
          clientState: 'x',
          changeType: 'updated',
          resource: 'Users/u/Events/e1',
        };
        const lifecycle = { subscriptionId: 'sub-x', clientState: 'x', lifecycleEvent: 'missed' };
        const statuses = [
          (await post('/api/graph/notifications', 'application/json', JSON.stringify({ value: [change] })))
            .status,
          (await post('/api/graph/notifications?validationToken=hello', 'text/plain', '')).status,
          (await post('/api/graph/notifications', 'application/json', '{"value":3}')).status,
          (await post('/api/graph/lifecycle', 'application/json', JSON.stringify({ value: [lifecycle] })))
            .status,
        ];
        expect(statuses).toEqual([202, 200, 400, 202]);
        await own.waitForLog(
          (l) =>
            l.msg === 'request completed' && (l.req as { route?: string }).route === '/api/graph/lifecycle',
        );
        own.kill('SIGTERM');
        expect(await own.exited).toBe(0);
        const completed = own.lines.filter(
          (l) =>
            l.msg === 'request completed' &&
            String((l.req as { route?: string }).route).startsWith('/api/graph/'),
        );
        return new Map(
          completed.map((l) => [`${(l.req as { route: string }).route} ${statusOf(l)}`, l.level]),
        );
      } finally {
        own.kill('SIGKILL');
        await started.database.drop();
      }
    };

    // pino's levels: 20 debug, 30 info.
    const logged = {
      handshake: ['/api/graph/notifications 200', 30],
      rejected: ['/api/graph/notifications 400', 30],
      lifecycle: ['/api/graph/lifecycle 202', 30],
    } as const;
    expect(await levels('info')).toEqual(new Map([logged.handshake, logged.rejected, logged.lifecycle]));
    expect(await levels('debug')).toEqual(
      new Map([['/api/graph/notifications 202', 20], logged.handshake, logged.rejected, logged.lifecycle]),
    );
  });
});

describe('requests the HTTP parser refuses', () => {
  /** Sends `payload` on a new connection; resolves with all the server answered once it closes. */
  function raw(url: string, payload: string): Promise<string> {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
      let answer = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(payload));
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  // The product's logger; and one with pino's standard error serializer (which copies an error's
  // every property), so that the handler alone is seen to keep the bytes out.
  it.each([
    ['the product’s logger options', (): LoggerOptions => loggerOptions('trace')],
    [
      'pino’s standard error serializer',
      (): LoggerOptions => {
        const options = loggerOptions('trace');
        return { ...options, serializers: { ...options.serializers, err: pino.stdSerializers.err } };
      },
    ],
  ])(
    'are answered as Fastify does and logged at trace level by error code, never with their bytes (%s)',
    async (_, options) => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const t = await startTestApp('sqlite', { listen: true, logger: pino(options(), sink) });
      try {
        const token = 'SECRET-SESSION-TOKEN-f00d';
        const cookie = 'roomlink_session=SECRET-COOKIE-beef';
        const subject = 'Salary talk with jane.doe@contoso.example';
        const answers = [
          // An Authorization header and a cookie, then a header value with a forbidden control character.
          await raw(
            t.url,
            `GET /api/v1/meetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
              `Cookie: ${cookie}\r\nX-Bad: a\u0001b\r\n\r\n`,
          ),
          // A JSON body with a title and an address, then a malformed chunk size.
          await raw(
            t.url,
            `POST /api/v1/meetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
              `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
              `${Buffer.byteLength(JSON.stringify({ subject })).toString(16)}\r\n${JSON.stringify({ subject })}\r\nZZ\r\n`,
          ),
          // Headers larger than Node accepts (16 KiB), the token first.
          await raw(
            t.url,
            `GET /api/v1/meetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
              `X-Padding: ${'p'.repeat(20_000)}\r\n\r\n`,
          ),
        ];
        // The chunked request may be refused for its session first (401), before its body is parsed.
        expect(answers.map((a) => a.match(/HTTP\/1\.1 \d{3} [^\r]*/g)?.at(-1))).toEqual([
          'HTTP/1.1 400 Bad Request',
          'HTTP/1.1 400 Bad Request',
          'HTTP/1.1 431 Request Header Fields Too Large',
        ]);
        // In problem+json, like every other refusal.
        expect(answers[0]).toContain('Content-Type: application/problem+json');
        expect(answers[0]).toContain('"code":"invalid_request"');
        expect(answers[2]).toContain('"code":"header_fields_too_large"');

        const refused = lines
          .map((line) => JSON.parse(line) as { level: number; msg: string; err?: unknown })
          .filter((line) => line.msg.startsWith('client '));
        expect(refused.map((line) => [line.level, line.msg, line.err])).toEqual([
          [10, 'client error', { type: 'Error', code: 'HPE_INVALID_HEADER_TOKEN' }],
          [10, 'client error', { type: 'Error', code: 'HPE_INVALID_CHUNK_SIZE' }],
          [10, 'client header_overflow', { type: 'Error', code: 'HPE_HEADER_OVERFLOW' }],
        ]);
        const output = lines.join('');
        for (const secret of [token, 'SECRET-COOKIE', subject, 'Salary', 'jane.doe', 'contoso.example']) {
          expect(output, secret).not.toContain(secret);
        }
        // Nor as the bytes pino writes for a Buffer ({"type":"Buffer","data":[71,69,84,...]}).
        expect(output).not.toContain('rawPacket');
        expect(output).not.toContain('"Buffer"');
      } finally {
        await t.close();
      }
    },
  );
});
