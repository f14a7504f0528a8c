import {
  createItem,
  createTestDatabase,
  eventually,
  freePort,
  login,
  profile,
  proxyFor,
  signUp,
  startApiProcess,
  startWorkerProcess,
  type SpawnedProcess,
  type TcpProxy,
} from '@keel/testing';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';

/**
 * A real Prometheus scraping an API process and a worker, with the project's alerting rules
 * loaded: what an operator's dashboard and alerts would see. Full profile (the worker relays
 * the outbox to RabbitMQ); needs Debian's `prometheus` package (`.ci/run` installs it).
 */
const rabbitUrl = process.env.RABBITMQ_URL;
const prometheusInstalled = spawnSync('prometheus', ['--version']).status === 0;
if (!prometheusInstalled && process.env.KEEL_REQUIRE_PROMTOOL === '1' && profile.databaseUrl) {
  throw new Error('prometheus is not installed (apt-get install prometheus)');
}
const withPrometheus =
  profile.databaseUrl && profile.redisUrl && rabbitUrl && prometheusInstalled
    ? describe
    : describe.skip;

const RULES = resolve(__dirname, '../deploy/prometheus/alerts.yml');

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

withPrometheus('Prometheus scraping Keel', () => {
  const processes: SpawnedProcess[] = [];
  let prometheus: ChildProcess;
  let promUrl: string;
  let apiUrl: string;
  let proxy: TcpProxy;
  let dataDir: string;
  let dropDatabase: () => Promise<void>;

  async function query(promql: string): Promise<Sample[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: Sample[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  beforeAll(async () => {
    const database = await createTestDatabase(profile.databaseUrl ?? '');
    dropDatabase = () => database.drop();
    dataDir = mkdtempSync(join(tmpdir(), 'keel-prometheus-'));
    let brokerViaProxy: string;
    ({ proxy, url: brokerViaProxy } = await proxyFor(rabbitUrl ?? '', 5672));
    const env = {
      NODE_ENV: 'production',
      // The start helpers wait for the `listening` and `running` lines (info).
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: profile.redisUrl ?? '',
      REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
      JWT_SECRET: randomBytes(32).toString('hex'),
      AUTH_RATE_LIMIT_PER_IP: '100000',
    };
    const [apiMetrics, workerMetrics, promPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // As in Kubernetes: API replicas record, the worker relays the outbox.
    const api = await startApiProcess({
      ...env,
      RABBITMQ_URL: rabbitUrl ?? '',
      RUN_WORKERS: 'false',
      METRICS_PORT: String(apiMetrics),
    });
    processes.push(api);
    apiUrl = api.url;
    processes.push(
      await startWorkerProcess({
        ...env,
        RABBITMQ_URL: brokerViaProxy,
        METRICS_PORT: String(workerMetrics),
      }),
    );

    const config = join(dataDir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${RULES}']`,
        'scrape_configs:',
        `  - { job_name: keel-api, static_configs: [{ targets: ['127.0.0.1:${apiMetrics}'] }] }`,
        `  - { job_name: keel-worker, static_configs: [{ targets: ['127.0.0.1:${workerMetrics}'] }] }`,
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    promUrl = `http://127.0.0.1:${promPort}`;
    await eventually(
      async () => (await fetch(`${promUrl}/-/ready`).catch(() => null))?.ok === true,
      30_000,
    );
    // Prometheus finds its static targets a few seconds after it starts.
    await eventually(async () => (await query('up == 1')).length === 2, 30_000);
  }, 120_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => p.exited));
    await proxy?.cut();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the dashboard queries for the routes exercised: rate, 5xx ratio, p99', async () => {
    const http = request(apiUrl);
    const user = await signUp(http);
    // A series' first sample is where its rate starts: each route is exercised, scraped, and
    // exercised again.
    const exercise = async () => {
      await login(http, user.email, user.password);
      for (let i = 0; i < 3; i++) {
        const item = await createItem(http, user, { name: `scraped ${i}` });
        await http.get(`/v1/items/${item.id}`).expect(200);
      }
      await http.get('/v1/items').expect(200);
    };
    await exercise();
    await new Promise((r) => setTimeout(r, 2_500));
    await exercise();
    const rate = 'rate(http_server_request_duration_seconds_count{job="keel-api"}[1m])';
    const exercised = ['/v1/items', '/v1/items/:id', '/v1/auth/login'];
    let byRoute = new Map<string, number>();
    await eventually(async () => {
      const routes = await query(`sum by (http_route) (${rate})`);
      byRoute = new Map(routes.map((s) => [s.metric.http_route, Number(s.value[1])]));
      return exercised.every((route) => (byRoute.get(route) ?? 0) > 0);
    }, 30_000);
    const errors = await query(
      `(sum(${rate.replace('}', ',http_response_status_code=~"5.."}')}) or vector(0)) / sum(${rate})`,
    );
    expect(Number(errors[0].value[1])).toBe(0);
    const p99 = await query(
      'histogram_quantile(0.99, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{job="keel-api"}[1m])))',
    );
    const item = p99.find((s) => s.metric.http_route === '/v1/items/:id');
    expect(Number(item?.value[1])).toBeGreaterThan(0);
    expect(Number(item?.value[1])).toBeLessThan(10);
    const up = await query('up');
    expect(up.map((s) => [s.metric.job, s.value[1]]).sort()).toEqual([
      ['keel-api', '1'],
      ['keel-worker', '1'],
    ]);
  });

  it('sees the outbox lag rise while RabbitMQ is cut off, fires its alert, and fall after', async () => {
    const http = request(apiUrl);
    const user = await signUp(http);
    await proxy.cut();
    await createItem(http, user, { name: 'waits for the broker' });
    // The lag alert's expression is true once the oldest row has waited 60 s: `pending` (its
    // `for:` has not run out yet) is what an expression that holds looks like.
    await eventually(async () => {
      const alerts = await query('ALERTS{alertname="KeelOutboxLagging"}');
      return alerts.length === 1;
    }, 120_000);
    const lag = await query('keel_outbox_lag_seconds{job="keel-worker"}');
    expect(Number(lag[0].value[1])).toBeGreaterThan(60);
    expect((await query('keel_circuit_breaker_open{dependency="event_broker"}'))[0].value[1]).toBe(
      '1',
    );

    await proxy.start();
    await eventually(async () => {
      const [now] = await query('keel_outbox_lag_seconds{job="keel-worker"}');
      return now?.value[1] === '0';
    }, 90_000);
    await eventually(
      async () => (await query('ALERTS{alertname="KeelOutboxLagging"}')).length === 0,
      30_000,
    );
    expect(Number((await query('keel_outbox_pending_events{job="keel-worker"}'))[0].value[1])).toBe(
      0,
    );
  }, 300_000);
});
