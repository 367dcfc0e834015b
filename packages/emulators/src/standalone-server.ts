/**
 * Runs an emulator plugin on its own HTTP server (tests, scripts). The socket is bound before the
 * emulator is built, so it knows its absolute base URL even on an ephemeral port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyPluginAsync } from 'fastify';

export interface ListenOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Where the endpoints live on the server. */
  readonly path?: string;
}

export interface RunningEmulator<E> {
  readonly emulator: E;
  /** The emulator's absolute base URL, e.g. http://127.0.0.1:41234/_emulator/login. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function serveEmulator<
  E extends { readonly plugin: FastifyPluginAsync; readonly baseUrl: string },
>(
  listen: ListenOptions & { readonly path: string },
  build: (baseUrl: string) => E | Promise<E>,
): Promise<RunningEmulator<E>> {
  const { host = '127.0.0.1', port = 0, path } = listen;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  const prefix = path.replace(/\/+$/, '');
  const app = Fastify({
    logger: false,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
      server.on('request', handler);
      return server;
    },
  });
  try {
    const emulator = await build(`${origin}${prefix}`);
    await app.register(emulator.plugin, { prefix });
    await app.ready();
    return {
      emulator,
      baseUrl: emulator.baseUrl,
      close: async () => {
        await app.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  } catch (error) {
    server.close();
    throw error;
  }
}
