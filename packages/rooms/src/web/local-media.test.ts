/**
 * The join page's camera against slow cameras: a visitor clicks again while the camera starts, turns
 * it off or leaves before it is ready, or switches devices. No camera track may outlive what the
 * visitor asked for (its light would stay on). Then devices that go away (a headset unplugged) or do
 * not start (busy). navigator.mediaDevices is a stand-in whose requests the test answers one by one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalMedia } from './local-media.js';

interface FakeTrack {
  readonly kind: 'audio' | 'video';
  readonly deviceId: string;
  enabled: boolean;
  readyState: 'live' | 'ended';
  stop(): void;
  getSettings(): { deviceId: string };
  addEventListener(type: string, listener: () => void): void;
  /** The device went away (unplugged): `ended` fires, as it never does for stop(). */
  end(): void;
}

interface Request {
  readonly constraints: MediaStreamConstraints;
  answer(): void;
  refuse(name: string): void;
}

let tracks: FakeTrack[];
let requests: Request[];
/** Every request made, answered or not, in order. */
let asked: MediaStreamConstraints[];
/**
 * Devices unplugged, with the error a request for one of them exactly gets at once (the browser's
 * OverconstrainedError or NotFoundError). A device asked for as `ideal` gives way to the default.
 */
let gone: Map<string, string>;

function track(kind: 'audio' | 'video', deviceId: string): FakeTrack {
  const listeners: Array<() => void> = [];
  const t: FakeTrack = {
    kind,
    deviceId,
    enabled: true,
    readyState: 'live',
    stop: () => {
      t.readyState = 'ended';
    },
    getSettings: () => ({ deviceId }),
    addEventListener: (type, listener) => {
      if (type === 'ended') listeners.push(listener);
    },
    end: () => {
      t.readyState = 'ended';
      for (const listener of listeners) listener();
    },
  };
  tracks.push(t);
  return t;
}

type DeviceConstraint = { exact?: string; ideal?: string } | undefined;
const askedFor = (c: boolean | MediaTrackConstraints | undefined): DeviceConstraint =>
  typeof c === 'object' ? (c.deviceId as DeviceConstraint) : undefined;

/** The device a request gets: the one asked for (unless gone), else the first one still plugged in. */
const deviceOf = (c: boolean | MediaTrackConstraints | undefined, kind: 'mic' | 'cam') => {
  const wanted = askedFor(c);
  const id = wanted?.exact ?? wanted?.ideal;
  if (id && !gone.has(id)) return id;
  return [1, 2, 3].map((n) => `${kind}-${n}`).find((d) => !gone.has(d)) ?? `${kind}-9`;
};

function getUserMedia(constraints: MediaStreamConstraints) {
  asked.push(constraints);
  return new Promise((resolve, reject) => {
    for (const kind of ['audio', 'video'] as const) {
      const exact = askedFor(constraints[kind])?.exact;
      const error = exact === undefined ? undefined : gone.get(exact);
      if (error) return reject(Object.assign(new Error(error), { name: error }));
    }
    requests.push({
      constraints,
      answer: () => {
        const audio = constraints.audio ? [track('audio', deviceOf(constraints.audio, 'mic'))] : [];
        const video = constraints.video ? [track('video', deviceOf(constraints.video, 'cam'))] : [];
        resolve({
          getAudioTracks: () => audio,
          getVideoTracks: () => video,
          getTracks: () => [...audio, ...video],
        });
      },
      refuse: (name) => reject(Object.assign(new Error(name), { name })),
    });
  });
}

/** Answers every request waiting now, in order, and lets the page's code run after them. */
async function answerAll(): Promise<void> {
  const waiting = requests.splice(0);
  for (const request of waiting) request.answer();
  await vi.waitFor(() => expect(requests.length).toBe(0));
  await new Promise((resolve) => setTimeout(resolve, 0));
}

const liveVideo = () => tracks.filter((t) => t.kind === 'video' && t.readyState === 'live');
const liveAudio = () => tracks.filter((t) => t.kind === 'audio' && t.readyState === 'live');

