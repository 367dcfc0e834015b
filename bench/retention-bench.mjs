// Purging 1 M meetings: how long the run takes, and how long any one transaction holds the database.
// Rows are inserted with direct batched SQL (realistic column sizes, one audit entry per meeting),
// then `RetentionJob.run` (built code, dist/) purges them all while a second process keeps writing
// to the same database and records how long each of its writes had to wait.
// BENCH_ROWS (default 1000000), BENCH_DIALECTS (default sqlite,postgres), BENCH_TARGET_MS (batch target; default
// the product's), BENCH_PG (a postgres:// URL, or `skip`; default: the local test server if it answers).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { masterKeys, ROOT, tempDir } from './lib.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const TARGET_MS = Number(process.env.BENCH_TARGET_MS ?? 0); // 0: the product's default
const DIALECTS = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',');
const DIST = path.join(ROOT, 'packages/server/dist');
const { loadConfig } = await import(path.join(DIST, 'config/config.js'));
const { createRuntime } = await import(path.join(DIST, 'runtime.js'));
const { createRetention, DEFAULT_BATCH_POLICY } = await import(path.join(DIST, 'retention/index.js'));
const { openStore } = await import(path.join(DIST, 'store/kysely-store.js'));
const { timeOrderedId } = await import(path.join(DIST, 'domain/ids.js'));

// ---- the concurrent writer (a child process) -----------------------------------------------------

