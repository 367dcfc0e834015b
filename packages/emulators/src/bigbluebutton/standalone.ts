/** Runs the BigBlueButton emulator on its own HTTP server (tests, scripts). */
import { type ListenOptions, type RunningEmulator, serveEmulator } from '../standalone-server.js';
import {
  type BigBlueButtonEmulator,
  type BigBlueButtonEmulatorOptions,
  createBigBlueButtonEmulator,
} from './emulator.js';

export interface StandaloneBigBlueButtonOptions
  extends Omit<BigBlueButtonEmulatorOptions, 'baseUrl'>,
    ListenOptions {}

/**
 * baseUrl is the server URL as an administrator configures it, with its trailing slash, e.g.
 * http://127.0.0.1:41234/bigbluebutton/ (the API is at {baseUrl}api/…).
 */
export type RunningBigBlueButtonEmulator = RunningEmulator<BigBlueButtonEmulator>;

export function startBigBlueButtonEmulator(
  options: StandaloneBigBlueButtonOptions,
): Promise<RunningBigBlueButtonEmulator> {
  const { host, port, path = '/bigbluebutton', ...rest } = options;
  return serveEmulator(
    { ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}), path },
    (baseUrl) => createBigBlueButtonEmulator({ ...rest, baseUrl: `${baseUrl}/` }),
  );
}
