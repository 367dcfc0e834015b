// Builds the join page (src/web) into dist/web; the room plugin serves index.html at /m/:slug and
// the hashed files under /rooms/assets/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./src/web/', import.meta.url)),
  base: '/rooms/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/web/', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Current Chromium, Edge, Firefox and Safari; WebRTC needs nothing newer than this.
    target: ['chrome111', 'edge111', 'firefox115', 'safari16'],
    modulePreload: { polyfill: false },
  },
});
