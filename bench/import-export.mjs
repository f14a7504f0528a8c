// Bulk import and export of items, end to end against a freshly started API process:
//   npm run build && node bench/import-export.mjs [rows=1000000]
// Embedded profile unless DATABASE_URL (and REDIS_URL, RABBITMQ_URL) are set, as for the app;
// in the full profile it creates and drops its own database on that server.
// Reports rows per second and the API process' peak RSS for both directions, and the p99
// latency of /health/live and of a cached item read while the import runs (target < 50 ms).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';

const rows = Number(process.argv[2] ?? 1_000_000);
const port = 3900 + Math.floor(Math.random() * 90);
const base = `http://127.0.0.1:${port}`;
const admin = { email: 'bench-admin@keel.test', password: 'bench-password-1' };
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-'));

let database;
if (process.env.DATABASE_URL) {
  const name = `keel_bench_${randomBytes(4).toString('hex')}`;
  const server = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await server.connect();
  await server.query(`CREATE DATABASE ${name}`);
  await server.end();
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  database = { name, url: url.toString() };
}
const profile = database ? 'full' : 'embedded';

const api = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    IMPORT_MAX_BYTES: String(200 * 1024 * 1024),
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(process.env.REDIS_URL
      ? { REDIS_KEY_PREFIX: `keel-bench:${randomBytes(4).toString('hex')}:` }
      : {}),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

function rssMb() {
  const status = readFileSync(`/proc/${api.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Samples the API's RSS every 50 ms until stopped; returns the peak. */
function watchRss() {
  let peak = rssMb();
  const timer = setInterval(() => (peak = Math.max(peak, rssMb())), 50);
  return () => {
    clearInterval(timer);
    return Math.round(Math.max(peak, rssMb()));
  };
}

function call(method, path, { token, body, type = 'application/json' } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method,
      agent,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': type } : {}),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    if (body instanceof Readable) body.pipe(req);
    else req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function waitForApi() {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await call('GET', '/health/ready')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the API did not start');
}

function* csvRows() {
  yield 'name,price,description\n';
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    chunk += `Bench item ${i},${(i % 100000) / 100},Imported by the benchmark\n`;
    if (i % 1000 === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const p99 = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
};
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Sequential requests to `path` on `clients` connections until `done()`; returns latencies in ms. */
async function probe(path, clients, done) {
  const latencies = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!done()) {
        const start = performance.now();
        const res = await call('GET', path);
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        latencies.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 5));
      }
    }),
  );
  return latencies;
}

try {
  await waitForApi();
  const idleRss = Math.round(rssMb());
  const login = JSON.parse((await call('POST', '/v1/auth/login', { body: admin })).text);
  const token = login.accessToken;
  const item = JSON.parse(
    (await call('POST', '/v1/items', { token, body: { name: 'Cached item', price: '1.00' } })).text,
  );
  await call('GET', `/v1/items/${item.id}`); // fills the cache

  // Import.
  const stopImportRss = watchRss();
  const uploadStart = performance.now();
  const accepted = await call('POST', '/v1/items/imports', {
    token,
    type: 'text/csv',
    body: Readable.from(csvRows()),
  });
  if (accepted.status !== 202) throw new Error(`import: ${accepted.status} ${accepted.text}`);
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  const jobId = JSON.parse(accepted.text).id;
  let job;
  let finished = false;
  const probes = Promise.all([
    probe('/health/live', 2, () => finished),
    probe(`/v1/items/${item.id}`, 2, () => finished),
  ]);
  while (!finished) {
    await new Promise((r) => setTimeout(r, 500));
    job = JSON.parse((await call('GET', `/v1/jobs/${jobId}`, { token })).text);
    finished = !['queued', 'running'].includes(job.state);
  }
  const [live, cached] = await probes;
  const importPeak = stopImportRss();
  if (job.state !== 'succeeded' || job.succeeded !== rows) {
    throw new Error(`import ended ${job.state}: ${JSON.stringify(job)}`);
  }
  const jobSeconds = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;

  // Export: RSS when a tenth of the rows has arrived, and at the end.
  const stopExportRss = watchRss();
  const exportStart = performance.now();
  let exported = -1; // the header line
  let rssAtTenth;
  await new Promise((resolve, reject) => {
    const req = request(`${base}/v1/items/export?format=csv&sort=createdAt`, {
      agent,
      headers: { authorization: `Bearer ${token}` },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.on('data', (chunk) => {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) exported++;
        if (rssAtTenth === undefined && exported >= rows / 10) rssAtTenth = Math.round(rssMb());
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.end();
  });
  const exportSeconds = (performance.now() - exportStart) / 1000;
  const rssAtEnd = Math.round(rssMb());
  const exportPeak = stopExportRss();

  const report = {
    profile,
    rows,
    idleRssMb: idleRss,
    import: {
      uploadSeconds: round(uploadSeconds),
      jobSeconds: round(jobSeconds),
      rowsPerSecond: Math.round(rows / jobSeconds),
      peakRssMb: importPeak,
      p99LiveMs: round(p99(live)),
      p99CachedItemMs: round(p99(cached)),
      probes: live.length + cached.length,
    },
    export: {
      rows: exported,
      seconds: round(exportSeconds),
      rowsPerSecond: Math.round(exported / exportSeconds),
      rssAtTenthMb: rssAtTenth,
      rssAtEndMb: rssAtEnd,
      peakRssMb: exportPeak,
    },
  };
  console.log(JSON.stringify(report, null, 2));
  const ok =
    report.import.p99LiveMs < 50 && report.import.p99CachedItemMs < 50 && exported === rows + 1;
  console.log(
    ok ? 'targets met' : 'TARGETS MISSED (p99 < 50 ms while importing, every row exported)',
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  if (database) {
    const server = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await server.connect();
    await server.query(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
    await server.end();
  }
  agent.destroy();
}
