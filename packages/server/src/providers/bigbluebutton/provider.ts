/**
 * BigBlueButton as a meeting provider, for meetings larger than a peer-to-peer mesh holds. The join
 * link stays Roomlink's own (`/m/<slug>`): its join page checks the PIN or host link and the room's
 * window as for a built-in room, then hands the participant over with a signed `join` address.
 * The engine's meeting is created only then (BigBlueButton's `create` is idempotent while the
 * meeting exists), so moves and option changes need no call to it. It learns no title or organizer
 * (the meeting's name is neutral, its id random: `providerRef`) and, of the times, only when the
 * room closes.
 */
import { randomBytes } from 'node:crypto';
import type { RoomCodes, RoomDetails } from '../../domain/meetings/meeting.js';
import type { HandOffRequest, MeetingProvider, RoomRequest } from '../../domain/meetings/provider.js';
import { BuiltinProvider } from '../builtin/provider.js';
import { type BigBlueButtonApi, BigBlueButtonError } from './api-client.js';

export interface BigBlueButtonProviderOptions {
  /** Roomlink's own base URL: join links point at its join page. */
  readonly baseUrl: URL;
  readonly api: BigBlueButtonApi;
  readonly now?: () => Date;
}

/** The provider id stored with the meetings whose rooms run on BigBlueButton. */
export const BIGBLUEBUTTON_PROVIDER_ID = 'bigbluebutton';

/** How the engine meeting ids Roomlink makes begin (others on the same server are not its own). */
export const ENGINE_MEETING_ID_PREFIX = 'rl-';

/** What BigBlueButton shows as the meeting's name (never the subject: see above). */
export const ENGINE_MEETING_NAME = 'Roomlink meeting';

export class BigBlueButtonProvider implements MeetingProvider {
  readonly id = BIGBLUEBUTTON_PROVIDER_ID;

  /** Slug, conference id and PINs are made and checked as for a built-in room. */
  readonly #codes: BuiltinProvider;
  readonly #now: () => Date;

  constructor(private readonly options: BigBlueButtonProviderOptions) {
    // No SIP address or dial-in line: those reach the built-in service's gateway, not this engine.
    this.#codes = new BuiltinProvider({ baseUrl: options.baseUrl, sipDomain: null, dialInNumber: null });
    this.#now = options.now ?? (() => new Date());
  }

  async createRoom(request: RoomRequest): Promise<RoomDetails> {
    const room = await this.#codes.createRoom(request);
    // 128 random bits: the engine's meeting id is a bearer name there, as the slug is here.
    return this.describeRoom({
      ...room,
      providerRef: `${ENGINE_MEETING_ID_PREFIX}${randomBytes(16).toString('base64url')}`,
    });
  }

  describeRoom(codes: RoomCodes): RoomDetails {
    return this.#codes.describeRoom(codes);
  }

  updateRoom(room: RoomDetails, request: RoomRequest): Promise<RoomDetails> {
    return this.#codes.updateRoom(room, request);
  }

  /**
   * Ends the engine's meeting if it runs. A deleted meeting is cancelled first, so no deleteRoom is
   * needed: nothing else of it is kept there.
   */
  cancelRoom(room: RoomDetails): Promise<void> {
    return this.endCall(room);
  }

