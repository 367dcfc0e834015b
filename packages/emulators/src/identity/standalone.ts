/** Runs the identity emulator on its own HTTP server (tests, scripts). */
import { type ListenOptions, type RunningEmulator, serveEmulator } from '../standalone-server.js';
import { createIdentityEmulator } from './emulator.js';
import type { IdentityEmulator, IdentityEmulatorOptions } from './types.js';

export interface StandaloneOptions extends Omit<IdentityEmulatorOptions, 'baseUrl'>, ListenOptions {}

/** baseUrl is e.g. http://127.0.0.1:41234/_emulator/login. */
export type RunningIdentityEmulator = RunningEmulator<IdentityEmulator>;

export function startIdentityEmulator(options: StandaloneOptions = {}): Promise<RunningIdentityEmulator> {
  const { host, port, path = '/_emulator/login', ...rest } = options;
  return serveEmulator(
    { ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}), path },
    (baseUrl) => createIdentityEmulator({ ...rest, baseUrl }),
  );
}