if (process.argv[2] === 'writer') {
  const [, , , dialect, url] = process.argv;
  const waits = [];
  let stop = false;
  process.on('message', (m) => {
    if (m === 'stop') stop = true;
  });
  process.on('disconnect', () => process.exit(1)); // the bench died: do not linger
  const write = await openWriter(dialect, url);
  process.send('ready');
  while (!stop) {
    const started = performance.now();
    await write();
    waits.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await write.close();
  waits.sort((a, b) => a - b);
  // Only the figures travel back (a run of minutes makes tens of thousands of waits); exit once sent.
  const summary = {
    count: waits.length,
    p50: percentile(waits, 50),
    p99: percentile(waits, 99),
    max: waits.at(-1) ?? 0,
  };
  process.send({ summary }, () => process.exit(0));
}

async function openWriter(dialect, url) {
  if (dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(url, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    db.exec('create table if not exists bench_probe (id integer primary key, at text)');
    const insert = db.prepare('insert into bench_probe (at) values (?)');
    const fn = async () => insert.run(new Date().toISOString());
    fn.close = async () => db.close();
    return fn;
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('create table if not exists bench_probe (id serial primary key, at text)');
  const fn = async () => client.query('insert into bench_probe (at) values ($1)', [new Date().toISOString()]);
  fn.close = () => client.end();
  return fn;
}

// ---- data ---------------------------------------------------------------------------------------

const TENANTS = Array.from({ length: 100 }, (_, i) => `bench-tenant-${String(i).padStart(3, '0')}`);
const ct = (bytes) => `v1.0123456789abcdef.${randomBytes(bytes).toString('base64url')}`;
const blob = {
  subject: ct(12 + 40 + 16),
  time: ct(12 + 24 + 16),
  pin: ct(12 + 6 + 16),
};

// Keys as the product makes them: time-ordered meeting and audit ids (the rows were created one
// after the other over the five months before the run), random 128-bit slugs and random,
// unique 10-digit conference ids.
const CREATED_FROM = Date.parse('2026-06-01T00:00:00.000Z');
const CREATED_STEP_MS = Math.max(1, Math.floor((150 * 86_400_000) / ROWS));
const conferenceIds = new Set();
function conferenceId() {
  for (;;) {
    const id = String(1_000_000_000 + (randomBytes(6).readUIntBE(0, 6) % 9_000_000_000));
    if (!conferenceIds.has(id)) {
      conferenceIds.add(id);
      return id;
    }
  }
}

/** Yields batches of [meeting row, audit row] values; 90 % are due on the run day, 10 % later. */
function* batches(size) {
  for (let start = 0; start < ROWS; start += size) {
    const meetings = [];
    const audits = [];
    for (let i = start; i < Math.min(ROWS, start + size); i++) {
      const created = CREATED_FROM + i * CREATED_STEP_MS;
      const id = timeOrderedId(created);
      const tenant = TENANTS[i % TENANTS.length];
      const due = i % 10 !== 0;
      const day = due ? `2027-0${1 + (i % 5)}-${String(1 + (i % 28)).padStart(2, '0')}` : '2027-09-01';
      const at = new Date(created).toISOString();
      meetings.push([
        id,
        tenant,
        `org-${i % 5000}`,
        null,
        'builtin',
        'scheduled',
        blob.subject,
        blob.time,
        blob.time,
        null,
        'Europe/Paris',
        '{"guestPin":false,"lobby":false}',
        randomBytes(16).toString('base64url'),
        conferenceId(),
        blob.pin,
        null,
        null,
        day,
        1,
        at,
        at,
      ]);
      audits.push([
        timeOrderedId(created),
        tenant,
        `org-${i % 5000}`,
        'meeting.created',
        'meeting',
        id,
        '{}',
        at,
      ]);
    }
    yield { meetings, audits };
  }
}

const MEETING_COLUMNS =
  'id, tenant_id, organizer_id, idempotency_key, provider, status, subject_ct, start_ct, end_ct, recurrence_ct, ' +
  'time_zone, options, slug, conference_id, host_pin_ct, guest_pin_ct, provider_ref, purge_after, version, ' +
  'created_at, updated_at';
const AUDIT_COLUMNS = 'id, tenant_id, actor_id, action, target_type, target_id, details, created_at';

async function fillSqlite(file) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // loading only; the purge runs with Roomlink's own settings
  for (const t of TENANTS) {
    db.prepare(
      'insert into tenants (id, settings, contract_end, created_at, updated_at) values (?, ?, null, ?, ?)',
    ).run(t, '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
  }
  const per = 500;
  const mStmt = db.prepare(
    `insert into meetings (${MEETING_COLUMNS}) values ${Array(per)
      .fill(`(${Array(21).fill('?').join(',')})`)
      .join(',')}`,
  );
  const aStmt = db.prepare(
    `insert into audit_log (${AUDIT_COLUMNS}) values ${Array(per)
      .fill(`(${Array(8).fill('?').join(',')})`)
      .join(',')}`,
  );
  const load = db.transaction((meetings, audits) => {
    for (let i = 0; i < meetings.length; i += per) {
      mStmt.run(meetings.slice(i, i + per).flat());
      aStmt.run(audits.slice(i, i + per).flat());
    }
  });
  for (const { meetings, audits } of batches(50_000)) load(meetings, audits);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

async function fillPostgres(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const t of TENANTS) {
    await client.query(
      `insert into tenants (id, settings, contract_end, created_at, updated_at) values ($1, '{}', null, $2, $2)`,
      [t, '2026-01-01T00:00:00Z'],
    );
  }
  const columns = (rows, n) => Array.from({ length: n }, (_, c) => rows.map((r) => r[c]));
  for (const { meetings, audits } of batches(20_000)) {
    await client.query(
      `insert into meetings (${MEETING_COLUMNS}) select * from unnest(${Array.from({ length: 21 }, (_, i) => `$${i + 1}::${i === 18 ? 'int' : 'text'}[]`).join(',')})`,
      columns(meetings, 21),
    );
    await client.query(
      `insert into audit_log (${AUDIT_COLUMNS}) select * from unnest(${Array.from({ length: 8 }, (_, i) => `$${i + 1}::text[]`).join(',')})`,
      columns(audits, 8),
    );
  }
  await client.query('analyze meetings');
  await client.query('analyze audit_log');
  // As the SQLite path's checkpoint after loading: the load's dirty pages are written now, not by
  // PostgreSQL's checkpointer in the middle of the purge (needs superuser or pg_checkpoint).
  await client
    .query('checkpoint')
    .catch((error) => console.log(`(no checkpoint after loading: ${error.message})`));
  await client.end();
}

// ---- the run ------------------------------------------------------------------------------------

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : 0;
}

async function bench(dialect, databaseUrl, dir) {
  console.log(`\n## ${dialect}: ${ROWS.toLocaleString('en')} meetings (+ as many audit entries), 90 % due`);
  const env = {
    DATABASE_URL: databaseUrl,
    ROOMLINK_DATA_DIR: dir,
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: masterKeys(),
    LOG_LEVEL: 'silent',
  };
  const migrated = await openStore(databaseUrl);
  await migrated.close();
  const loadStarted = performance.now();
  if (dialect === 'sqlite') await fillSqlite(databaseUrl.slice('sqlite:'.length));
  else await fillPostgres(databaseUrl);
  console.log(`loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

  const runtime = await createRuntime(loadConfig(env), { warn: () => undefined });
  const transactions = [];
  const silent = { info() {}, warn() {}, error() {} };
  const retention = createRetention(runtime, {
    logger: silent,
    onTransaction: (t) => transactions.push(t),
    ...(TARGET_MS ? { batchPolicy: { ...DEFAULT_BATCH_POLICY, targetMs: TARGET_MS } } : {}),
  });

  const writer = fork(fileURLToPath(import.meta.url), [
    'writer',
    dialect,
    dialect === 'sqlite' ? databaseUrl.slice('sqlite:'.length) : databaseUrl,
  ]);
  await new Promise((resolve) => writer.once('message', resolve));
  writer.once('exit', (code) => {
    if (code !== 0) console.log(`concurrent writer exited with ${code}`);
  });

  const started = performance.now();
  const progress = setInterval(() => {
    const purged = transactions.filter((t) => t.step === 'meetings').reduce((n, t) => n + t.rows, 0);
    console.log(
      `  … ${((performance.now() - started) / 1000).toFixed(0)} s: ${purged.toLocaleString('en')} purged`,
    );
  }, 30_000);
  const report = await retention.job
    .run(new Date('2027-06-01T12:00:00Z'))
    .finally(() => clearInterval(progress));
  const seconds = (performance.now() - started) / 1000;

  writer.send('stop');
  const { summary: w } = await new Promise((resolve) => writer.once('message', resolve));
  await runtime.close();

  const ms = transactions
    .filter((t) => t.step !== 'checkpoint')
    .map((t) => t.ms)
    .sort((a, b) => a - b);
  const checkpoints = transactions
    .filter((t) => t.step === 'checkpoint')
    .map((t) => t.ms)
    .sort((a, b) => a - b);
  const sizes = transactions.filter((t) => t.step === 'meetings').map((t) => t.rows);
  console.log(
    `purged ${report.meetingsPurged.toLocaleString('en')} meetings in ${seconds.toFixed(1)} s` +
      ` (${Math.round(report.meetingsPurged / seconds).toLocaleString('en')} meetings/s)`,
  );
  console.log(
    `transactions: ${ms.length}; p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms,` +
      ` max ${ms.at(-1)?.toFixed(1)} ms; over 100 ms: ${ms.filter((x) => x > 100).length}`,
  );
  console.log(
    `batch size (meetings per transaction): min ${Math.min(...sizes)}, median ${percentile(
      [...sizes].sort((a, b) => a - b),
      50,
    )}, max ${Math.max(...sizes)}`,
  );
  console.log(
    `concurrent writer (another process, one insert every ~5 ms): ${w.count} writes;` +
      ` p50 ${w.p50.toFixed(1)} ms, p99 ${w.p99.toFixed(1)} ms, max ${w.max.toFixed(1)} ms`,
  );
  if (checkpoints.length) {
    console.log(
      `checkpoints between batches (no lock held; the connection is busy): ${checkpoints.length};` +
        ` p50 ${percentile(checkpoints, 50).toFixed(1)} ms, p99 ${percentile(checkpoints, 99).toFixed(1)} ms,` +
        ` max ${checkpoints.at(-1)?.toFixed(1)} ms`,
    );
  }
  const slowest = transactions
    .filter((t) => t.step !== 'checkpoint')
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3);
  console.log(`slowest: ${slowest.map((t) => `${t.step} ${t.rows} rows ${t.ms.toFixed(1)} ms`).join('; ')}`);
  return { report, ms, writer: w };
}

const dir = await tempDir('roomlink-retention-bench-');
try {
  if (DIALECTS.includes('sqlite')) await bench('sqlite', `sqlite:${path.join(dir, 'bench.sqlite')}`, dir);
  const pgUrl = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (pgUrl === 'skip' || !DIALECTS.includes('postgres')) process.exit(0);
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  let reachable = false;
  try {
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    reachable = true;
  } catch (error) {
    console.log(`\n## postgres: skipped (${error.message}); set BENCH_PG`);
  }
  if (reachable) {
    const url = new URL(pgUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    try {
      await bench('postgres', url.toString(), dir);
    } finally {
      await admin.query(`drop schema ${schema} cascade`);
    }
  }
  await admin.end().catch(() => undefined);
} finally {
  await rm(dir, { recursive: true, force: true });
}
