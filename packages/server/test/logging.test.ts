/** What the server logs at the most verbose level never holds titles, addresses, tokens or PINs. */
import { afterEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from './support/databases.js';
import { type ServerProcess, startSignedInServer } from './support/server-process.js';

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
        start: '2026-12-01T09:00:00Z',
        end: '2026-12-01T10:00:00Z',
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
    // The per-request line skips redaction (app.ts): it must hold only these fields.
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
      meeting.hostPin,
      meeting.guestPin,
      'secret-authorization-code',
    ]) {
      expect(output, secret).not.toContain(secret);
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
