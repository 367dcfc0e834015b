/**
 * This participant's camera, microphone and screen. Tracks change (device switch, camera off,
 * screen share) without renegotiation: listeners read `audioTrack` / `videoTrack` and swap them into
 * their senders.
 */
import type { MediaState } from '../shared/protocol.js';

/**
 * 360p at 24 fps: in a mesh every participant uploads one copy per peer, so a modest resolution is
 * what keeps a six-person room within a home uplink (README "Why at most 6").
 */
const VIDEO: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 360 },
  frameRate: { ideal: 24, max: 30 },
};
const AUDIO: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

export interface DeviceLists {
  readonly cameras: MediaDeviceInfo[];
  readonly microphones: MediaDeviceInfo[];
}

export class LocalMedia {
  #audio: MediaStreamTrack | null = null;
  #camera: MediaStreamTrack | null = null;
  #screen: MediaStreamTrack | null = null;
  #micOn = true;
  #camOn = true;
  #hasMic = false;
  #hasCamera = false;
  /** The device list shows a camera (permission given), whether or not it started. */
  #cameraListed = false;
  /**
   * Bumped by every change to the camera (on, off, another device, leaving). A camera takes up to a
   * few seconds to start; a track that arrives for a request overtaken meanwhile is stopped at once,
   * never kept unseen with its light on.
   */
  #cameraRequest = 0;
  #cameraStarting: Promise<void> | null = null;
  audioDeviceId = '';
  videoDeviceId = '';
  readonly #listeners = new Set<() => void>();

  /** Asks for camera and microphone; falls back to one of them, then to none. Returns what it got. */
  async start(): Promise<{ audio: boolean; video: boolean }> {
    const attempts: MediaStreamConstraints[] = [
      { audio: this.#audioConstraints(), video: this.#videoConstraints() },
      { audio: this.#audioConstraints() },
      { video: this.#videoConstraints() },
    ];
    for (const constraints of attempts) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        this.#audio = stream.getAudioTracks()[0] ?? null;
        this.#camera = this.#camOn ? (stream.getVideoTracks()[0] ?? null) : null;
        if (!this.#camOn) for (const track of stream.getVideoTracks()) track.stop();
        this.#hasMic = this.#audio !== null;
        this.#hasCamera = stream.getVideoTracks().length > 0;
        if (this.#audio) {
          this.#audio.enabled = this.#micOn;
          this.audioDeviceId = this.#audio.getSettings().deviceId ?? '';
        }
        if (this.#camera) this.videoDeviceId = this.#camera.getSettings().deviceId ?? '';
        this.#changed();
        return { audio: this.#hasMic, video: this.#hasCamera };
      } catch {
        // Try with less.
      }
    }
    this.#changed();
    return { audio: false, video: false };
  }

  get audioTrack(): MediaStreamTrack | null {
    return this.#audio;
  }

  /** What others see: the shared screen, else the camera when it is on. */
  get videoTrack(): MediaStreamTrack | null {
    return this.#screen ?? this.#camera;
  }

  get hasMic(): boolean {
    return this.#hasMic;
  }

  /**
   * A camera busy when the page started (another application held it) counts once the device list
   * shows it: the visitor can turn it on when the other application lets go, without a reload.
   */
  get hasCamera(): boolean {
    return this.#hasCamera || this.#cameraListed;
  }

  get state(): MediaState {
    return {
      audio: this.#audio !== null && this.#micOn,
      video: this.#camera !== null,
      screen: this.#screen !== null,
    };
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setMic(on: boolean): void {
    this.#micOn = on;
    // A disabled track sends silence: no renegotiation, and unmuting is instant.
    if (this.#audio) this.#audio.enabled = on;
    this.#changed();
  }

  /**
   * Turning the camera off stops the track, so the camera light goes out. Asking for it again while it
   * starts (a second click on a slow camera) waits for the same start.
   */
  async setCamera(on: boolean): Promise<void> {
    this.#camOn = on;
    if (!on) {
      this.#cameraRequest += 1;
      this.#cameraStarting = null;
      this.#camera?.stop();
      this.#camera = null;
    } else if (!this.#camera) {
      if (!this.#cameraStarting) {
        const starting = this.#openCamera().finally(() => {
          if (this.#cameraStarting === starting) this.#cameraStarting = null;
        });
        this.#cameraStarting = starting;
      }
      return this.#cameraStarting;
    }
    this.#changed();
  }

  async useMicrophone(deviceId: string): Promise<void> {
    this.audioDeviceId = deviceId;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: this.#audioConstraints() });
    const track = stream.getAudioTracks()[0] ?? null;
    if (track) track.enabled = this.#micOn;
    this.#audio?.stop();
    this.#audio = track;
    this.#hasMic ||= track !== null;
    this.#changed();
  }

  async useCamera(deviceId: string): Promise<void> {
    this.videoDeviceId = deviceId;
    if (!this.#camOn) return;
    this.#cameraStarting = null;
    await this.#openCamera();
  }

  /** Opens the chosen camera and puts it in place of the current one, unless overtaken meanwhile. */
  async #openCamera(): Promise<void> {
    const request = ++this.#cameraRequest;
    const stream = await navigator.mediaDevices.getUserMedia({ video: this.#videoConstraints() });
    const track = stream.getVideoTracks()[0] ?? null;
    if (request !== this.#cameraRequest || !this.#camOn) {
      for (const overtaken of stream.getTracks()) overtaken.stop();
      return;
    }
    this.#camera?.stop();
    this.#camera = track;
    // A camera busy when the page asked first (another app held it) can be chosen later.
    this.#hasCamera ||= track !== null;
    this.#changed();
  }

  static canShareScreen(): boolean {
    return typeof navigator.mediaDevices?.getDisplayMedia === 'function';
  }

  async startScreen(): Promise<void> {
    const stream = await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 15, max: 30 } },
      audio: false,
    });
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    // Text on slides stays sharp; the frame rate gives way instead.
    track.contentHint = 'detail';
    // The browser's own "Stop sharing" bar ends the track.
    track.addEventListener('ended', () => this.stopScreen());
    this.#screen?.stop();
    this.#screen = track;
    this.#changed();
  }

  stopScreen(): void {
    if (!this.#screen) return;
    this.#screen.stop();
    this.#screen = null;
    this.#changed();
  }

  stop(): void {
    this.#cameraRequest += 1;
    this.#cameraStarting = null;
    for (const track of [this.#audio, this.#camera, this.#screen]) track?.stop();
    this.#audio = null;
    this.#camera = null;
    this.#screen = null;
    this.#changed();
  }

  async devices(): Promise<DeviceLists> {
    const all = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
    // Before permission is granted, devices have no id or label: nothing to choose from yet.
    const usable = all.filter((d) => d.deviceId !== '');
    const cameras = usable.filter((d) => d.kind === 'videoinput');
    if (this.#cameraListed !== cameras.length > 0) {
      this.#cameraListed = cameras.length > 0;
      this.#changed();
    }
    return { cameras, microphones: usable.filter((d) => d.kind === 'audioinput') };
  }

  #audioConstraints(): MediaTrackConstraints {
    return this.audioDeviceId ? { ...AUDIO, deviceId: { exact: this.audioDeviceId } } : AUDIO;
  }

  #videoConstraints(): MediaTrackConstraints {
    return this.videoDeviceId ? { ...VIDEO, deviceId: { exact: this.videoDeviceId } } : VIDEO;
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
