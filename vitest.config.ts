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
    pool: 'forks',
  },
});
