/**
 * The WebRTC mesh: one RTCPeerConnection per other participant. Whoever joins later makes the offer
 * to each participant already there, so two sides never offer at once (no glare). Each connection
 * carries exactly one audio and one video transceiver, negotiated once; later changes (mute, camera
 * off, device switch, screen share) swap tracks with replaceTrack and need no renegotiation.
 */
import type { SignalData } from '../shared/protocol.js';

type Kind = 'audio' | 'video';

export interface MeshEvents {
  remoteStream(peerId: string, stream: MediaStream): void;
  connection(peerId: string, state: 'connecting' | 'connected' | 'failed'): void;
}

/** Per-copy video bitrate caps: every participant uploads one copy per peer. */
const CAMERA_BITRATE = 600_000;
const SCREEN_BITRATE = 1_500_000;

class PeerLink {
  readonly pc: RTCPeerConnection;
  readonly stream = new MediaStream();
  /** Signals are applied in arrival order: a candidate must wait for the description before it. */
  queue: Promise<void> = Promise.resolve();
  makingOffer = false;

  constructor(
    readonly peerId: string,
    readonly offerer: boolean,
    iceServers: RTCIceServer[],
  ) {
    this.pc = new RTCPeerConnection({ iceServers });
  }

  transceiver(kind: Kind): RTCRtpTransceiver | undefined {
    return this.pc
      .getTransceivers()
      .find((t) => t.receiver.track.kind === kind && t.currentDirection !== 'stopped');
  }
}

export class Mesh {
  readonly #links = new Map<string, PeerLink>();
  #audio: MediaStreamTrack | null = null;
  #video: MediaStreamTrack | null = null;
  #screen = false;

  constructor(
    private iceServers: RTCIceServer[],
    private readonly send: (to: string, data: SignalData) => void,
    private readonly events: MeshEvents,
  ) {}

  get size(): number {
    return this.#links.size;
  }

  /** Swaps the outgoing tracks on every connection (null sends nothing on that kind). */
  setTracks(audio: MediaStreamTrack | null, video: MediaStreamTrack | null, screen: boolean): void {
    const videoChanged = video !== this.#video || screen !== this.#screen;
    this.#audio = audio;
    this.#video = video;
    this.#screen = screen;
    for (const link of this.#links.values()) {
      void this.#replace(link, 'audio', audio);
      void this.#replace(link, 'video', video);
      if (videoChanged) this.#capBitrate(link);
    }
  }

  /**
   * Fresh STUN/TURN servers (a renewed TURN credential): existing connections refresh their relays
   * and allocate new ones with it, and connections made from now on start with it.
   */
  setIceServers(iceServers: RTCIceServer[]): void {
    this.iceServers = iceServers;
    for (const { pc } of this.#links.values()) {
      try {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
      } catch {
        // A closed connection, or a browser that refuses the change: it keeps its relays until they lapse.
      }
    }
  }

