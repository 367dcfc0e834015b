/** Runs the Graph emulator on its own HTTP server (tests, scripts, the Outlook sandbox). */
import { type ListenOptions, type RunningEmulator, serveEmulator } from '../standalone-server.js';
import { createGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from './emulator.js';

export interface StandaloneGraphOptions extends Omit<GraphEmulatorOptions, 'baseUrl'>, ListenOptions {}

/** baseUrl is e.g. http://127.0.0.1:41234/_emulator/graph (Graph's v1.0 endpoints are below it). */
export type RunningGraphEmulator = RunningEmulator<GraphEmulator>;

export function startGraphEmulator(options: StandaloneGraphOptions): Promise<RunningGraphEmulator> {
  const { host, port, path = '/_emulator/graph', ...rest } = options;
  return serveEmulator(
    { ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}), path },
    (baseUrl) => createGraphEmulator({ ...rest, baseUrl }),
  );
}
