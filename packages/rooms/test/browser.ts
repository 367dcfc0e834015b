/** Headless Chromium with fake camera/microphone, and the built join page, for the browser tests and the bench. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

import { CHROMIUM_FLAGS, CHROMIUM_PATH, FAKE_MEDIA_FLAGS } from '../../../scripts/chromium.mjs';

/**
 * chromium.launch() gives every browser a fresh temporary profile of its own (and refuses an explicit
 * --user-data-dir), which is what the fresh-profile rule asks for. `args`: flags on top of the usual
 * ones (an autoplay policy, say).
 */
export async function launchChromium(
  args: readonly string[] = [],
): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_FLAGS, ...FAKE_MEDIA_FLAGS, ...args],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** Builds the join page with Vite into a temporary folder (the tests always run the current source). */
export async function buildWebClient(): Promise<{ root: string; remove(): Promise<void> }> {
  const { build } = await import('vite');
  const root = await mkdtemp(path.join(tmpdir(), 'rooms-web-build-'));
  await build({
    configFile: fileURLToPath(new URL('../vite.config.mjs', import.meta.url)),
    logLevel: 'silent',
    build: { outDir: root, emptyOutDir: true },
  });
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * Test-only instrumentation, injected before the page's own scripts: every RTCPeerConnection the
 * page makes is remembered so the test can read its stats (and, for the TURN test, is forced to
 * relay-only). The page itself ships no debug hook.
 */
const instrument = (relayOnly: boolean) => `(() => {
  const Native = window.RTCPeerConnection;
  const connections = [];
  const relayOnly = ${relayOnly};
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}, ...rest) {
      super(relayOnly ? { ...config, iceTransportPolicy: 'relay' } : config, ...rest);
      connections.push(this);
    }
  };
  window.__roomsTest = {
    async inbound() {
      const out = [];
      for (const pc of connections) {
        if (pc.connectionState === 'closed') continue;
        let audio = 0, video = 0;
        (await pc.getStats()).forEach((r) => {
          if (r.type !== 'inbound-rtp') return;
          if (r.kind === 'audio') audio += r.bytesReceived || 0;
          if (r.kind === 'video') video += r.bytesReceived || 0;
        });
        out.push({ state: pc.connectionState, audio, video });
      }
      return out;
    },
    /** Candidate types (host, srflx, relay) of the selected pairs, local side. */
    async selectedCandidateTypes() {
      const types = [];
      for (const pc of connections) {
        if (pc.connectionState === 'closed') continue;
        const stats = await pc.getStats();
        stats.forEach((r) => {
          if (r.type !== 'transport' || !r.selectedCandidatePairId) return;
          const pair = stats.get(r.selectedCandidatePairId);
          const local = pair && stats.get(pair.localCandidateId);
          if (local) types.push(local.candidateType);
        });
      }
      return types;
    },
  };
})();`;

export interface InboundStats {
  readonly state: string;
  readonly audio: number;
  readonly video: number;
}

export async function newParticipantPage(
  browser: Browser,
  options: { relayOnly?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await context.addInitScript(instrument(options.relayOnly ?? false));
  const page = await context.newPage();
  return { context, page };
}

export function inboundStats(page: Page): Promise<InboundStats[]> {
  return page.evaluate('window.__roomsTest.inbound()') as Promise<InboundStats[]>;
}

export function selectedCandidateTypes(page: Page): Promise<string[]> {
  return page.evaluate('window.__roomsTest.selectedCandidateTypes()') as Promise<string[]>;
}