  /** Opens a connection to a participant who was here first: this side offers. */
  connect(peerId: string): void {
    if (this.#links.has(peerId)) return;
    const link = this.#create(peerId, true);
    link.pc.addTransceiver(this.#audio ?? 'audio', { direction: 'sendrecv' });
    link.pc.addTransceiver(this.#video ?? 'video', { direction: 'sendrecv' });
  }

  handleSignal(from: string, data: SignalData): void {
    let link = this.#links.get(from);
    if (!link) {
      // Only a newcomer's offer opens a connection from this side.
      if (!('description' in data) || data.description.type !== 'offer') return;
      link = this.#create(from, false);
    }
    const current = link;
    current.queue = current.queue.then(() => this.#apply(current, data)).catch(() => undefined);
  }

  remove(peerId: string): void {
    const link = this.#links.get(peerId);
    if (!link) return;
    this.#links.delete(peerId);
    link.pc.close();
  }

  close(): void {
    for (const peerId of [...this.#links.keys()]) this.remove(peerId);
  }

  #create(peerId: string, offerer: boolean): PeerLink {
    const link = new PeerLink(peerId, offerer, this.iceServers);
    this.#links.set(peerId, link);
    const { pc } = link;
    pc.addEventListener('icecandidate', (event) => {
      if (event.candidate?.candidate)
        this.send(peerId, { candidate: trimCandidate(event.candidate.toJSON()) });
    });
    pc.addEventListener('track', (event) => {
      if (!link.stream.getTracks().includes(event.track)) link.stream.addTrack(event.track);
      this.events.remoteStream(peerId, link.stream);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      const state = pc.iceConnectionState;
      if (state === 'connected' || state === 'completed') {
        this.events.connection(peerId, 'connected');
        this.#capBitrate(link);
      } else if (state === 'failed') {
        this.events.connection(peerId, 'failed');
        // The offerer restarts ICE (a new offer with new credentials); the answerer just answers it.
        if (link.offerer) pc.restartIce();
      } else if (state === 'checking' || state === 'disconnected') {
        this.events.connection(peerId, 'connecting');
      }
    });
    if (offerer) {
      pc.addEventListener('negotiationneeded', () => {
        void this.#offer(link);
      });
    }
    this.events.connection(peerId, 'connecting');
    return link;
  }

  async #offer(link: PeerLink): Promise<void> {
    const { pc } = link;
    if (link.makingOffer || pc.signalingState !== 'stable') return;
    link.makingOffer = true;
    try {
      const offer = await pc.createOffer();
      if (pc.signalingState !== 'stable') return;
      await pc.setLocalDescription(offer);
      this.#sendDescription(link);
    } catch {
      // A closed connection or a superseded offer: nothing to send.
    } finally {
      link.makingOffer = false;
    }
  }

  async #apply(link: PeerLink, data: SignalData): Promise<void> {
    const { pc } = link;
    if (pc.signalingState === 'closed') return;
    if ('candidate' in data) {
      await pc.addIceCandidate(data.candidate);
      return;
    }
    const { description } = data;
    if (description.type === 'answer') {
      if (link.offerer && pc.signalingState === 'have-local-offer')
        await pc.setRemoteDescription(description);
      return;
    }
    if (link.offerer) return;
    await pc.setRemoteDescription(description);
    // The offer created one audio and one video transceiver on this side; send on them too.
    for (const kind of ['audio', 'video'] as const) {
      const transceiver = link.transceiver(kind);
      if (!transceiver) continue;
      transceiver.direction = 'sendrecv';
      await transceiver.sender.replaceTrack(kind === 'audio' ? this.#audio : this.#video);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    this.#sendDescription(link);
  }

  #sendDescription(link: PeerLink): void {
    const local = link.pc.localDescription;
    if (local && (local.type === 'offer' || local.type === 'answer'))
      this.send(link.peerId, { description: { type: local.type, sdp: local.sdp } });
  }

  async #replace(link: PeerLink, kind: Kind, track: MediaStreamTrack | null): Promise<void> {
    const sender = link.transceiver(kind)?.sender;
    if (!sender || sender.track === track) return;
    await sender.replaceTrack(track).catch(() => undefined);
  }

  #capBitrate(link: PeerLink): void {
    const sender = link.transceiver('video')?.sender;
    if (!sender) return;
    const params = sender.getParameters();
    const first = params.encodings?.[0];
    if (!first) return;
    first.maxBitrate = this.#screen ? SCREEN_BITRATE : CAMERA_BITRATE;
    sender.setParameters(params).catch(() => undefined);
  }
}

/** Keeps the fields the signalling schema accepts (browsers add others in toJSON over time). */
function trimCandidate(c: RTCIceCandidateInit): {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
} {
  return {
    candidate: c.candidate ?? '',
    ...(c.sdpMid !== undefined ? { sdpMid: c.sdpMid } : {}),
    ...(c.sdpMLineIndex !== undefined ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
    ...(c.usernameFragment !== undefined ? { usernameFragment: c.usernameFragment } : {}),
  };
}
