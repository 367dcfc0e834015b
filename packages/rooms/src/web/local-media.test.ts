/**
 * The join page's camera against slow cameras: a visitor clicks again while the camera starts, turns
 * it off or leaves before it is ready, or switches devices. No camera track may outlive what the
 * visitor asked for (its light would stay on). navigator.mediaDevices is a stand-in whose requests
 * the test answers one by one.
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
}

interface Request {
  readonly constraints: MediaStreamConstraints;
  answer(): void;
  refuse(name: string): void;
}

let tracks: FakeTrack[];
let requests: Request[];

function track(kind: 'audio' | 'video', deviceId: string): FakeTrack {
  const t: FakeTrack = {
    kind,
    deviceId,
    enabled: true,
    readyState: 'live',
    stop: () => {
      t.readyState = 'ended';
    },
    getSettings: () => ({ deviceId }),
  };
  tracks.push(t);
  return t;
}

const deviceOf = (c: boolean | MediaTrackConstraints | undefined, fallback: string) => {
  const id = typeof c === 'object' ? (c.deviceId as { exact?: string } | undefined)?.exact : undefined;
  return id ?? fallback;
};

function getUserMedia(constraints: MediaStreamConstraints) {
  return new Promise((resolve, reject) => {
    requests.push({
      constraints,
      answer: () => {
        const audio = constraints.audio ? [track('audio', deviceOf(constraints.audio, 'mic-1'))] : [];
        const video = constraints.video ? [track('video', deviceOf(constraints.video, 'cam-1'))] : [];
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
