import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GraphClient, GraphError, PREFER, parseRetryAfter } from './graph-client.js';
import { createSyncMetrics } from './graph-metrics.js';
import { SignInRequiredError } from './token-source.js';

/** A fake clock: sleep advances time instantly, so Retry-After is checked without waiting. */
function fakeClock() {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

const tokens = { getAccessToken: async () => 'token', onClaimsChallenge: async () => 'token2' };

function client(fetchImpl: typeof fetch, clock = fakeClock(), extra: Record<string, unknown> = {}) {
  const registry = new Registry();
  return {
    registry,
    clock,
    graph: new GraphClient({
      baseUrl: 'https://graph.test',
      tokens,
      metrics: createSyncMetrics(registry),
      fetch: fetchImpl,
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
      ...extra,
    }),
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('GraphClient', () => {
  it('waits what Retry-After says before sending again, and counts each outcome', async () => {
    const clock = fakeClock();
    const sentAt: number[] = [];
    const { graph, registry } = client(async () => {
      sentAt.push(clock.now());
      return sentAt.length <= 2
        ? json(429, { error: { code: 'ApplicationThrottled' } }, { 'retry-after': '3' })
        : json(200, { id: 'x' });
    }, clock);
    const response = await graph.request('u1', { path: 'me/events/x', operation: 'event.get' });
    expect(response.body).toEqual({ id: 'x' });
    expect(sentAt[1] - sentAt[0]).toBeGreaterThanOrEqual(3000);
    expect(sentAt[2] - sentAt[1]).toBeGreaterThanOrEqual(3000);
    const text = await registry.metrics();
    expect(text).toContain('roomlink_graph_requests_total{operation="event.get",outcome="throttled"} 2');
    expect(text).toContain('roomlink_graph_requests_total{operation="event.get",outcome="ok"} 1');
  });

  it('pauses the whole mailbox after a 429, not only the request that got it', async () => {
    const clock = fakeClock();
    const sent: { path: string; at: number }[] = [];
    let throttled = false;
    const { graph } = client(async (input) => {
      const path = new URL(String(input)).pathname;
      sent.push({ path, at: clock.now() });
      if (path.endsWith('/a') && !throttled) {
        throttled = true;
        return json(429, {}, { 'retry-after': '10' });
      }
      return json(200, {});
    }, clock);
    const first = graph.request('u1', { path: 'me/events/a', operation: 'x' });
    await new Promise((resolve) => setImmediate(resolve));
    await graph.request('u1', { path: 'me/events/b', operation: 'x' });
    await first;
    const throttledAt = sent[0]?.at ?? 0;
    for (const s of sent.slice(1)) expect(s.at).toBeGreaterThanOrEqual(throttledAt + 10_000);
  });

  it('backs off exponentially without Retry-After and gives up after maxAttempts', async () => {
    const clock = fakeClock();
    const sentAt: number[] = [];
    const { graph } = client(
      async () => {
        sentAt.push(clock.now());
        return json(502, { error: { code: 'BadGateway' } });
      },
      clock,
      { maxAttempts: 4, backoff: { baseMs: 100, capMs: 250 } },
    );
    await expect(graph.request('u1', { path: 'me/events', operation: 'x' })).rejects.toMatchObject({
      status: 502,
    });
    expect(sentAt).toHaveLength(4);
    const gaps = sentAt.slice(1).map((t, i) => t - (sentAt[i] as number));
    expect(gaps.every((g) => g >= 50 && g <= 250)).toBe(true);
  });

  it('keeps at most 4 requests in flight per mailbox', async () => {
    let inFlight = 0;
    let peak = 0;
    const { graph } = client(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return json(200, {});
    });
    await Promise.all(
      Array.from({ length: 12 }, () => graph.request('u1', { path: 'me/events', operation: 'x' })),
    );
    expect(peak).toBe(4);
  });

  it('asks for immutable ids and UTC, and never sends the token to a foreign link', async () => {
    const seen: Headers[] = [];
    const { graph } = client(async (_input, init) => {
      seen.push(new Headers(init?.headers));
      return json(200, {});
    });
    await graph.request('u1', { path: 'me/events', operation: 'x' });
    expect(seen[0]?.get('prefer')).toBe(PREFER);
    expect(seen[0]?.get('authorization')).toBe('Bearer token');
    await expect(
      graph.request('u1', { path: 'https://evil.test/v1.0/me/events', operation: 'x' }),
    ).rejects.toBeInstanceOf(GraphError);
    expect(seen).toHaveLength(1);
  });

  it('hands a claims challenge to the token source and turns a refused sign-in into SignInRequiredError', async () => {
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1"}}}';
    let calls = 0;
    const challenge = `Bearer realm="", error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"`;
    const seenClaims: string[] = [];
    const registry = new Registry();
    const graph = new GraphClient({
      baseUrl: 'https://graph.test',
      metrics: createSyncMetrics(registry),
      tokens: {
        getAccessToken: async () => 'token',
        onClaimsChallenge: async (_u, c) => {
          seenClaims.push(c);
          throw Object.assign(new Error('no'), { code: 'claims_required' });
        },
      },
      fetch: async () => {
        calls++;
        return json(
          401,
          { error: { code: 'InvalidAuthenticationToken' } },
          { 'www-authenticate': challenge },
        );
      },
    });
    await expect(graph.request('u1', { path: 'me/events', operation: 'x' })).rejects.toBeInstanceOf(
      SignInRequiredError,
    );
    expect(seenClaims).toEqual([claims]);
    expect(calls).toBe(1);
  });

  it('retries throttled items of a $batch after their Retry-After', async () => {
    const clock = fakeClock();
    const sentAt: number[] = [];
    const { graph } = client(async (_input, init) => {
      sentAt.push(clock.now());
      const { requests } = JSON.parse(String(init?.body)) as { requests: { id: string }[] };
      return json(200, {
        responses: requests.map((r) =>
          r.id === '2' && sentAt.length === 1
            ? { id: r.id, status: 429, headers: { 'Retry-After': '2' }, body: {} }
            : { id: r.id, status: r.id === '3' ? 404 : 200, body: { id: r.id } },
        ),
      });
    }, clock);
    const results = await graph.batch(
      'u1',
      ['1', '2', '3'].map((id) => ({ id, url: `me/events/${id}` })),
      'event.get',
    );
    expect([...results.keys()].sort()).toEqual(['1', '2', '3']);
    expect(results.get('3')?.status).toBe(404);
    expect(sentAt[1] - sentAt[0]).toBeGreaterThanOrEqual(2000);
  });

  it('never sleeps a Retry-After longer than maxRetryAfterMs: the mailbox pause goes back to the queue', async () => {
    const clock = fakeClock();
    const slept: number[] = [];
    let sent = 0;
    const { graph } = client(
      async () => {
        sent++;
        return sent === 1
          ? json(429, { error: { code: 'ApplicationThrottled' } }, { 'retry-after': '3600' })
          : json(200, {});
      },
      {
        now: clock.now,
        sleep: async (ms: number) => {
          slept.push(ms);
          await clock.sleep(ms);
        },
      },
    );
    await expect(graph.request('u1', { path: 'me/events', operation: 'x' })).rejects.toMatchObject({
      status: 429,
      retryAfterMs: 3_600_000,
    });
    // The job's retry (or any other job of the mailbox) a second later: the pause still has 3,599 s
    // to go, so it throws at once with what remains instead of sleeping it out.
    await clock.sleep(1_000);
    await expect(graph.request('u1', { path: 'me/events', operation: 'x' })).rejects.toMatchObject({
      status: 429,
      code: 'mailbox_paused',
      retryAfterMs: 3_599_000,
    });
    expect(slept).toEqual([]);
    expect(sent).toBe(1);
    // Once the pause is within the bound, it is waited in-process as before.
    await clock.sleep(3_599_000 - 60_000);
    await expect(graph.request('u1', { path: 'me/events', operation: 'x' })).resolves.toMatchObject({
      status: 200,
    });
    expect(slept).toEqual([60_000]);
    expect(sent).toBe(2);
  });

  it('never sleeps a $batch item Retry-After longer than maxRetryAfterMs', async () => {
    const clock = fakeClock();
    const slept: number[] = [];
    let sent = 0;
    const { graph } = client(
      async () => {
        sent++;
        return json(200, {
          responses: [{ id: '1', status: 429, headers: { 'Retry-After': '3600' }, body: {} }],
        });
      },
      {
        now: clock.now,
        sleep: async (ms: number) => {
          slept.push(ms);
          await clock.sleep(ms);
        },
      },
    );
    await expect(graph.batch('u1', [{ id: '1', url: 'me/events/a' }], 'event.get')).rejects.toMatchObject({
      status: 429,
      retryAfterMs: 3_600_000,
    });
    expect(slept).toEqual([]);
    expect(sent).toBe(1);
    // The mailbox is paused for the hour: nothing else of it goes out meanwhile.
    await expect(graph.request('u1', { path: 'me/events', operation: 'x' })).rejects.toMatchObject({
      status: 429,
      retryAfterMs: 3_600_000,
    });
    expect(sent).toBe(1);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