  /** One that never started or already ended is done. */
  async endCall(room: RoomDetails): Promise<void> {
    try {
      const meetingID = engineMeetingId(room);
      // Servers before 3.0 still ask for the moderator password on `end`.
      await this.options.api.call('end', { meetingID, password: this.#passwords(meetingID).moderatorPW });
    } catch (error) {
      if (!(error instanceof BigBlueButtonError && error.code === 'notFound')) throw error;
    }
  }

  /**
   * The engine's meetings named as Roomlink names them (`rl-…`) that have not ended. `getMeetings`
   * lists every meeting on the server, with its participants' names: only the ids are read.
   */
  async runningCalls(): Promise<readonly string[]> {
    const answer = await this.options.api.call('getMeetings', {});
    const meetings = answer.meetings;
    // One <meeting> parses as an object, several as a list; none (messageKey noMeetings) as ''.
    const listed =
      typeof meetings === 'object' && meetings !== null
        ? (meetings as { meeting?: unknown }).meeting
        : undefined;
    const ids: string[] = [];
    for (const meeting of Array.isArray(listed) ? listed : listed ? [listed] : []) {
      const { meetingID, endTime } = (meeting ?? {}) as { meetingID?: unknown; endTime?: unknown };
      if (typeof meetingID !== 'string' || !meetingID.startsWith(ENGINE_MEETING_ID_PREFIX)) continue;
      // Ended, and kept in the list a while before bbb-web forgets it.
      if (typeof endTime === 'string' && endTime !== '0' && endTime !== '') continue;
      ids.push(meetingID);
    }
    return ids;
  }

  async handOff(room: RoomDetails, participant: HandOffRequest): Promise<string> {
    const meetingID = engineMeetingId(room);
    const created = await this.options.api.call('create', {
      meetingID,
      name: ENGINE_MEETING_NAME,
      ...this.#passwords(meetingID),
      // Audio, video and chat are never stored: no recording, nor a way to start one.
      record: 'false',
      autoStartRecording: 'false',
      allowStartStopRecording: 'false',
      guestPolicy: participant.options.lobby ? 'ASK_MODERATOR' : 'ALWAYS_ACCEPT',
      // Leaving, and a join address that fails (the meeting ended meanwhile), come back to the join
      // page, which says why.
      logoutURL: room.joinUrl,
      // Roomlink ends the call when its window closes (the room service's periodic check), as a
      // built-in room closes; the engine's own limit lies an hour later (see ENGINE_LIMIT_AFTER_CLOSE_MS).
      duration: String(durationMinutes(engineLimit(participant.closesAt), this.#now())),
    });
    const createTime = typeof created.createTime === 'string' ? created.createTime : undefined;
    return this.options.api.signedUrl('join', {
      fullName: participant.name,
      meetingID,
      role: participant.role === 'host' ? 'MODERATOR' : 'VIEWER',
      // Guests wait in the engine's lobby when the meeting has one (its guestPolicy).
      ...(participant.role === 'guest' ? { guest: 'true' } : {}),
      // Binds the address to this run of the meeting: it cannot reopen a later one.
      ...(createTime ? { createTime } : {}),
      // The language chosen on Roomlink's join page carries over (BigBlueButton 2.3+); without one,
      // its page follows the browser's, as Roomlink's did.
      ...(participant.language ? { 'userdata-bbb_override_default_locale': participant.language } : {}),
      redirect: 'true',
    });
  }

  /**
   * The meeting's passwords, derived from the shared secret rather than stored: every `create` sends
   * the same ones (BigBlueButton refuses a second create with other passwords as idNotUnique), and
   * `end` can name the moderator's. Participants never see them: `join` names a role instead.
   */
  #passwords(meetingID: string): { moderatorPW: string; attendeePW: string } {
    const derive = (role: string) => this.options.api.keyedDigest(`${role}\n${meetingID}`).slice(0, 22);
    return { moderatorPW: derive('moderator'), attendeePW: derive('attendee') };
  }
}

function engineMeetingId(room: RoomDetails): string {
  if (!room.providerRef) throw new Error('a BigBlueButton room without its engine meeting id');
  return room.providerRef;
}

/**
 * How long after Roomlink's closing time the engine ends a call on its own (`duration`): a call can
 * be given no longer limit once it runs, so this is what lets a meeting extended while its call runs
 * (up to an hour past the closing time it started with) keep its call. Roomlink ends the call at
 * its closing time itself; this limit only holds when it cannot (the engine unreachable from it, or
 * no Roomlink process running), and matches how long the room service keeps asking the engine to
 * end it (`GIVE_UP_AFTER_CLOSE_MS` in the rooms package).
 */
export const ENGINE_LIMIT_AFTER_CLOSE_MS = 60 * 60_000;

function engineLimit(closesAt: Date | null): Date | null {
  return closesAt === null ? null : new Date(closesAt.getTime() + ENGINE_LIMIT_AFTER_CLOSE_MS);
}

/** Whole minutes from now to `closesAt` (at least 1); 0, BigBlueButton's "no limit", when unknown. */
export function durationMinutes(closesAt: Date | null, now: Date): number {
  if (closesAt === null) return 0;
  return Math.max(1, Math.ceil((closesAt.getTime() - now.getTime()) / 60_000));
}
