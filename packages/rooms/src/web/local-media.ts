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

/**
 * A microphone or camera track that ended by itself (unplugged, a Bluetooth headset that dropped):
 * `replaced` when the default device took its place, false when none could.
 */
export interface DeviceLoss {
  readonly kind: 'audio' | 'video';
  readonly replaced: boolean;
}

/** What getUserMedia rejects with when the device asked for exactly is not there (any more). */
const DEVICE_GONE = new Set(['OverconstrainedError', 'NotFoundError']);

const deviceGone = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && DEVICE_GONE.has(String((error as { name?: unknown }).name));

const deviceOf = (track: MediaStreamTrack): string => track.getSettings().deviceId ?? '';

const stopAll = (stream: MediaStream): void => {
  for (const track of stream.getTracks()) track.stop();
};

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
  /** Bumped by every camera chosen in the list: only the latest choice is remembered. */
  #cameraChoice = 0;
  /** Bumped by every microphone chosen in the list, and by leaving: a late track is stopped. */
  #micRequest = 0;
  /** Bumped by leaving: a replacement for a lost microphone that arrives afterwards is stopped. */
  #stops = 0;
  /**
   * The devices the visitor chose in the lists ('' = none: the browser's default). Set only once the
   * device started; asked for exactly, and given up (for the default) once gone.
   */
  #chosenMic = '';
  #chosenCamera = '';
  /**
   * The devices the latest tracks came from, whether chosen or the default the browser gave: asked
   * for as `ideal` only, so a device that went away costs nothing. Forgotten when it is lost.
   */
  #lastMic = '';
  #lastCamera = '';
  readonly #listeners = new Set<() => void>();
  readonly #lossListeners = new Set<(loss: DeviceLoss) => void>();

  /**
   * Asks for camera and microphone; falls back to one of them, then to none. Returns what it got. A
   * chosen device that is gone since (a headset unplugged during the last call) gives way to the
   * default one rather than costing the microphone or camera.
   */
  async start(): Promise<{ audio: boolean; video: boolean }> {
    const attempts = [{ audio: true, video: true }, { audio: true }, { video: true }];
    for (const kinds of attempts) {
      try {
        const stream = await this.#ask(kinds);
        const video = stream.getVideoTracks()[0] ?? null;
        this.#placeMic(stream.getAudioTracks()[0] ?? null);
        if (this.#camOn) this.#placeCamera(video);
        else video?.stop();
        this.#hasMic = this.#audio !== null;
        this.#hasCamera = video !== null;
        this.#changed();
        return { audio: this.#hasMic, video: this.#hasCamera };
      } catch {
        // Try with less.
      }
    }
    this.#changed();
    return { audio: false, video: false };
  }

  /**
   * The device chosen in the list, if any ('' = the browser's default). A device the visitor never
   * chose is never insisted on.
   */
  get chosenMicrophone(): string {
    return this.#chosenMic;
  }

  get chosenCamera(): string {
    return this.#chosenCamera;
  }

  /** The microphone in use ('' = none): what its list shows. */
  get audioDeviceId(): string {
    return this.#audio ? this.#lastMic : '';
  }

  /** The camera in use, or while it is off the one turning it on asks for: what its list shows. */
  get videoDeviceId(): string {
    return this.#camera ? this.#lastCamera : this.#chosenCamera || this.#lastCamera;
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

  /** A microphone or camera that went away by itself, once its replacement started or could not. */
  onLost(listener: (loss: DeviceLoss) => void): () => void {
    this.#lossListeners.add(listener);
    return () => this.#lossListeners.delete(listener);
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

  /**
   * Switches to the microphone chosen in the list. It counts as chosen only once it started: a device
   * that fails (busy, gone) rejects and leaves the current microphone, and the choice, as they were.
   */
  async useMicrophone(deviceId: string): Promise<void> {
    const request = ++this.#micRequest;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { ...AUDIO, deviceId: { exact: deviceId } },
    });
    const track = stream.getAudioTracks()[0] ?? null;
    if (request !== this.#micRequest || !track) {
      stopAll(stream);
      return;
    }
    this.#chosenMic = deviceId;
    this.#placeMic(track);
    this.#hasMic = true;
    this.#changed();
  }

  /**
   * Switches to the camera chosen in the list, under the same rule as the microphone. While the camera
   * is off the choice is only remembered (nothing to start without turning its light on): turning the
   * camera on asks for it, and for the default camera if it is gone by then.
   */
  async useCamera(deviceId: string): Promise<void> {
    const choice = ++this.#cameraChoice;
    if (!this.#camOn) {
      this.#chosenCamera = deviceId;
      return;
    }
    this.#cameraStarting = null;
    await this.#openCamera(deviceId);
    if (choice === this.#cameraChoice) this.#chosenCamera = deviceId;
  }

  /**
   * Opens a camera (`deviceId` exactly, else the chosen or default one) and puts it in place of the
   * current one, unless overtaken meanwhile.
   */
  async #openCamera(deviceId?: string): Promise<void> {
    const request = ++this.#cameraRequest;
    const stream =
      deviceId === undefined
        ? await this.#ask({ video: true })
        : await navigator.mediaDevices.getUserMedia({ video: { ...VIDEO, deviceId: { exact: deviceId } } });
    const track = stream.getVideoTracks()[0] ?? null;
    if (request !== this.#cameraRequest || !this.#camOn) {
      stopAll(stream);
      return;
    }
    this.#placeCamera(track);
    // A camera busy when the page asked first (another app held it) can be chosen later.
    this.#hasCamera ||= track !== null;
    this.#changed();
  }

  /**
   * Asks for the chosen devices exactly. One that is gone (unplugged, a headset that dropped) gives
   * way to the default device, and is no longer the choice: the list shows what is in use.
   */
  async #ask(kinds: { audio?: boolean; video?: boolean }): Promise<MediaStream> {
    const constraints = (insist: boolean): MediaStreamConstraints => ({
      ...(kinds.audio ? { audio: constraintsFor(AUDIO, this.#chosenMic, this.#lastMic, insist) } : {}),
      ...(kinds.video ? { video: constraintsFor(VIDEO, this.#chosenCamera, this.#lastCamera, insist) } : {}),
    });
    try {
      return await navigator.mediaDevices.getUserMedia(constraints(true));
    } catch (error) {
      const insisted = (kinds.audio && this.#chosenMic) || (kinds.video && this.#chosenCamera);
      if (!insisted || !deviceGone(error)) throw error;
    }
    const stream = await navigator.mediaDevices.getUserMedia(constraints(false));
    const [audio] = stream.getAudioTracks();
    const [video] = stream.getVideoTracks();
    if (audio && deviceOf(audio) !== this.#chosenMic) this.#chosenMic = '';
    if (video && deviceOf(video) !== this.#chosenCamera) this.#chosenCamera = '';
    return stream;
  }

  /** Puts `track` in place of the current microphone, watching for it to end by itself. */
  #placeMic(track: MediaStreamTrack | null): void {
    if (this.#audio !== track) this.#audio?.stop();
    this.#audio = track;
    if (!track) return;
    track.enabled = this.#micOn;
    this.#lastMic = deviceOf(track);
    track.addEventListener('ended', () => void this.#micLost(track));
  }

  #placeCamera(track: MediaStreamTrack | null): void {
    if (this.#camera !== track) this.#camera?.stop();
    this.#camera = track;
    if (!track) return;
    this.#lastCamera = deviceOf(track);
    track.addEventListener('ended', () => this.#cameraLost(track));
  }

  /**
   * The microphone went away by itself (stop() fires no `ended`). Nothing is sent from a dead track
   * while the toolbar says the microphone is on: the state says so at once, then the default
   * microphone is asked for. A microphone chosen meanwhile, or leaving, wins over the replacement.
   */
  async #micLost(track: MediaStreamTrack): Promise<void> {
    if (this.#audio !== track) return;
    const stops = this.#stops;
    track.stop();
    this.#audio = null;
    this.#chosenMic = '';
    this.#lastMic = '';
    this.#changed();
    let replacement: MediaStreamTrack | null = null;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO });
      replacement = stream.getAudioTracks()[0] ?? null;
      if (stops !== this.#stops || this.#audio !== null) {
        stopAll(stream);
        return;
      }
    } catch {
      if (stops !== this.#stops || this.#audio !== null) return;
    }
    this.#placeMic(replacement);
    this.#hasMic = replacement !== null;
    this.#changed();
    this.#lost({ kind: 'audio', replaced: replacement !== null });
  }

  /** The camera went away by itself: as for the microphone, with the camera's own start (setCamera). */
  #cameraLost(track: MediaStreamTrack): void {
    if (this.#camera !== track) return;
    track.stop();
    this.#camera = null;
    this.#chosenCamera = '';
    this.#lastCamera = '';
    this.#cameraStarting = null;
    const replacing = this.setCamera(true);
    // After setCamera started its request: a camera turned off or chosen meanwhile, or leaving, bumps it.
    const request = this.#cameraRequest;
    replacing.then(
      () => {
        if (request === this.#cameraRequest) this.#lost({ kind: 'video', replaced: this.#camera !== null });
      },
      () => {
        if (request !== this.#cameraRequest) return;
        this.#hasCamera = false;
        this.#changed();
        this.#lost({ kind: 'video', replaced: false });
      },
    );
    // The toolbar and the others see the camera off until the replacement is in place.
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
    this.#micRequest += 1;
    this.#stops += 1;
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

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #lost(loss: DeviceLoss): void {
    for (const listener of this.#lossListeners) listener(loss);
  }
}

/**
 * The chosen device exactly (`insist`), else as a preference: the device used last, or a chosen one
 * that turned out to be gone, is taken when it is there and the browser's default otherwise.
 */
function constraintsFor(
  base: MediaTrackConstraints,
  chosen: string,
  last: string,
  insist: boolean,
): MediaTrackConstraints {
  if (chosen && insist) return { ...base, deviceId: { exact: chosen } };
  const preferred = chosen || last;
  return preferred ? { ...base, deviceId: { ideal: preferred } } : base;
}
