/**
 * The built `roomlink` command refuses bad input before it touches anything: a DATABASE_URL that
 * names a directory or a file that is no database (exit 78, its mode left as it was), a keyring that
 * is damaged or missing (exit 77, naming the file, creating none), an integer setting Number() would
 * read (0x0F9F, 3e3), and bad arguments (exit 64) before any database is opened.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { type CliRun, runCli, runCliUntilServing } from './support/server-process.js';

/**
 * Runs a command to its end; `serve` that starts listening instead (the refusal this file tests
 * is missing) is stopped at once and reported as exit code null, so no test waits on a server.
 */
function run(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  if (args[0] !== 'serve') return runCli(args, env);
  // At info, so that the line saying it listens is there to see.
  return runCliUntilServing(args, { ...env, LOG_LEVEL: 'info' });
}

const modeOf = async (file: string) => ((await stat(file)).mode & 0o7777).toString(8).padStart(4, '0');

describe('roomlink refuses bad input before changing anything', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-refusals-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Demo mode, file key provider, a data directory that does not exist yet. */
  const demoEnv = () => ({ ROOMLINK_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' });
  const output = (result: { stdout: string; stderr: string }) => result.stdout + result.stderr;

  it('a DATABASE_URL naming a directory or a file that is no database: exit 78 from every command, modes unchanged', async () => {
    const shared = path.join(dir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777); // as /tmp
    const notes = path.join(dir, 'notes.txt');
    await writeFile(notes, 'not a database, but longer than sixteen bytes\n');
    await chmod(notes, 0o644);
    const short = path.join(dir, 'short.txt');
    await writeFile(short, 'SQLite');
    await chmod(short, 0o644);
    const linkToNotes = path.join(dir, 'link.sqlite');
    await symlink(notes, linkToNotes);
    const before = async () => ({
      shared: await modeOf(shared),
      notes: await modeOf(notes),
      short: await modeOf(short),
      content: await readFile(notes, 'utf8'),
      entries: (await readdir(dir)).sort(),
      sharedEntries: await readdir(shared),
    });
    const expected = await before();
    expect(expected).toMatchObject({ shared: '1777', notes: '0644', short: '0644', sharedEntries: [] });

    for (const [target, says] of [
      [shared, `points at a directory (${shared})`],
      [
        notes,
        `points at a file that is not a SQLite database (${notes}: it does not start with SQLite's header)`,
      ],
      [short, `points at a file that is not a SQLite database (${short}: it does not start`],
      [
        linkToNotes,
        `points at a file that is not a SQLite database (${linkToNotes}, a symbolic link to ${notes}: it`,
      ],
    ] as const) {
      const env = { ...demoEnv(), DATABASE_URL: `sqlite:${target}` };
      const commands = [['serve'], ['migrate'], ['doctor'], ['keys', 'rotate'], ['retention', 'run']];
      // Read-only refusals: the commands run side by side.
      const results = await Promise.all(commands.map((args) => run(args, env)));
      for (const [i, result] of results.entries()) {
        const what = `${commands[i]?.join(' ')} on ${target}`;
        expect(result.code, `${what}\n${output(result)}`).toBe(EXIT.config);
        expect(output(result), what).toContain(`DATABASE_URL=sqlite:${target} ${says}`);
        expect(output(result), what).toContain('nothing was changed');
      }
      // Nothing was made private, created or written: not the directory, the file, the data
      // directory or a demo keyring.
      expect(await before(), target).toEqual(expected);
    }
  }, 180_000);

  it('a damaged keyring: serve never listens, and every command exits 77 naming the file', async () => {
    const keyring = path.join(dir, 'keys.json');
    await writeFile(keyring, '{garbage');
    const env = { ...demoEnv(), ROOMLINK_KEYRING_FILE: keyring };
    const says = `keyring ${keyring} is not valid JSON`;

    const serve = await run(['serve'], env);
    expect(serve.code, output(serve)).toBe(EXIT.keys);
    expect(serve.stderr).toContain(`roomlink: ${says}`);
    expect(output(serve)).not.toContain('Roomlink is running');
    // Refused before the database was created.
    expect((await readdir(dir)).sort()).toEqual(['keys.json']);

    expect((await run(['migrate'], env)).code).toBe(EXIT.ok); // migrate needs no keys
    const doctor = await run(['doctor'], env);
    expect(doctor.code, output(doctor)).toBe(EXIT.keys);
    expect(doctor.stdout).toContain(`FAIL  keys: ${says}`);
    const commands = [
      ['keys', 'rotate'],
      ['keys', 'init'],
      ['retention', 'run'],
      ['export', 'user', 'u'],
    ];
    const results = await Promise.all(commands.map((args) => run(args, env)));
    for (const [i, result] of results.entries()) {
      const what = commands[i]?.join(' ');
      expect(result.code, `${what}\n${output(result)}`).toBe(EXIT.keys);
      expect(result.stderr, what).toContain(says);
    }
    expect(await readFile(keyring, 'utf8')).toBe('{garbage');

    await writeFile(keyring, JSON.stringify({ version: 1, current: 'mk-gone', keys: {} }));
    const empty = await run(['serve'], env);
    expect(empty.code).toBe(EXIT.keys);
    expect(empty.stderr).toContain(`keyring ${keyring} holds no master keys`);
  }, 180_000);

  it('a missing keyring: only the server creates one (demo mode); keys rotate, doctor and data commands exit 77 and create none', async () => {
    const env = demoEnv();
    expect((await run(['migrate'], env)).code).toBe(EXIT.ok);
    const keyring = path.join(dir, 'data', 'master-keys.json');
    const elsewhere = path.join(dir, 'elsewhere', 'missing.json');
    const commands: [string[], Record<string, string>, string][] = [
      [['keys', 'rotate'], env, keyring],
      [['keys', 'rotate'], { ...env, ROOMLINK_KEYRING_FILE: elsewhere }, elsewhere],
      [['doctor'], env, keyring],
      [['retention', 'run'], env, keyring],
      [['export', 'user', 'u'], env, keyring],
      [['erase', 'user', 'u', '--yes'], env, keyring],
      [['tenant', 'offboard', 't'], env, keyring],
    ];
    const results = await Promise.all(commands.map(([args, env2]) => run(args, env2)));
    for (const [i, result] of results.entries()) {
      const [args = [], , file = ''] = commands[i] ?? [];
      const what = args.join(' ');
      expect(result.code, `${what}\n${output(result)}`).toBe(EXIT.keys);
      expect(output(result), what).toContain(`no master keyring at ${file}; nothing was created`);
      expect(output(result), what).not.toContain('generated a new master key');
    }
    expect((await readdir(path.join(dir, 'data'))).filter((f) => !f.startsWith('roomlink.sqlite'))).toEqual(
      [],
    );
    expect((await readdir(dir)).sort()).toEqual(['data']);
  }, 180_000);

  it('integer settings in decimal digits only: PORT=0x0F9F and 3e3 exit 78 naming PORT', async () => {
    for (const port of ['0x0F9F', '3e3', '0']) {
      const result = await run(['serve'], { ...demoEnv(), PORT: port });
      expect(result.code, port).toBe(EXIT.config);
      expect(result.stderr, port).toContain(`PORT="${port}" must be a whole number from 1 to 65535`);
      const doctor = await run(['doctor'], { ...demoEnv(), ROOMLINK_SESSION_TTL_HOURS: port });
      expect(doctor.code, port).toBe(EXIT.config);
      expect(doctor.stdout, port).toContain(`ROOMLINK_SESSION_TTL_HOURS="${port}" must be a whole number`);
    }
    expect(await readdir(dir)).toEqual([]);
    // Six CLI processes: on a loaded machine each start takes seconds (like the tests above).
  }, 180_000);

  it('bad arguments exit 64 before any database is opened', async () => {
    // No database exists: were it opened first, these would exit 69.
    const impossible = await run(['tenant', 'offboard', 'x', '--contract-end', '2026-02-30'], demoEnv());
    expect(impossible.code, impossible.stderr).toBe(EXIT.usage);
    expect(impossible.stderr).toContain('--contract-end "2026-02-30" is not a calendar day');
    const shape = await run(['tenant', 'offboard', 'x', '--contract-end', '30/06/2026'], demoEnv());
    expect(shape.code, shape.stderr).toBe(EXIT.usage);
    expect(shape.stderr).toContain('--contract-end "30/06/2026" must be a day as YYYY-MM-DD');

    for (const url of ['notaurl', 'ftp://localhost:3000']) {
      const signIn = await run(
        ['dev', 'sign-in', '--user', 'megan@contoso.example', '--url', url],
        demoEnv(),
      );
      expect(signIn.code, signIn.stderr).toBe(EXIT.usage);
      expect(signIn.stderr).toContain(`--url "${url}" is not an http(s) URL`);
    }
    expect(await readdir(dir)).toEqual([]);
  }, 180_000);
});
