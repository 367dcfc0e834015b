// Builds the add-in's browser files into dist/web:
//  - the pages (commands, task pane, support) with Vite, as ES modules with hashed chunks under js/;
//  - launchevent.js as ONE classic script (IIFE, not minified: it is small, and readable when debugging
//    classic Outlook's JavaScript-only runtime), plus launchevent.html that loads it in browsers;
//  - the icons from assets/.
// The web code is type-checked first (tsconfig.web.json), since Vite only strips types.
import { spawnSync } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const out = path.join(root, 'dist', 'web');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const check = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.web.json')], {
  stdio: 'inherit',
});
if (check.status !== 0) process.exit(check.status ?? 1);

await build({
  configFile: false,
  root: web,
  base: './',
  logLevel: 'warn',
  publicDir: false,
  build: {
    outDir: out,
    emptyOutDir: true,
    assetsDir: 'js',
    sourcemap: true,
    target: 'es2020',
    rollupOptions: {
      input: {
        commands: path.join(web, 'commands.html'),
        taskpane: path.join(web, 'taskpane.html'),
        support: path.join(web, 'support.html'),
      },
    },
  },
});

await build({
  configFile: false,
  root: web,
  logLevel: 'warn',
  publicDir: false,
  build: {
    outDir: out,
    emptyOutDir: false,
    minify: false,
    target: 'es2017',
    lib: {
      entry: path.join(web, 'launchevent.ts'),
      formats: ['iife'],
      name: 'RoomlinkLaunchEvents',
      fileName: () => 'launchevent.js',
    },
  },
});

await cp(path.join(web, 'launchevent.html'), path.join(out, 'launchevent.html'));
await mkdir(path.join(out, 'assets'), { recursive: true });
await cp(path.join(root, 'assets'), path.join(out, 'assets'), { recursive: true });
console.log(`add-in built into ${path.relative(process.cwd(), out) || out}`);
