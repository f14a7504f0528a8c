// Bulk import and export of items, end to end against a freshly started API process:
//   npm run build && node bench/import-export.mjs [rows=1000000]
// Embedded profile unless DATABASE_URL (and REDIS_URL, RABBITMQ_URL) are set, as for the app;
// in the full profile it creates and drops its own database on that server.
// Reports rows per second and the API process' peak RSS for both directions, and the p99
// latency of /health/live and of a cached item read while the import runs (target < 50 ms).
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { ADMIN, closeConnections, createData, startKeel, watchRss } from './lib/keel.mjs';

const rows = Number(process.argv[2] ?? 1_000_000);
const profile = process.env.DATABASE_URL ? 'full' : 'embedded';
const data = await createData(profile);
const api = await startKeel({
  data,
  env: { LOG_LEVEL: 'warn', IMPORT_MAX_BYTES: String(200 * 1024 * 1024) },
});
const call = api.call;
const rssMb = () => Math.round(api.rssMb().total);
const peakRss = (stop) => () => stop().total;

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
  const idleRss = Math.round(rssMb());
  const login = JSON.parse((await call('POST', '/v1/auth/login', { body: ADMIN })).text);
  const token = login.accessToken;
  const item = JSON.parse(
    (await call('POST', '/v1/items', { token, body: { name: 'Cached item', price: '1.00' } })).text,
  );
  await call('GET', `/v1/items/${item.id}`); // fills the cache

  // Import.
  const stopImportRss = peakRss(watchRss(api.rssMb));
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
  const stopExportRss = peakRss(watchRss(api.rssMb));
  const exportStart = performance.now();
  let exported = -1; // the header line
  let rssAtTenth;
  await new Promise((resolve, reject) => {
    const req = request(`${api.base}/v1/items/export?format=csv&sort=createdAt`, {
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
  await api.stop();
  await data.drop();
  closeConnections();
}
