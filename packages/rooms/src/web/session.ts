/**
 * One visit to the room: joining (PIN, lobby), the call itself (mesh, tiles, participants, chat)
 * and its end. Everything here lives in this page's memory only.
 */

import { chosenLanguage } from '../shared/language.js';
import type {
  ErrorCode,
  IceServer,
  MediaState,
  PeerSummary,
  Role,
  ServerMessage,
} from '../shared/protocol.js';
import type { ChatView } from './chat.js';
import { announce } from './dom.js';
import { type EndReason, endingOf, endingOnClose } from './endings.js';
import { type JoinKey, joinMessage } from './host-link.js';
import { t } from './i18n.js';
import { joinErrorFor } from './join-errors.js';
import type { LocalMedia } from './local-media.js';
import { Mesh } from './mesh.js';
import { type PeopleView, personFrom } from './people.js';
import { Signalling, signallingUrl } from './signalling.js';
import type { Stage } from './stage.js';

export interface SessionHooks {
  /**
   * The server refused the PIN or the host link, or the room is full/locked: say so next to the form.
   * `code`: the error the server answered the join with, if it was one (not a refusal).
   */
  joinError(text: string, field: 'name' | 'pin' | 'form', code?: ErrorCode): void;
  /** The room cannot be joined at all (cancelled, closed, not open yet...): show the status page. */
  refused(reason: string, opensAt?: string): void;
  /**
   * In the lobby; called again when the first host comes or the last one leaves. `rejoin`: the first
   * time, the ticket that gets this guest back to the lobby (see host-link.ts), if the server made one.
   */
  waiting(hostPresent: boolean, rejoin: string | undefined): void;
  /**
   * In the call as `role`. `rejoin`: the token that gets them back in, as host or as guest (see
   * host-link.ts).
   */
  joined(rejoin: string | undefined, role: Role): void;
  notice(text: string): void;
  /** A notice shown earlier no longer holds (who it said was waiting was let in, turned away or left). */
  withdrawNotice(text: string): void;
  /** A chat message the server did not send (too fast): `text` is what was typed. */
  chatRefused(text: string): void;
  /** `opensAt`: endedMoved only, when the room opens again (ISO 8601), if known. */
  ended(reason: EndReason, opensAt?: string): void;
}

export interface SessionViews {
  readonly stage: Stage;
  readonly people: PeopleView;
  readonly chat: ChatView;
}

type Connection = 'connecting' | 'connected' | 'failed';

