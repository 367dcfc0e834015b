/**
 * A meeting platform. The built-in room service is one; connectors to external media engines are
 * others. The domain hands a provider the meeting's window and options and stores what it returns.
 */
import type { Language } from '../tenants/tenant.js';
import type { MeetingOptions, RoomCodes, RoomDetails } from './meeting.js';

export interface RoomRequest {
  readonly meetingId: string;
  readonly tenantId: string;
  readonly options: MeetingOptions;
  /** Digits in PINs, from the tenant's policy. */
  readonly pinLength: number;
  readonly validFrom: Date;
  readonly validUntil: Date;
}

/** One participant Roomlink's join page admitted (PIN or host link, within the room's window). */
export interface HandOffRequest {
  readonly role: 'host' | 'guest';
  /** The display name they typed on the join page. */
  readonly name: string;
  /** The language they chose on the join page; absent: the engine's page follows their browser's. */
  readonly language?: Language;
  readonly options: MeetingOptions;
  /** When Roomlink's window for the room closes; null when it knows no end (a series' horizon). */
  readonly closesAt: Date | null;
}

export interface MeetingProvider {
  /** Folder name = database value = registry key. */
  readonly id: string;
  createRoom(request: RoomRequest): Promise<RoomDetails>;
  /** Rebuilds join details from what was stored, so a changed base URL or SIP domain applies at once. */
  describeRoom(codes: RoomCodes): RoomDetails;
  /** Applies new times or options; returns the room's details, changed or not. */
  updateRoom(room: RoomDetails, request: RoomRequest): Promise<RoomDetails>;
  /**
   * Refuses entry from now on and ends the room if it is live. Idempotent: it is asked again for a
   * room already cancelled when a cancel is retried.
   */
  cancelRoom(room: RoomDetails, meetingId: string): Promise<void>;
  /**
   * Optional capability: release the room's resources for good, when the meeting is deleted or when
   * a create does not keep the room it asked for (codes collided, a concurrent create with the same
   * idempotency key won, the session ended meanwhile).
   */
  deleteRoom?(room: RoomDetails, meetingId: string): Promise<void>;
  /**
   * Optional capability of an external media engine: the address (http(s)) that takes one
   * participant, admitted by Roomlink's join page, into the engine's room, starting it if needed.
   * Without it the built-in room service holds the meeting.
   */
  handOff?(room: RoomDetails, participant: HandOffRequest): Promise<string>;
  /**
   * With `handOff`: ends the engine's call for the room if one runs, and only that (people may come
   * back while the room is open). Idempotent. Asked when the room is no longer open before the
   * engine's own limit: moved, an occurrence cancelled, the organisation's contract ended, its
   * window over.
   */
  endCall?(room: RoomDetails): Promise<void>;
  /**
   * With `endCall`: the engine's meeting ids (`providerRef`) of the calls it runs now that this
   * deployment may have made. The caller keeps those a stored room has: the engine may hold other
   * applications' calls too.
   */
  runningCalls?(): Promise<readonly string[]>;
}
