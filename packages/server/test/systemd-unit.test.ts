/**
 * deploy/systemd/roomlink.service, the unit docs/deploy-microsoft-365.md installs: the same text as
 * the guide shows, the exit codes and data directory Roomlink uses, a unit systemd reads without a
 * warning, and sandboxed (systemd-analyze's exposure level, which the same unit without its
 * sandboxing fails). Booting it needs systemd as PID 1: scripts/systemd-unit-check.mjs does that in a
 * container.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const UNIT = path.join(root, 'deploy/systemd/roomlink.service');
const GUIDE = path.join(root, 'docs/deploy-microsoft-365.md');

/** The values of `key` in the unit, in order (a key may be given several times). */
function values(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] as string);
}

describe('the systemd unit', () => {
  it('is the one the deployment guide shows', async () => {
    const [unit, guide] = await Promise.all([readFile(UNIT, 'utf8'), readFile(GUIDE, 'utf8')]);
    const shown = /```ini\n(\[Unit\]\n[\s\S]*?)```/.exec(guide)?.[1];
    expect(shown).toBe(unit);
  });

  it("keeps Roomlink's exit codes for configuration and keys from restarting it, retries the others past systemd's start limit, and lets it write only the guide's data directory", async () => {
    const [unit, guide] = await Promise.all([readFile(UNIT, 'utf8'), readFile(GUIDE, 'utf8')]);
    expect(values(unit, 'RestartPreventExitStatus')).toEqual([`${EXIT.keys} ${EXIT.config}`]);
    // A database still starting (69) or a port still taken (75) is retried until it clears: systemd
    // gives a unit up after StartLimitBurst (5) starts in StartLimitIntervalSec (10 s), its defaults,
    // which the pause between restarts must outlast.
    expect(values(unit, 'StartLimitBurst')).toEqual([]);
    expect(values(unit, 'StartLimitIntervalSec')).toEqual([]);
    const pause = /^(\d+)s$/.exec(values(unit, 'RestartSec')[0] ?? '')?.[1];
    expect(5 * Number(pause)).toBeGreaterThan(10);
    expect(values(unit, 'ProtectSystem')).toEqual(['strict']);
    const dataDir = /^ROOMLINK_DATA_DIR=(.+)$/m.exec(guide)?.[1];
    expect(dataDir).toBe('/var/lib/roomlink');
    expect(values(unit, 'ReadWritePaths')).toEqual([dataDir]);
    // V8 compiles JavaScript into memory it then makes executable: Node would stop at once.
    expect(values(unit, 'MemoryDenyWriteExecute')).toEqual([]);
  });

  // systemd-analyze reads unit files without a running systemd; --offline came with systemd 250.
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const version = Number(/^systemd (\d+)/.exec(analyze.stdout ?? '')?.[1] ?? 0);
  const skip = version < 250;
  if (skip) console.warn('systemd-analyze 250 or later not found: the unit is not analysed here');

  describe.skipIf(skip)('as systemd-analyze reads it', () => {
    let dir: string;
    let unit: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'roomlink-unit-'));
      // verify checks that ExecStart's program exists: the node running this test stands in for
      // /usr/bin/node where that is not where node is.
      unit = (await readFile(UNIT, 'utf8')).replace(
        'ExecStart=/usr/bin/node ',
        `ExecStart=${process.execPath} `,
      );
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const analyse = async (text: string, ...args: string[]) => {
      const file = path.join(dir, 'roomlink.service');
      await writeFile(file, text);
      return spawnSync('systemd-analyze', [...args, file], { encoding: 'utf8' });
    };

    it('has no unknown key, bad value or missing program', async () => {
      const result = await analyse(unit, 'verify');
      expect(result.stderr + result.stdout).toBe('');
      expect(result.status).toBe(0);
    });

    it('is sandboxed: an exposure level of at most 2.0, which the unit without its sandboxing fails', async () => {
      const threshold = ['security', '--offline=true', '--no-pager', '--threshold=20'];
      const sandboxed = await analyse(unit, ...threshold);
      expect(sandboxed.stdout).toMatch(/Overall exposure level for roomlink\.service: (?:[01]\.\d|2\.0) /);
      expect(sandboxed.status).toBe(0);
      const bare = unit.replace(/\n# Sandboxing[\s\S]*?\n\n/, '\n\n');
      expect(bare).not.toContain('ProtectSystem');
      expect((await analyse(bare, ...threshold)).status).not.toBe(0);
    });
  });
});