export class Session {
  readonly #signalling: Signalling;
  #mesh: Mesh | null = null;
  #selfId = '';
  #name = '';
  #role: 'host' | 'guest' = 'guest';
  #phase: 'joining' | 'waiting' | 'in-call' | 'ended' = 'joining';
  /** A join error answered the last join: the form is shown again and no answer is awaited. */
  #atForm = false;
  readonly #peers = new Map<string, PeerSummary>();
  readonly #connections = new Map<string, Connection>();
  #localTrackId: string | null | undefined;
  #lobbyIds: string[] = [];
  /** The lobby newcomer the host's last lobby notice named, while it may still be on screen. */
  #lobbyNotice: { readonly id: string; readonly text: string } | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(
    slug: string,
    private readonly media: LocalMedia,
    private readonly views: SessionViews,
    private readonly hooks: SessionHooks,
  ) {
    this.#signalling = new Signalling(signallingUrl(slug));
    this.#signalling.onMessage = (message) => this.#onMessage(message);
    this.#signalling.onClose = (code) => this.#onSocketClosed(code);
  }

  /** A session that was refused or ended cannot be reused: the next attempt starts a new one. */
  get ended(): boolean {
    return this.#phase === 'ended';
  }

  get isHost(): boolean {
    return this.#role === 'host';
  }

  /** Sends the join request; the same socket carries retries after a wrong PIN or a refused host link. */
  async join(name: string, key: JoinKey): Promise<void> {
    this.#name = name;
    this.#atForm = false;
    if (!this.#signalling.open) await this.#signalling.connect();
    this.#signalling.send(joinMessage(name, key, chosenLanguage(location.search)));
  }

  /** False when the line could not go (the connection is closing): it stays the visitor's to send. */
  chat(text: string): boolean {
    return this.#signalling.send({ type: 'chat', text });
  }

  hostAction(type: 'admit' | 'deny' | 'mute' | 'remove', id: string): void {
    this.#signalling.send({ type, id });
  }

  /** The visitor pressed Leave: gone for good, out of the lobby's line too. */
  leave(): void {
    if (this.#phase === 'ended') return;
    this.#signalling.send({ type: 'leave' });
    this.#end('leftMeeting');
  }

  /**
   * The page is going away (a reload, the language switch, a closed tab): the socket closes without
   * `leave`, which the server takes as a page that may come back with its token (REJOIN_GRACE_MS), so
   * that a guest reloading in the lobby keeps their place in line. It cannot tell a reload from a
   * closed tab; the grace bounds both. A page restored from the back/forward cache shows the call as
   * left, with Join again.
   */
  unload(): void {
    this.#end('leftMeeting');
  }

  /** Drops the socket without a verdict (the visitor went back to the form or closed the page). */
  dispose(): void {
    this.#phase = 'ended';
    this.#signalling.close();
    this.#teardown();
  }

  #onMessage(message: ServerMessage): void {
    if (this.#phase === 'ended') return;
    const ending = endingOf(message);
    if (ending) {
      this.#end(ending.reason, ending.opensAt);
      return;
    }
    switch (message.type) {
      case 'error':
        this.#onError(message);
        return;
      case 'refused':
        this.#onRefused(message);
        return;
      case 'waiting':
        this.#phase = 'waiting';
        // A server older than hostPresent said nothing about hosts: assume one will come.
        this.hooks.waiting(message.hostPresent !== false, message.rejoin);
        return;
      case 'joined':
        this.#enterCall(message);
        return;
      case 'handoff':
        this.#handOff(message.url);
        return;
      case 'lobby':
        this.#onLobby(message.waiting);
        return;
      case 'peer-joined':
        this.#addPeer(message.peer);
        announce(t('joinedNotice', { name: message.peer.name }));
        return;
      case 'peer-left': {
        const peer = this.#peers.get(message.id);
        this.#removePeer(message.id);
        if (peer) announce(t('leftNotice', { name: peer.name }));
        return;
      }
      case 'peer-media':
        this.#updatePeer(message.id, message);
        return;
      case 'signal':
        this.#mesh?.handleSignal(message.from, message.data);
        return;
      case 'ice-servers':
        this.#mesh?.setIceServers(message.iceServers.map(toRtcIceServer));
        return;
      case 'chat':
        this.views.chat.append(
          message.name,
          message.text,
          message.at,
          message.from === this.#selfId,
          message.role === 'host' ? 'host' : 'guest',
        );
        return;
      case 'mute-request':
        this.media.setMic(false);
        this.hooks.notice(t('mutedByHost'));
        return;
    }
  }

  #onError(message: Extract<ServerMessage, { type: 'error' }>): void {
    const code: ErrorCode = message.code;
    if (this.#phase === 'joining') {
      const error = joinErrorFor(code, message.remainingAttempts);
      if (error) {
        this.#atForm = true;
        this.hooks.joinError(t(error.key, error.vars), error.field, code);
      }
    } else if (this.#phase === 'in-call') {
      if (code === 'room_full') this.hooks.notice(t('roomFullAdmit'));
      if (code === 'chat_rate_limited') this.hooks.chatRefused(message.text ?? '');
    }
  }

  #onRefused(message: Extract<ServerMessage, { type: 'refused' }>): void {
    this.#phase = 'ended';
    this.#signalling.close();
    const minutes = Math.max(1, Math.ceil((message.retryAfterSeconds ?? 60) / 60));
    if (message.reason === 'locked') {
      this.hooks.joinError(t('locked', { minutes }), 'pin');
    } else if (message.reason === 'removed') {
      this.hooks.joinError(t('removedWait', { minutes }), 'form');
    } else if (message.reason === 'denied') {
      this.hooks.joinError(t('deniedWait', { minutes }), 'form');
    } else if (message.reason === 'room_full') {
      const text = message.maxParticipants
        ? t('roomFull', { max: message.maxParticipants })
        : t('roomFullNoMax');
      this.hooks.joinError(text, 'form');
    } else if (message.reason === 'lobby_full') {
      this.hooks.joinError(t('lobbyFull'), 'form');
    } else {
      this.hooks.refused(message.reason, message.opensAt);
    }
  }

  #enterCall(message: Extract<ServerMessage, { type: 'joined' }>): void {
    this.#phase = 'in-call';
    this.#selfId = message.id;
    this.#role = message.role;
    const { stage, people } = this.views;
    this.#mesh = new Mesh(
      message.iceServers.map(toRtcIceServer),
      (to, data) => this.#signalling.send({ type: 'signal', to, data }),
      {
        remoteStream: (id, stream) => stage.setStream(id, stream),
        connection: (id, state) => {
          this.#connections.set(id, state);
          const peer = this.#peers.get(id);
          if (peer) stage.setState(id, peer, state);
        },
      },
    );
    stage.upsert(this.#selfId, this.#name, true);
    people.setHostView(this.isHost);
    this.#unsubscribe = this.media.onChange(() => this.#onLocalMedia());
    this.#onLocalMedia();
    for (const peer of message.peers) {
      this.#addPeer(peer);
      this.#mesh.connect(peer.id);
    }
    if (message.waiting) this.#onLobby(message.waiting);
    this.hooks.joined(message.rejoin, message.role);
  }

  #onLocalMedia(): void {
    if (this.#phase !== 'in-call') return;
    const state = this.media.state;
    const video = this.media.videoTrack;
    this.#mesh?.setTracks(this.media.audioTrack, video, state.screen);
    const trackId = video?.id ?? null;
    if (trackId !== this.#localTrackId) {
      this.#localTrackId = trackId;
      this.views.stage.setStream(this.#selfId, video ? new MediaStream([video]) : null);
    }
    this.views.stage.setState(this.#selfId, state);
    this.views.people.upsert({ id: this.#selfId, name: this.#name, role: this.#role, self: true, ...state });
    this.#signalling.send({ type: 'media', ...state });
  }

  #addPeer(peer: PeerSummary): void {
    this.#peers.set(peer.id, peer);
    this.views.people.upsert(personFrom(peer));
    this.views.stage.upsert(peer.id, peer.name, false);
    this.views.stage.setState(peer.id, peer, this.#connections.get(peer.id) ?? 'connecting');
  }

  #updatePeer(id: string, media: MediaState): void {
    const peer = this.#peers.get(id);
    if (!peer) return;
    const next = { ...peer, audio: media.audio, video: media.video, screen: media.screen };
    this.#peers.set(id, next);
    this.views.people.upsert(personFrom(next));
    this.views.stage.setState(id, next, this.#connections.get(id) ?? 'connecting');
  }

  #removePeer(id: string): void {
    this.#peers.delete(id);
    this.#connections.delete(id);
    this.#mesh?.remove(id);
    this.views.people.remove(id);
    this.views.stage.remove(id);
  }

  #onLobby(waiting: readonly { id: string; name: string }[]): void {
    const before = new Set(this.#lobbyIds);
    this.#lobbyIds = waiting.map((w) => w.id);
    this.views.people.setWaiting(waiting);
    const newcomer = waiting.find((w) => !before.has(w.id));
    if (newcomer && this.isHost) {
      this.#lobbyNotice = { id: newcomer.id, text: t('lobbyNotice', { name: newcomer.name }) };
      this.hooks.notice(this.#lobbyNotice.text);
    } else if (this.#lobbyNotice && !this.#lobbyIds.includes(this.#lobbyNotice.id)) {
      // "Ida is waiting to join" must not stay up for seconds once Ida is in the call.
      this.hooks.withdrawNotice(this.#lobbyNotice.text);
      this.#lobbyNotice = null;
    }
  }

  #onSocketClosed(code: number): void {
    if (this.#phase === 'ended') return;
    // The visitor is back at the form after a join error (a wrong PIN) and the socket went (the
    // server closes one left unjoined for 10 minutes): the next join opens a new one.
    if (this.#phase === 'joining' && this.#atForm) return;
    if (this.#phase === 'joining') {
      this.#phase = 'ended';
      this.hooks.refused('unavailable');
      return;
    }
    this.#end(endingOnClose(code));
  }

  #end(reason: EndReason, opensAt?: string): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    this.#signalling.close();
    this.#teardown();
    this.hooks.ended(reason, opensAt);
  }

  /** The room runs on an external engine: the page goes there, its socket and views released first. */
  #handOff(url: string): void {
    this.#phase = 'ended';
    this.#signalling.close();
    this.#teardown();
    // Only a web address: a page told to go to javascript: or data: goes nowhere.
    if (/^https?:\/\//i.test(url)) window.location.assign(url);
    else this.hooks.refused('unavailable');
  }

  #teardown(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#mesh?.close();
    this.#mesh = null;
    this.#peers.clear();
    this.#connections.clear();
    this.views.stage.clear();
    this.views.people.clear();
    this.views.chat.clear();
  }
}

function toRtcIceServer(server: IceServer): RTCIceServer {
  return {
    urls: typeof server.urls === 'string' ? server.urls : [...server.urls],
    ...(server.username !== undefined ? { username: server.username } : {}),
    ...(server.credential !== undefined ? { credential: server.credential } : {}),
  };
}
