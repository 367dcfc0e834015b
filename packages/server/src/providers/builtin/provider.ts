/**
 * The built-in room service as a meeting provider: rooms are the meeting rows themselves, served by
 * packages/rooms at ROOMLINK_BASE_URL/m/<slug>. Cancelling ends live sessions through `onCancel`.
 */

import type { RoomCodes, RoomDetails } from '../../domain/meetings/meeting.js';
import type { MeetingProvider, RoomRequest } from '../../domain/meetings/provider.js';
import { newConferenceId, newPin, newSlug } from './codes.js';

export interface BuiltinProviderOptions {
  readonly baseUrl: URL;
  /** Null: no SIP gateway, so no SIP address is offered. */
  readonly sipDomain: string | null;
  readonly dialInNumber: string | null;
  /** Ends live sessions of a cancelled room (wired to the room service). */
  readonly onCancel?: (slug: string) => void;
}

export class BuiltinProvider implements MeetingProvider {
  readonly id = 'builtin';

  readonly #joinBase: string;

  constructor(private readonly options: BuiltinProviderOptions) {
    this.#joinBase = new URL('m/', options.baseUrl).toString();
  }

  async createRoom(request: RoomRequest): Promise<RoomDetails> {
    const hostPin = newPin(request.pinLength);
    return this.describeRoom({
      slug: newSlug(),
      conferenceId: newConferenceId(),
      hostPin,
      guestPin: request.options.guestPin ? newPin(request.pinLength, hostPin) : null,
      providerRef: null,
    });
  }

  describeRoom(codes: RoomCodes): RoomDetails {
    return {
      ...codes,
      // Slugs are base64url: safe to append without encoding.
      joinUrl: this.#joinBase + codes.slug,
      sipUri: this.options.sipDomain === null ? null : `${codes.conferenceId}@${this.options.sipDomain}`,
      dialIn: this.options.dialInNumber,
    };
  }

  /** Times need nothing here (the window is derived); a guest PIN appears or goes with the option. */
  async updateRoom(room: RoomDetails, request: RoomRequest): Promise<RoomDetails> {
    let guestPin = room.guestPin;
    if (request.options.guestPin && !guestPin) guestPin = newPin(request.pinLength, room.hostPin);
    if (!request.options.guestPin) guestPin = null;
    return this.describeRoom({ ...room, guestPin });
  }

  async cancelRoom(room: RoomDetails): Promise<void> {
    this.options.onCancel?.(room.slug);
  }
}
