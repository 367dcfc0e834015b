/**
 * A keyring other accounts can read is made 0600 when it is loaded, and that is logged (its path and
 * modes, never key material); `keepMode` (doctor) leaves it and reports it through openMode().
 */
import { chmod, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileKeyProvider } from './local-key-provider.js';

describe.skipIf(process.platform === 'win32')('the keyring file’s mode', () => {
  let dir: string;
  let file: string;
  let warnings: { fields: Record<string, unknown>; message: string }[];
  const logger = {
    warn: (fields: Record<string, unknown>, message?: string) => {
      warnings.push({ fields, message: message ?? '' });
    },
  };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-keyring-mode-'));
    file = path.join(dir, 'master-keys.json');
    warnings = [];
    await new FileKeyProvider(file).ensure();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const mode = async (name = file) => (await stat(name)).mode & 0o777;
  const keyMaterial = async () =>
    Object.values((JSON.parse(await readFile(file, 'utf8')) as { keys: Record<string, string> }).keys);

  it('load() makes a keyring readable by others 0600 and logs it, without key material', async () => {
    await chmod(file, 0o644);

    await new FileKeyProvider(file).load({ logger });

    expect(await mode()).toBe(0o600);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toBe(
      `keyring ${file} was open to other accounts (mode 0644); Roomlink made it private to its own (mode 0600)`,
    );
    expect(warnings[0]?.fields).toEqual({ file, mode: '0644', newMode: '0600' });
    for (const key of await keyMaterial()) expect(JSON.stringify(warnings)).not.toContain(key);
  });

  it('load() tightens a group-readable keyring reached through a link, the file it leads to', async () => {
    const link = path.join(dir, 'link.json');
    await symlink(file, link);
    await chmod(file, 0o640);

    await new FileKeyProvider(link).load({ logger });

    expect(await mode()).toBe(0o600);
    expect(warnings.map((w) => w.message)).toEqual([
      `keyring ${link} was open to other accounts (mode 0640); Roomlink made it private to its own (mode 0600)`,
    ]);
  });

  it('load() says nothing of a private keyring', async () => {
    await new FileKeyProvider(file).load({ logger });
    expect(warnings).toEqual([]);
    expect(await mode()).toBe(0o600);
  });

  it('load({ keepMode }) changes nothing and openMode() reports the mode', async () => {
    await chmod(file, 0o604);
    const provider = new FileKeyProvider(file);

    await provider.load({ logger, keepMode: true });

    expect(await mode()).toBe(0o604);
    expect(warnings).toEqual([]);
    expect(await provider.openMode()).toBe(0o604);
    await chmod(file, 0o600);
    expect(await provider.openMode()).toBeUndefined();
  });
});
