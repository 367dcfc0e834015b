/**
 * An external engine's rooms, held by the built-in room service while that engine is not configured
 * (an operator moved off it, or took its variables out by mistake). Their join links, PINs and host
 * links are Roomlink's own, so the same invitation still lets everyone in: the meeting simply runs
 * here instead of there. Without this, every read of such a meeting (the add-in, the admin console,
 * an export, an erasure, retention) would fail on a provider it cannot find.
 *
 * The join details stay as the engine gave them (no SIP address or dial-in line), so that the
 * invitation the calendar sync keeps in step does not change under the organizer. The engine's own
 * meeting id is kept: configured again, the engine takes its rooms back.
 */
import type { RoomCodes, RoomDetails } from '../../domain/meetings/meeting.js';
import type { MeetingProvider, RoomRequest } from '../../domain/meetings/provider.js';
import { BuiltinProvider, type BuiltinProviderOptions } from './provider.js';

export class BuiltinStandIn implements MeetingProvider {
  readonly #rooms: BuiltinProvider;

  /** `id` is the absent engine's provider id, as stored with its meetings. */
  constructor(
    readonly id: string,
    options: Pick<BuiltinProviderOptions, 'baseUrl' | 'onCancel'>,
  ) {
    this.#rooms = new BuiltinProvider({ ...options, sipDomain: null, dialInNumber: null });
  }

  /** New meetings go to the configured default provider, never to an engine that is absent. */
  createRoom(): Promise<RoomDetails> {
    return Promise.reject(new Error(`meeting provider "${this.id}" is not configured: it creates no rooms`));
  }

  describeRoom(codes: RoomCodes): RoomDetails {
    return this.#rooms.describeRoom(codes);
  }

  updateRoom(room: RoomDetails, request: RoomRequest): Promise<RoomDetails> {
    return this.#rooms.updateRoom(room, request);
  }

  /**
   * Ends the room's live sessions here. A call still running on the engine is out of reach; the
   * engine ends it at the closing time it was given when it started.
   */
  cancelRoom(room: RoomDetails): Promise<void> {
    return this.#rooms.cancelRoom(room);
  }
}
