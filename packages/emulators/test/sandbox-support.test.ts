/** When the browser tests rebuild the add-in before they run (sandbox-support.ts). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addinBuildIsStale } from './sandbox-support.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** An add-in checkout: each file written with its modification time, seconds since the epoch. */
function checkout(files: Record<string, number>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'roomlink-addin-'));
  roots.push(root);
  for (const [name, mtime] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, name);
    utimesSync(file, mtime, mtime);
  }
  return root;
}

const SOURCES = {
  'scripts/build-web.mjs': 100,
  'web/taskpane.ts': 100,
  'web/core/api.ts': 100,
  'assets/icon.png': 100,
};

describe('whether the add-in must be built before a browser test', () => {
  it('not when dist/web is newer than every source', () => {
    expect(addinBuildIsStale(checkout({ ...SOURCES, 'dist/web/commands.html': 200 }), [])).toBe(false);
  });

  it('when dist/web is missing', () => {
    expect(addinBuildIsStale(checkout(SOURCES), [])).toBe(true);
  });

  it('when any source changed after the build: a nested web file, an asset, the build script, a shared module', () => {
    for (const changed of ['web/core/api.ts', 'assets/icon.png', 'scripts/build-web.mjs'])
      expect(
        addinBuildIsStale(checkout({ ...SOURCES, 'dist/web/commands.html': 200, [changed]: 300 }), []),
      ).toBe(true);
    const root = checkout({ ...SOURCES, 'dist/web/commands.html': 200, 'shared/marker.ts': 300 });
    expect(addinBuildIsStale(root, [path.join(root, 'shared/marker.ts')])).toBe(true);
  });
});
