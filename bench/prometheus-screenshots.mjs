// The README's metrics pictures: Keel (full profile) under the mix scenario's load, scraped
// every second by a real Prometheus, with RabbitMQ cut off for a while in the middle so the
// outbox lag has something to show; then Prometheus's own graph page, in headless Chromium,
// for the request rate, the p99 by route and the outbox lag.
//
//   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//     REDIS_URL=redis://127.0.0.1:6379 RABBITMQ_URL=amqp://guest:guest@127.0.0.1:5672 \
//     node bench/prometheus-screenshots.mjs [--out docs/images]
//
// Needs `prometheus` (Debian: apt-get install prometheus) and Chromium (apt-get install
// chromium; CHROMIUM_PATH elsewhere). Takes about two minutes.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { closeConnections, createData, freePort, startKeel } from './lib/keel.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { KEEL_ENV, contextFor, measure, seed } from './lib/setup.mjs';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/images' },
    rows: { type: 'string', default: '20000' },
  },
});
const broker = process.env.RABBITMQ_URL;
if (!process.env.DATABASE_URL || !process.env.REDIS_URL || !broker) {
  throw new Error('the pictures need the full profile: DATABASE_URL, REDIS_URL, RABBITMQ_URL');
}

/** A TCP proxy in front of RabbitMQ that can be cut (every connection dropped, new ones refused). */
async function brokerProxy(url) {
  const target = new URL(url);
  const sockets = new Set();
  let server;
  const open = async (port = 0) => {
    server = createServer((client) => {
      const upstream = createConnection(Number(target.port || 5672), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
    return server.address().port;
  };
  const port = await open();
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    cut: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
    restore: () => open(port),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const work = mkdtempSync(join(tmpdir(), 'keel-screenshots-'));
const data = await createData('full');
const proxy = await brokerProxy(broker);
let keel;
let prometheus;
let browser;
try {
  const seeded = await seed(data, Number(args.rows));
  keel = await startKeel({ data, env: { ...KEEL_ENV, RABBITMQ_URL: proxy.url } });
  const promPort = await freePort();
  const config = join(work, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      `  - { job_name: keel-api, static_configs: [{ targets: ['${new URL(keel.metricsUrl).host}'] }] }`,
    ].join('\n'),
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: 'ignore' },
  );
  const promUrl = `http://127.0.0.1:${promPort}`;
  for (let i = 0; i < 100 && !(await fetch(`${promUrl}/-/ready`).catch(() => null))?.ok; i++) {
    await sleep(200);
  }

  // 90 s of the mix (90% reads, 10% creates); the broker is away from 30 s to 60 s.
  const mix = SCENARIOS.find((s) => s.id === 6);
  const ctx = contextFor(seeded);
  const outage = (async () => {
    await sleep(30_000);
    console.log('cutting RabbitMQ off for 30 s');
    await proxy.cut();
    await sleep(30_000);
    await proxy.restore();
    console.log('RabbitMQ back');
  })();
  const run = await measure(keel, mix, ctx, { seconds: 90, connections: 32 });
  await outage;
  console.log(`load: ${Math.round(run.rps)} req/s, ${run.errors + run.non2xx} errors or non-2xx`);
  await sleep(10_000);

  const graphs = {
    'metrics-request-rate':
      'sum by (http_route) (rate(http_server_request_duration_seconds_count{job="keel-api"}[15s]))',
    'metrics-p99-by-route':
      'histogram_quantile(0.99, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{job="keel-api"}[15s])))',
    'metrics-outbox-lag': 'keel_outbox_lag_seconds{job="keel-api"}',
  };
  mkdirSync(args.out, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // Debian's package serves the classic UI (Rickshaw charts); upstream builds the React one.
  const classic = (await fetch(`${promUrl}/classic/graph`)).ok;
  for (const [name, expr] of Object.entries(graphs)) {
    const query = new URLSearchParams({
      'g0.expr': expr,
      'g0.tab': '0',
      'g0.range_input': '2m',
      'g0.stacked': '0',
      'g0.show_exemplars': '0',
    });
    await page.goto(`${promUrl}${classic ? '/classic/graph' : '/graph'}?${query}`);
    await page.waitForSelector(classic ? 'svg.rickshaw_graph' : 'canvas.flot-overlay', {
      timeout: 15_000,
    });
    await sleep(1_000);
    await page.screenshot({ path: join(args.out, `${name}.png`), fullPage: true });
    console.log(`wrote ${join(args.out, `${name}.png`)}`);
  }
} finally {
  await browser?.close();
  prometheus?.kill('SIGTERM');
  await keel?.stop();
  await proxy.close().catch(() => undefined);
  await data.drop();
  closeConnections();
  rmSync(work, { recursive: true, force: true });
}
