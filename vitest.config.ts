import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run workspace packages from source, never from a stale dist/.
    alias: {
      '@roomlink/emulators': new URL('./packages/emulators/src/index.ts', import.meta.url).pathname,
      '@roomlink/rooms': new URL('./packages/rooms/src/server/index.ts', import.meta.url).pathname,
      '@roomlink/addin': new URL('./packages/addin/src/index.ts', import.meta.url).pathname,
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['./test-setup/postgres.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // How long expect.poll waits for what another process or a browser does, when a test does not
    // say: Vitest's own default, 1 s, was too short for a browser's answer with the whole suite on
    // two cores. A wait for something that must happen, not a bound on anyone's speed: a poll that
    // is met returns at once.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
  },
});
