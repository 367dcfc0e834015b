/**
 * The SQLite store after a failed sync of its write-ahead log (see wal-sync.ts): it refuses every
 * later write, batched or not, with that failure, fails readiness, and keeps answering reads. The failure is injected
 * into fdatasync, the one call that cannot be made to fail on a healthy disk.
 */
import type * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore } from './kysely-store.js';
import { StoreUnusableError } from './store.js';
import { WalSyncFailedError } from './wal-sync.js';

const disk = vi.hoisted(() => ({ fail: false, syncs: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const fdatasync = ((fd: number, callback: fs.NoParamCallback) => {
    disk.syncs++;
    if (!disk.fail) return real.fdatasync(fd, callback);
    setImmediate(() =>
      callback(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5 })),
    );
  }) as typeof real.fdatasync;
  return { ...real, fdatasync, default: { ...real, fdatasync } };
});

const now = new Date('2026-11-29T10:00:00Z');
const entry = (targetId: string) => ({
  tenantId: 't',
  actorId: 'u',
  action: 'meeting.created' as const,
  targetType: 'meeting',
  targetId,
});

const dirs: string[] = [];
afterEach(() => {
  disk.fail = false;
  disk.syncs = 0;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite store after a failed log sync', () => {
  it('refuses every later write, fails readiness, and still answers reads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'log-sync-failure-'));
    dirs.push(dir);
    const reported: Error[] = [];
    const store = await openStore(`sqlite:${path.join(dir, 'db.sqlite')}`, {
      observer: {
        groupCommit: () => undefined,
        logSync: () => undefined,
        logSyncFailed: (e) => reported.push(e),
      },
    });
    try {
      await store.tenants.ensure('t', now);
      await store.transaction((tx) => tx.audit.append(entry('before'), now));
      expect(disk.syncs).toBeGreaterThan(0);

      disk.fail = true;
      const failed = await store
        .transaction((tx) => tx.audit.append(entry('unknown'), now))
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(WalSyncFailedError);
      expect(((failed as Error).cause as NodeJS.ErrnoException).code).toBe('EIO');
      expect(reported).toEqual([failed]);

      // The disk works again, but nothing more is written or synced until a restart.
      disk.fail = false;
      const syncs = disk.syncs;
      await expect(store.transaction((tx) => tx.audit.append(entry('after'), now))).rejects.toBe(failed);
      await expect(
        store.db
          .insertInto('tenants')
          .values({
            id: 'other',
            settings: '{}',
            contract_end: null,
            created_at: now.toISOString(),
            updated_at: now.toISOString(),
          })
          .execute(),
      ).rejects.toBe(failed);
      await expect(
        store.db.transaction().execute((trx) => trx.deleteFrom('audit_log').execute()),
      ).rejects.toBe(failed);
      expect(disk.syncs).toBe(syncs);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnusableError);

      expect(await store.db.selectFrom('tenants').select('id').execute()).toEqual([{ id: 't' }]);
      const targets = (await store.audit.list('t', { limit: 10 })).map((e) => e.targetId);
      expect(targets).toContain('before');
      expect(targets).not.toContain('after');
      expect(reported).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
