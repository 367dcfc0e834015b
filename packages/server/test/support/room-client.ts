/** A signalling client of the built-in rooms for server tests: it keeps what it receives. */
import WebSocket from 'ws';

export interface RoomMessage {
  type: string;
  [key: string]: unknown;
}

export interface RoomClient {
  readonly ws: WebSocket;
  send(message: unknown): void;
  /** The first message of this type received (even before the call), or a rejection after 10 s. */
  next(type: string): Promise<RoomMessage>;
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  readonly received: RoomMessage[];
}

export async function participant(url: string): Promise<RoomClient> {
  const ws = new WebSocket(url);
  const received: RoomMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    received.push(JSON.parse(String(data)) as RoomMessage);
    for (const w of waiters) w();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (type: string) =>
    new Promise<RoomMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${type} message in ${JSON.stringify(received)}`)),
        10_000,
      );
      const check = () => {
        const found = received.find((m) => m.type === type);
        if (found) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        }
      };
      waiters.add(check);
      check();
    });
  return { ws, send: (m: unknown) => ws.send(JSON.stringify(m)), next, closed, received };
}

export interface OpenMeeting {
  readonly id: string;
  readonly joinUrl: string;
  readonly hostPin: string;
  /** Its room's signalling WebSocket URL. */
  readonly signal: string;
}

/**
 * Creates, through the server's API, a meeting whose room is open now (it started 5 minutes ago and
 * ends in 55); `fields` adds to or replaces the request's.
 */
export async function createOpenMeeting(
  serverUrl: string,
  token: string,
  fields: Record<string, unknown>,
): Promise<OpenMeeting> {
  const created = await fetch(`${serverUrl}/api/v1/meetings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      start: new Date(Date.now() - 5 * 60_000).toISOString(),
      end: new Date(Date.now() + 55 * 60_000).toISOString(),
      ...fields,
    }),
  });
  if (created.status !== 201)
    throw new Error(`meeting not created: ${created.status} ${await created.text()}`);
  const meeting = (await created.json()) as { id: string; joinUrl: string; hostPin: string };
  const slug = meeting.joinUrl.split('/m/')[1] as string;
  return { ...meeting, signal: `${serverUrl.replace('http', 'ws')}/api/v1/rooms/${slug}/signal` };
}

/**
 * A visitor behind the trusted proxy (its address `forwardedFor`) joins with `pin` on a new socket:
 * the first reply, after which the socket is closed.
 */
export async function firstReplyToJoin(
  signal: string,
  forwardedFor: string,
  pin: string,
): Promise<RoomMessage> {
  const ws = new WebSocket(signal, { headers: { 'x-forwarded-for': forwardedFor } });
  try {
    const reply = new Promise<RoomMessage>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data)) as RoomMessage));
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('closed without a reply')));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'join', name: 'Visitor', pin }));
    return await reply;
  } finally {
    ws.close();
  }
}
