/**
 * `roomlink doctor`'s check of the external media engine (ROOMLINK_ROOM_ENGINE): that this machine
 * reaches it and that it takes Roomlink's signed calls, before the first participant is turned away.
 * BigBlueButton is asked whether a meeting that cannot exist is running: SUCCESS proves the route,
 * TLS, the shared secret and the checksum algorithm at once, and changes nothing there.
 */
import { randomBytes } from 'node:crypto';
import type { RoomEngineConfig } from '../config/config.js';
import { BigBlueButtonApi, BigBlueButtonError } from '../providers/bigbluebutton/api-client.js';

const TIMEOUT_MS = 10_000;

export interface EngineCheckResult {
  readonly line: string;
  readonly failed: boolean;
}

export async function checkRoomEngine(
  engine: RoomEngineConfig,
  options: { readonly timeoutMs?: number } = {},
): Promise<EngineCheckResult | null> {
  // The built-in room service runs in this process: nothing to reach.
  if (engine.kind === 'builtin') return null;
  const label = `BigBlueButton (ROOMLINK_BBB_URL ${engine.url})`;
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const api = new BigBlueButtonApi({ ...engine, timeoutMs });
  try {
    await api.call('isMeetingRunning', { meetingID: `rl-doctor-${randomBytes(8).toString('hex')}` });
    return { line: `ok    ${label}: takes signed calls (${engine.checksum})`, failed: false };
  } catch (error) {
    return { line: `FAIL  ${label}: ${reason(error, timeoutMs)}`, failed: true };
  }
}

function reason(error: unknown, timeoutMs: number): string {
  if (error instanceof BigBlueButtonError && error.code === 'checksumError')
    return `it refused the call's checksum: ROOMLINK_BBB_SECRET is not its shared secret (bbb-conf --secret), or ROOMLINK_BBB_CHECKSUM is not in its supportedChecksumAlgorithms`;
  if (error instanceof BigBlueButtonError) return `it answered FAILED (${error.code})`;
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${timeoutMs / 1000} s`;
  // fetch says only "fetch failed"; why is in its cause (ECONNREFUSED, ENOTFOUND, a TLS error …).
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return `${why}: the server needs outbound HTTP(S) to it, and it must be BigBlueButton's server URL`;
}
