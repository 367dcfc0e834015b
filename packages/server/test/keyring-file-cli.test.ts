/**
 * The keyring file as an operator meets it through the built `roomlink` command: a keyring shared by
 * several hosts through symbolic links stays shared across `keys rotate`; a link that leads nowhere
 * is refused by `keys init` with the keys exit code and a message naming it; a keyring other
 * accounts can read is made 0600 by `keys init` (and said so), reported but left by `doctor`, and
 * made 0600 with a logged warning by the other commands that load it.
 */
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { loadConfig } from '../src/config/config.js';
import { EnvelopeCipher } from '../src/crypto/envelope.js';
import { FileKeyProvider } from '../src/crypto/local-key-provider.js';
import { createKeyProvider } from '../src/runtime.js';
import { openStore } from '../src/store/kysely-store.js';
import { type CliRun, runCli as run } from './support/server-process.js';

const output = (r: CliRun) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

describe('roomlink and the keyring file (built command)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-keyring-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keys rotate through a symbolic link rotates the shared keyring: the link stays, and a host reading the shared file passes doctor', async () => {
    const shared = path.join(dir, 'volume', 'master-keys.json');
    const hostA = path.join(dir, 'host-a');
    await mkdir(hostA);
    const link = path.join(hostA, 'master-keys.json');
    const database = `sqlite:${path.join(dir, 'roomlink.sqlite')}`;
    const env = (keyring: string) => ({
      DATABASE_URL: database,
      ROOMLINK_DATA_DIR: dir,
      ROOMLINK_KEYRING_FILE: keyring,
    });
    expect((await run(['keys', 'init'], env(shared))).code).toBe(EXIT.ok);
    await symlink(shared, link);
    // A tenant's data key, wrapped with the shared keyring's first master key.
    const store = await openStore(database);
    try {
      await store.tenants.ensure('tenant-a', new Date());
      await new EnvelopeCipher(store.tenantKeys, new FileKeyProvider(shared)).encrypt(
        { tenantId: 'tenant-a', table: 'meetings', column: 'subject', rowId: 'r1' },
        'Quarterly review',
      );
    } finally {
      await store.close();
    }

    const rotated = await run(['keys', 'rotate'], env(link));
    expect(rotated.code, output(rotated)).toBe(EXIT.ok);
    expect(rotated.stdout).toContain('1 data keys rewrapped; retired: ');

    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(shared);
    for (const keyring of [shared, link]) {
      const doctor = await run(['doctor'], env(keyring));
      expect(doctor.code, output(doctor)).toBe(EXIT.ok);
      expect(doctor.stdout).toContain('ok    keys (file provider, 1 master key(s)');
    }
    // Neither a temporary file nor the rotation lock was left, beside the link or the file.
    expect(await readdir(hostA)).toEqual(['master-keys.json']);
    expect(await readdir(path.dirname(shared))).toEqual(['master-keys.json']);
  }, 120_000);

  it('keys init refuses a keyring path that is a symbolic link leading nowhere: exit 77, naming it, nothing created', async () => {
    const link = path.join(dir, 'master-keys.json');
    const target = path.join(dir, 'unmounted', 'master-keys.json');
    await symlink(target, link);

    const init = await run(['keys', 'init'], { ROOMLINK_DATA_DIR: dir, ROOMLINK_KEYRING_FILE: link });

    expect(init.code, output(init)).toBe(EXIT.keys);
    expect(init.stderr).toContain(
      `roomlink: keyring ${link} cannot be read or created: it is a symbolic link to ${target}, which does not exist; nothing was created.`,
    );
    expect(init.stderr).not.toContain('EEXIST');
    expect(init.stdout).toBe('');
    expect(await readdir(dir)).toEqual(['master-keys.json']);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);

    const doctor = await run(['doctor'], {
      ROOMLINK_DATA_DIR: dir,
      ROOMLINK_KEYRING_FILE: link,
      DATABASE_URL: `sqlite:${path.join(dir, 'none.sqlite')}`,
    });
    expect(doctor.code).toBe(EXIT.database);
  }, 60_000);

  it.skipIf(process.platform === 'win32')(
    'keys init on a keyring others can read makes it 0600 and says so; doctor warns and changes nothing',
    async () => {
      const keyring = path.join(dir, 'master-keys.json');
      const env = { ROOMLINK_DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'roomlink.sqlite')}` };
      expect((await run(['keys', 'init'], env)).code).toBe(EXIT.ok);
      expect((await run(['migrate'], env)).code).toBe(EXIT.ok);
      const content = await readFile(keyring, 'utf8');
      const keys = Object.values((JSON.parse(content) as { keys: Record<string, string> }).keys);
      await chmod(keyring, 0o644);

      const doctor = await run(['doctor'], env);
      expect(doctor.code, output(doctor)).toBe(EXIT.ok);
      expect(doctor.stdout).toContain(
        `warn  keys: keyring ${keyring} is open to other accounts (mode 0644): make it 0600 (chmod 600 ${keyring})`,
      );
      expect(doctor.stdout.indexOf('ok    keys')).toBeLessThan(doctor.stdout.indexOf('warn  keys'));
      expect((await stat(keyring)).mode & 0o777).toBe(0o644);

      const init = await run(['keys', 'init'], env);
      expect(init.code, output(init)).toBe(EXIT.ok);
      expect(init.stderr).toBe(
        `roomlink: warning: keyring ${keyring} was open to other accounts (mode 0644); Roomlink made it private to its own (mode 0600)\n`,
      );
      expect(init.stdout).toBe(`${keyring} exists; its keys were not changed\n`);
      expect((await stat(keyring)).mode & 0o777).toBe(0o600);
      expect(await readFile(keyring, 'utf8')).toBe(content);
      for (const key of keys) expect(output(doctor) + output(init)).not.toContain(key);

      const again = await run(['doctor'], env);
      expect(again.stdout).not.toContain('warn  keys');
    },
    120_000,
  );

  it.skipIf(process.platform === 'win32')(
    'the server’s key provider makes a keyring others can read 0600 and logs a warning',
    async () => {
      const keyring = path.join(dir, 'master-keys.json');
      await new FileKeyProvider(keyring).ensure();
      await chmod(keyring, 0o640);
      const lines: Record<string, unknown>[] = [];
      const logger = pino(
        { level: 'warn' },
        { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
      );

      await createKeyProvider(loadConfig({ ROOMLINK_DATA_DIR: dir }), logger);

      expect((await stat(keyring)).mode & 0o777).toBe(0o600);
      expect(lines).toMatchObject([
        {
          level: 40,
          file: keyring,
          mode: '0640',
          newMode: '0600',
          msg: `keyring ${keyring} was open to other accounts (mode 0640); Roomlink made it private to its own (mode 0600)`,
        },
      ]);
    },
  );
});
