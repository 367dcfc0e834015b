/** A signalling client of the built-in rooms for server tests: it keeps what it receives. */
import WebSocket from 'ws';

export interface RoomMessage {
  type: string;
  [key: string]: unknown;
}

export interface RoomClient {
  readonly ws: WebSocket;
  send(message: unknown): void;
  /** The first message of this type received (even before the call), or a rejection after 5 s. */
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
        5000,
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
