/**
 * The retention worker: runs on its schedule, never overlaps runs, and stop() ends a run between two
 * batches (no transaction cut short); the next run finishes the work. Batches stay within their
 * policy's size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetention, type RetentionReport, type TransactionRecord } from '../src/retention/index.js';
import { createMeeting, SILENT } from './support/admin.js';
import { startTestApp, type TestApp } from './support/harness.js';

describe('retention worker', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    // 60 meetings long over (the clock is real here: they ended in January).
    for (let i = 0; i < 60; i++) {
      await createMeeting(
        t.runtime,
        't-worker',
        'u1',
        `Worker meeting ${i}`,
        new Date('2026-01-05T10:00:00Z'),
      );
    }
  });
  afterAll(async () => t?.close());

  const remaining = async () =>
    (
      await t.runtime.store.db
        .selectFrom('meetings')
        .select('id')
        .where('tenant_id', '=', 't-worker')
        .execute()
    ).length;

  it('stops between batches when asked, and the next run completes the purge', async () => {
    const transactions: TransactionRecord[] = [];
    const reports: RetentionReport[] = [];
    let stopping: Promise<void> | undefined;
    const retention = createRetention(t.runtime, {
      logger: SILENT,
      batchPolicy: { targetMs: 1000, initialSize: 10, minSize: 10, maxSize: 10 },
      onTransaction: (record) => {
        if (record.step !== 'meetings') return;
        transactions.push(record);
        // Asked to stop after its second batch: the run must not start a third.
        if (transactions.length === 2) stopping = retention.worker.stop();
      },
      worker: { firstRunDelayMs: 0, onRun: (report) => reports.push(report) },
    });
    retention.worker.start();
    await expect.poll(() => transactions.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await stopping;
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ completed: false, meetingsPurged: 20 });
    expect(transactions.every((r) => r.rows <= 10)).toBe(true);
    expect(await remaining()).toBe(40);

    // A stopped worker schedules nothing more; a run finishes what is left.
    const report = await retention.job.run(new Date());
    expect(report).toMatchObject({ completed: true, meetingsPurged: 40 });
    expect(await remaining()).toBe(0);
    const audits = await t.runtime.store.db
      .selectFrom('audit_log')
      .select('details')
      .where('tenant_id', '=', 't-worker')
      .where('action', '=', 'data.purged')
      .execute();
    // Both runs recorded what they deleted, the stopped one included.
    expect(audits.map((a) => JSON.parse(a.details).meetings).sort()).toEqual([20, 40]);
  });

  it('runs the purges other features register, and audits their counts per tenant', async () => {
    let left = 25;
    const retention = createRetention(t.runtime, {
      logger: SILENT,
      batchPolicy: { targetMs: 1000, initialSize: 10, minSize: 10, maxSize: 10 },
      extraSweeps: [
        {
          name: 'test_leftovers',
          run: async (_asOf, limit) => {
            const rows = Math.min(limit, left);
            left -= rows;
            return { rows, ms: 1, byTenant: new Map([['t-extra', rows]]) };
          },
        },
      ],
    });
    const report = await retention.job.run(new Date());
    expect(report.extra).toEqual({ test_leftovers: 25 });
    const audits = await t.runtime.store.db
      .selectFrom('audit_log')
      .select('details')
      .where('tenant_id', '=', 't-extra')
      .execute();
    expect(audits.map((a) => JSON.parse(a.details))).toEqual([{ reason: 'test_leftovers', rows: 25 }]);
  });

  it('a second call while a run is under way shares that run', async () => {
    const retention = createRetention(t.runtime, { logger: SILENT });
    const [a, b] = [retention.job.run(new Date()), retention.job.run(new Date())];
    expect(a).toBe(b);
    await a;
  });
});
