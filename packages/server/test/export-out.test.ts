/**
 * `roomlink export user --out <file>` as an operator runs it (the built CLI): a file that cannot be
 * created is refused before anything is decrypted or audited, with the usage exit code.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { RETENTION_EXIT } from '../src/cli/retention-commands.js';
import { insertNamedUser } from './support/admin.js';
import { cliDatabase, withRuntime } from './support/cli-database.js';
import type { TestDatabase } from './support/databases.js';
import { runCli } from './support/server-process.js';

describe('roomlink export user --out', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  const run = (...args: string[]) => runCli(args, env);
  const exportAudits = () =>
    withRuntime(env, async (runtime) => {
      const row = await runtime.store.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('action', '=', 'user.exported')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });

  beforeAll(async () => {
    ({ database, env } = await cliDatabase((runtime) =>
      insertNamedUser(runtime, 't-out', 'out-bob', { name: 'Bob Builder', upn: 'bob@contoso.example' }),
    ));
  });
  afterAll(async () => database?.drop());

  it('refuses an existing file or a missing directory before exporting: usage exit, no audit entry', async () => {
    const existing = path.join(database.dir, 'existing.json');
    await writeFile(existing, 'keep me\n');

    const clash = await run('export', 'user', 'out-bob', '--out', existing);
    expect(clash.code).toBe(EXIT.usage);
    expect(clash.stderr).toContain(`--out ${existing} exists`);
    expect(clash.stderr).not.toMatch(/EEXIST/);
    expect(await readFile(existing, 'utf8')).toBe('keep me\n');

    const nowhere = path.join(database.dir, 'no-such-dir', 'export.json');
    const missing = await run('export', 'user', 'out-bob', '--out', nowhere);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('its directory does not exist');
    expect(missing.stderr).not.toMatch(/ENOENT/);

    // Neither export happened, so neither is audited as one.
    expect(await exportAudits()).toBe(0);
  });

  it('leaves no file behind when there is no such user', async () => {
    const out = path.join(database.dir, 'nobody.json');
    const result = await run('export', 'user', 'nobody', '--out', out);
    expect(result.code).toBe(RETENTION_EXIT.notFound);
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writes a new owner-only file and audits the export once', async () => {
    await mkdir(path.join(database.dir, 'exports'), { recursive: true });
    const out = path.join(database.dir, 'exports', 'bob.json');
    const before = await exportAudits();
    const result = await run('export', 'user', 'out-bob', '--out', out);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`wrote ${out}`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const data = JSON.parse(await readFile(out, 'utf8')) as { user: { name: string } };
    expect(data.user.name).toBe('Bob Builder');
    expect(await exportAudits()).toBe(before + 1);
  });
});
