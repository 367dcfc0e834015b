/**
 * Runs the Graph emulator on its own HTTP server (tests, scripts, the Outlook sandbox). The socket is
 * bound before the routes are built, so links carry the real port even on an ephemeral one.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from './emulator.js';

export interface StandaloneGraphOptions extends Omit<GraphEmulatorOptions, 'baseUrl'> {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Where the endpoints live on the server; default '/_emulator/graph'. */
  readonly path?: string;
}

export interface RunningGraphEmulator {
  readonly emulator: GraphEmulator;
  /** e.g. http://127.0.0.1:41234/_emulator/graph (Graph's v1.0 endpoints are below it). */
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startGraphEmulator(options: StandaloneGraphOptions): Promise<RunningGraphEmulator> {
  const { host = '127.0.0.1', port = 0, path = '/_emulator/graph', ...rest } = options;
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
    const emulator = createGraphEmulator({ ...rest, baseUrl: `${origin}${prefix}` });
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
