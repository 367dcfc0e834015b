/**
 * A real webhook receiver for Graph notifications on 127.0.0.1:0. It answers the validation handshake
 * as configured and records every POST it gets, so tests can assert what Graph would have sent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ValidationBehaviour = 'echo' | 'wrong-token' | 'json-content-type' | 'status-500' | 'hang';

export interface ReceivedPost {
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}

export interface Receiver {
  /** Absolute URL for a path on the receiver, e.g. url('/notify'). */
  url(path: string): string;
  validation: ValidationBehaviour;
  /** Status codes for the next notification POSTs (then 202). */
  failNext(...statuses: number[]): void;
  /** Every POST except validation requests. */
  posts(path?: string): ReceivedPost[];
  /** Parsed notification items (value[]) received on a path. */
  notifications(path?: string): Record<string, unknown>[];
  validations(): ReceivedPost[];
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startReceiver(): Promise<Receiver> {
  const posts: ReceivedPost[] = [];
  const validations: ReceivedPost[] = [];
  const failures: number[] = [];
  const state = { validation: 'echo' as ValidationBehaviour };
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://receiver');
    const body = await readBody(request);
    const received: ReceivedPost = {
      path: url.pathname,
      query: url.searchParams,
      contentType: request.headers['content-type'],
      body,
    };
    const token = url.searchParams.get('validationToken');
    if (token !== null) {
      validations.push(received);
      switch (state.validation) {
        case 'echo':
          response.writeHead(200, { 'content-type': 'text/plain' }).end(token);
          return;
        case 'wrong-token':
          response.writeHead(200, { 'content-type': 'text/plain' }).end('not the token');
          return;
        case 'json-content-type':
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(token));
          return;
        case 'status-500':
          response.writeHead(500).end();
          return;
        case 'hang':
          return;
      }
    }
    posts.push(received);
    response.writeHead(failures.shift() ?? 202).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    get validation() {
      return state.validation;
    },
    set validation(value: ValidationBehaviour) {
      state.validation = value;
    },
    failNext: (...statuses) => {
      failures.push(...statuses);
    },
    posts: (path) => posts.filter((p) => path === undefined || p.path === path),
    notifications: (path) =>
      posts
        .filter((p) => path === undefined || p.path === path)
        .flatMap((p) => (JSON.parse(p.body) as { value: Record<string, unknown>[] }).value),
    validations: () => [...validations],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
