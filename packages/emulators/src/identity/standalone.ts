/**
 * Runs the emulator on its own HTTP server (tests, scripts). The socket is bound before the routes
 * are built, so the emulator knows its absolute baseUrl even on an ephemeral port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createIdentityEmulator } from './emulator.js';
import type { IdentityEmulator, IdentityEmulatorOptions } from './types.js';

export interface StandaloneOptions extends Omit<IdentityEmulatorOptions, 'baseUrl'> {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Where the endpoints live on the server; default '/_emulator/login', as in demo mode. */
  readonly path?: string;
}

export interface RunningIdentityEmulator {
  readonly emulator: IdentityEmulator;
  /** Same as emulator.baseUrl, e.g. http://127.0.0.1:41234/_emulator/login. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startIdentityEmulator(
  options: StandaloneOptions = {},
): Promise<RunningIdentityEmulator> {
  const { host = '127.0.0.1', port = 0, path = '/_emulator/login', ...rest } = options;
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
    const emulator = await createIdentityEmulator({ ...rest, baseUrl: `${origin}${prefix}` });
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