/** A page whose camera and microphone started, then the camera was turned off. */
async function startedWithCameraOff(): Promise<LocalMedia> {
  const media = new LocalMedia();
  const started = media.start();
  await answerAll();
  await started;
  await media.setCamera(false);
  expect(liveVideo()).toHaveLength(0);
  return media;
}

/** What enumerateDevices lists: with permission given, ids are filled in. */
let listed: Array<Pick<MediaDeviceInfo, 'deviceId' | 'kind'>>;

beforeEach(() => {
  tracks = [];
  requests = [];
  asked = [];
  gone = new Map();
  listed = [];
  vi.stubGlobal('navigator', { mediaDevices: { getUserMedia, enumerateDevices: async () => listed } });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the camera while it starts', () => {
  it('a second click while it starts waits for the same camera; turning it off then leaves none live', async () => {
    const media = await startedWithCameraOff();
    const first = media.setCamera(true);
    const second = media.setCamera(true);
    expect(requests).toHaveLength(1);
    await answerAll();
    await Promise.all([first, second]);
    expect(liveVideo()).toHaveLength(1);
    expect(media.videoTrack).toBe(liveVideo()[0]);

    await media.setCamera(false);
    expect(liveVideo()).toHaveLength(0);
  });

  it('turned off before it is ready: the track that arrives late is stopped', async () => {
    const media = await startedWithCameraOff();
    const on = media.setCamera(true);
    await media.setCamera(false);
    await answerAll();
    await on;
    expect(liveVideo()).toHaveLength(0);
    expect(media.videoTrack).toBeNull();
    expect(media.state.video).toBe(false);
  });

  it('leaving before it is ready stops the track that arrives late, and every other', async () => {
    const media = await startedWithCameraOff();
    const on = media.setCamera(true);
    media.stop();
    await answerAll();
    await on;
    expect(tracks.filter((t) => t.readyState === 'live')).toEqual([]);
  });

  it('another camera chosen, then the camera turned off before it is ready: none stays live', async () => {
    const media = new LocalMedia();
    const started = media.start();
    await answerAll();
    await started;
    const switching = media.useCamera('cam-2');
    await media.setCamera(false);
    await answerAll();
    await switching;
    expect(liveVideo()).toHaveLength(0);
    expect(media.state.video).toBe(false);
  });
});

describe('a camera busy when the page started', () => {
  /** Started while another application held the only camera: the microphone alone started. */
  async function startedWithCameraBusy(): Promise<LocalMedia> {
    const media = new LocalMedia();
    const started = media.start();
    // Camera and microphone together: the camera is held by another application.
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    requests.shift()?.refuse('NotReadableError');
    // Then the microphone alone.
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    await answerAll();
    expect(await started).toEqual({ audio: true, video: false });
    return media;
  }

  it('listed by the browser, it can be turned on from the camera button once the other app lets go', async () => {
    const media = await startedWithCameraBusy();
    expect(media.hasCamera).toBe(false);
    const changes = vi.fn();
    media.onChange(changes);
    listed = [
      { deviceId: 'cam-1', kind: 'videoinput' },
      { deviceId: 'mic-1', kind: 'audioinput' },
    ];
    await media.devices();
    // The button is drawn again, enabled: a single camera offers no other choice in the device list.
    expect(changes).toHaveBeenCalled();
    expect(media.hasCamera).toBe(true);
    expect(media.state.video).toBe(false);

    const on = media.setCamera(true);
    await answerAll();
    await on;
    expect(media.state.video).toBe(true);
    expect(liveVideo()).toHaveLength(1);
    await media.setCamera(false);
    expect(liveVideo()).toHaveLength(0);
  });

  it('still busy when turned on: the attempt fails, nothing stays live, and it can be tried again', async () => {
    const media = await startedWithCameraBusy();
    listed = [{ deviceId: 'cam-1', kind: 'videoinput' }];
    await media.devices();
    const on = media.setCamera(true);
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    requests.shift()?.refuse('NotReadableError');
    await expect(on).rejects.toThrow('NotReadableError');
    expect(media.state.video).toBe(false);
    expect(media.hasCamera).toBe(true);
    expect(liveVideo()).toHaveLength(0);

    const again = media.setCamera(true);
    await answerAll();
    await again;
    expect(media.state.video).toBe(true);
  });

  it('not listed (no permission for it, or none plugged in): the camera button stays disabled', async () => {
    const media = await startedWithCameraBusy();
    listed = [
      { deviceId: '', kind: 'videoinput' },
      { deviceId: 'mic-1', kind: 'audioinput' },
    ];
    await media.devices();
    expect(media.hasCamera).toBe(false);
  });

  it('chosen later in the device list, it can be turned off again (hasCamera follows)', async () => {
    const media = await startedWithCameraBusy();
    expect(media.hasCamera).toBe(false);

    const choosing = media.useCamera('cam-2');
    await answerAll();
    await choosing;
    expect(media.hasCamera).toBe(true);
    expect(media.state.video).toBe(true);
    await media.setCamera(false);
    expect(liveVideo()).toHaveLength(0);
  });
});

