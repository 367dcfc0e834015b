import type { BrowserContext, LaunchOptions } from 'playwright-core';

export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_FLAGS: readonly string[];
export declare const FAKE_MEDIA_FLAGS: readonly string[];

export interface ChromiumOptions
  extends Omit<Parameters<typeof import('playwright-core').chromium.launchPersistentContext>[1], 'args'> {
  /** Flags added to CHROMIUM_FLAGS. */
  readonly args?: readonly string[];
}

/** Headless Chromium with a fresh profile; close() also deletes the profile. */
export declare function launchChromium(
  options?: ChromiumOptions,
): Promise<{ context: BrowserContext; close(): Promise<void> }>;

export type { LaunchOptions };
