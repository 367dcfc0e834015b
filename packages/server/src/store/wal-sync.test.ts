import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnusableError } from './store.js';
import { WalSync, WalSyncFailedError } from './wal-sync.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('WalSync', () => {
  it('syncs the log file and reports how long it took', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wal-sync-'));
    dirs.push(dir);
    const wal = path.join(dir, 'db.sqlite-wal');
    writeFileSync(wal, 'frames');
    const times: number[] = [];
    const sync = new WalSync(wal, (seconds) => times.push(seconds));
    await sync.sync();
    await sync.sync();
    expect(times).toHaveLength(2);
    expect(sync.failure).toBeUndefined();
    sync.close();
  });

  it('fails for good after a failed fdatasync: later syncs reject without trying again', async () => {
    // Linux refuses fdatasync on /dev/null (EINVAL): a real failed sync, no mock.
    const times: number[] = [];
    const failures: Error[] = [];
    const sync = new WalSync(
      '/dev/null',
      (seconds) => times.push(seconds),
      (failure) => failures.push(failure),
    );
    const first = await sync.sync().catch((error: unknown) => error);
    expect(first).toBeInstanceOf(WalSyncFailedError);
    expect(first).toBeInstanceOf(StoreUnusableError);
    expect((first as Error).message).toMatch(/refused until Roomlink is restarted/);
    expect(((first as Error).cause as NodeJS.ErrnoException).code).toBe('EINVAL');
    expect(sync.failure).toBe(first);
    expect(failures).toEqual([first]);

    await expect(sync.sync()).rejects.toBe(first);
    // The second call never reached the disk: one timed sync only, one failure report.
    expect(times).toHaveLength(1);
    expect(failures).toHaveLength(1);
    sync.close();
  });
});