/** Started with the default devices (mic-1, cam-1), none chosen in the lists. */
async function started(): Promise<LocalMedia> {
  const media = new LocalMedia();
  const starting = media.start();
  await answerAll();
  expect(await starting).toEqual({ audio: true, video: true });
  return media;
}

const liveOf = (kind: 'audio' | 'video', deviceId: string) =>
  tracks.filter((t) => t.kind === kind && t.deviceId === deviceId && t.readyState === 'live');

/** Answers what start() asks for as it comes (a refused attempt is followed by the next one). */
async function startAnswering(media: LocalMedia): Promise<{ audio: boolean; video: boolean }> {
  const starting = media.start();
  let settled = false;
  void starting.finally(() => {
    settled = true;
  });
  while (!settled) {
    for (const request of requests.splice(0)) request.answer();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return starting;
}

describe('a microphone or camera that goes away', () => {
  it('the default microphone unplugged after the call: joining again starts with the default one, not without', async () => {
    const media = await started();
    expect(media.audioDeviceId).toBe('mic-1');
    media.stop();
    // The headset is gone: any request for it exactly is refused at once, as browsers do.
    gone.set('mic-1', 'OverconstrainedError');

    expect(await startAnswering(media)).toEqual({ audio: true, video: true });
    expect(media.hasMic).toBe(true);
    expect(media.audioDeviceId).toBe('mic-2');
    expect(media.audioTrack).toBe(liveOf('audio', 'mic-2')[0]);
  });

  it('a chosen microphone unplugged after the call is asked for once, then the default one; the choice is given up', async () => {
    const media = await started();
    const choosing = media.useMicrophone('mic-2');
    await answerAll();
    await choosing;
    media.stop();
    gone.set('mic-2', 'NotFoundError');
    asked = [];

    expect(await startAnswering(media)).toEqual({ audio: true, video: true });
    expect(askedFor(asked[0]?.audio)).toEqual({ exact: 'mic-2' });
    expect(askedFor(asked[1]?.audio)?.exact).toBeUndefined();
    expect(media.audioDeviceId).toBe('mic-1');
    expect(media.chosenMicrophone).toBe('');
  });

  it('the microphone ends in the call: the state says so at once, the default one is asked for (not exactly) and takes its place', async () => {
    const media = await started();
    const changes = vi.fn();
    media.onChange(changes);
    const [lost] = liveOf('audio', 'mic-1');

    gone.set('mic-1', 'OverconstrainedError');
    lost?.end();
    // The toolbar and the others see no microphone rather than a dead one that sends silence.
    expect(changes).toHaveBeenCalled();
    expect(media.state.audio).toBe(false);
    expect(media.audioTrack).toBeNull();
    expect(requests).toHaveLength(1);
    expect(askedFor(requests[0]?.constraints.audio)?.exact).toBeUndefined();
    expect(requests[0]?.constraints.video).toBeUndefined();

    // The page says what happened once the replacement is in place.
    const losses = vi.fn();
    media.onLost(losses);
    await answerAll();
    expect(media.state.audio).toBe(true);
    expect(media.audioTrack).toBe(liveOf('audio', 'mic-2')[0]);
    expect(media.audioDeviceId).toBe('mic-2');
    expect(losses).toHaveBeenCalledWith({ kind: 'audio', replaced: true });
  });

  it('a muted microphone that ends is replaced muted', async () => {
    const media = await started();
    media.setMic(false);
    liveOf('audio', 'mic-1')[0]?.end();
    await answerAll();
    expect(media.audioTrack?.readyState).toBe('live');
    expect(media.audioTrack?.enabled).toBe(false);
    expect(media.state.audio).toBe(false);
  });

  it('no other microphone: it is lost, said so, and the microphone button is disabled', async () => {
    const media = await started();
    liveOf('audio', 'mic-1')[0]?.end();
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const losses = vi.fn();
    media.onLost(losses);
    requests.shift()?.refuse('NotFoundError');
    await vi.waitFor(() => expect(losses).toHaveBeenCalledWith({ kind: 'audio', replaced: false }));
    expect(media.hasMic).toBe(false);
    expect(media.state.audio).toBe(false);
    expect(media.audioDeviceId).toBe('');
    // The camera is untouched.
    expect(media.state.video).toBe(true);
  });

  it('leaving while the replacement starts: it is stopped when it arrives, and nothing is said', async () => {
    const media = await started();
    liveOf('audio', 'mic-1')[0]?.end();
    expect(requests).toHaveLength(1);
    const losses = vi.fn();
    media.onLost(losses);
    media.stop();
    await answerAll();
    expect(tracks.filter((t) => t.readyState === 'live')).toEqual([]);
    expect(losses).not.toHaveBeenCalled();
  });

  it('the camera ends: the state says so at once, and the default camera takes its place', async () => {
    const media = await started();
    gone.set('cam-1', 'OverconstrainedError');
    liveOf('video', 'cam-1')[0]?.end();
    expect(media.state.video).toBe(false);
    expect(requests).toHaveLength(1);
    expect(askedFor(requests[0]?.constraints.video)?.exact).toBeUndefined();
    const losses = vi.fn();
    media.onLost(losses);

    await answerAll();
    expect(media.state.video).toBe(true);
    expect(media.videoTrack).toBe(liveOf('video', 'cam-2')[0]);
    expect(losses).toHaveBeenCalledWith({ kind: 'video', replaced: true });
  });

  it('the camera ends and no other starts: it is lost, said so', async () => {
    const media = await started();
    liveOf('video', 'cam-1')[0]?.end();
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    const losses = vi.fn();
    media.onLost(losses);
    requests.shift()?.refuse('NotFoundError');
    await vi.waitFor(() => expect(losses).toHaveBeenCalledWith({ kind: 'video', replaced: false }));
    expect(media.state.video).toBe(false);
    expect(media.hasCamera).toBe(false);
    expect(media.state.audio).toBe(true);
  });
});

describe('a device chosen in the list that does not start', () => {
  it('a busy microphone: the switch rejects, and the microphone and choice in use stay', async () => {
    const media = await started();
    const choosing = media.useMicrophone('mic-1');
    await answerAll();
    await choosing;
    const inUse = media.audioTrack;

    const switching = media.useMicrophone('mic-2');
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    requests.shift()?.refuse('NotReadableError');
    await expect(switching).rejects.toThrow('NotReadableError');
    expect(media.audioDeviceId).toBe('mic-1');
    expect(media.audioTrack).toBe(inUse);
    expect(liveAudio()).toEqual([inUse]);
    expect(media.chosenMicrophone).toBe('mic-1');

    // The failed device is not pinned for the next start either.
    media.stop();
    asked = [];
    await startAnswering(media);
    expect(askedFor(asked[0]?.audio)).toEqual({ exact: 'mic-1' });
  });

  it('a busy camera: the switch rejects, and the camera in use stays', async () => {
    const media = await started();
    const inUse = media.videoTrack;
    const switching = media.useCamera('cam-2');
    await vi.waitFor(() => expect(requests).toHaveLength(1));
    requests.shift()?.refuse('NotReadableError');
    await expect(switching).rejects.toThrow('NotReadableError');
    expect(media.videoDeviceId).toBe('cam-1');
    expect(media.chosenCamera).toBe('');
    expect(media.videoTrack).toBe(inUse);
    expect(liveVideo()).toEqual([inUse]);
  });
});
