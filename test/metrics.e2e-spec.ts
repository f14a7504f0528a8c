import {
  createItem,
  createTestDatabase,
  eventually,
  freePort,
  profile,
  signUp,
  startApiProcess,
  startTestApp,
  startWorkerProcess,
  type SignedIn,
  type SpawnedProcess,
  type TestApp,
} from '@keel/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One sample of the exposition: the metric's name and its labels, as Prometheus would key it. */
type Samples = Map<string, number>;

async function scrape(port: number): Promise<Samples> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples: Samples = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** `name{a="x",b="y"}` with the labels in the order given (the order prom-client writes them). */
function series(name: string, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length > 0 ? `${name}{${pairs.join(',')}}` : name;
}

function requests(method: string, route: string, status: number): string {
  return series('http_server_request_duration_seconds_count', {
    http_request_method: method,
    http_route: route,
    http_response_status_code: String(status),
  });
}

/** One request on a connection of its own, so the cluster can hand it to either worker. */
function statusOnNewConnection(url: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

function delta(before: Samples, after: Samples, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

describe('metrics', () => {
  let t: TestApp;
  let port: number;
  let user: SignedIn;

  beforeAll(async () => {
    port = await freePort();
    t = await startTestApp({
      METRICS_PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_RATE_LIMIT_PER_ACCOUNT: '2',
      BODY_LIMIT_BYTES: '1024',
    });
    user = await signUp(t.http);
  });
  afterAll(() => t.close());

  it('counts a known sequence of requests exactly, by route template and status', async () => {
    const item = await createItem(t.http, user, { name: 'counted' });
    const missing = randomUUID();
    const before = await scrape(port);

    await t.http.get(`/v1/items/${item.id}`).expect(200).expect('x-cache', 'MISS');
    await t.http.get(`/v1/items/${item.id}`).expect(200).expect('x-cache', 'HIT');
    await t.http.get(`/v1/items/${missing}`).expect(404);
    await t.http.get(`/no/such/${missing}`).expect(404);
    await t.http.post('/v1/items').send({ name: 'x' }).expect(401);
    await t.http.put('/v1/items').send({}).expect(405);
    await t.http
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .send(`{"email":"${'a'.repeat(2_048)}"}`)
      .expect(413);
    const stranger = `nobody-${missing}@example.com`;
    for (let i = 0; i < 2; i++) {
      await t.http
        .post('/v1/auth/login')
        .send({ email: stranger, password: 'wrong-password-1' })
        .expect(401);
    }
    await t.http
      .post('/v1/auth/login')
      .send({ email: stranger, password: 'wrong-password-1' })
      .expect(429);

    const after = await scrape(port);
    const d = (key: string) => delta(before, after, key);
    expect(d(requests('GET', '/v1/items/:id', 200))).toBe(2);
    expect(d(requests('GET', '/v1/items/:id', 404))).toBe(1);
    expect(d(requests('GET', 'unmatched', 404))).toBe(1);
    expect(d(requests('POST', '/v1/items', 401))).toBe(1);
    // Refused before a handler ran: a known path with another method, a body over the limit.
    expect(d(requests('PUT', 'unmatched', 405))).toBe(1);
    expect(d(requests('POST', '/v1/auth/login', 413))).toBe(1);
    expect(d(requests('POST', '/v1/auth/login', 401))).toBe(2);
    expect(d(requests('POST', '/v1/auth/login', 429))).toBe(1);
    expect(d(series('keel_auth_logins_total', { outcome: 'invalid_credentials' }))).toBe(2);
    expect(d(series('keel_rate_limit_rejections_total', { rule: 'auth_per_account' }))).toBe(1);
    // The item read twice: a miss then a hit; the unknown id is a miss (errors are not cached).
    const cache = (level: string, result: string) =>
      d(series('keel_cache_requests_total', { cache_level: level, result }));
    expect([cache('local', 'hit'), cache('local', 'miss')]).toEqual([1, 2]);
    if (t.env.REDIS_URL) expect([cache('redis', 'hit'), cache('redis', 'miss')]).toEqual([0, 2]);
    // The two misses read the database; the hit did not.
    expect(
      d(
        series('db_client_operation_duration_seconds_count', {
          db_system_name: 'postgresql',
          db_operation_name: 'SELECT',
        }),
      ),
    ).toBeGreaterThanOrEqual(2);
    // No id, email or raw path ever becomes a label.
    for (const key of after.keys()) {
      expect(key).not.toContain(item.id);
      expect(key).not.toContain(missing);
      expect(key).not.toContain('/no/such');
    }
  });

  it('reports the pool, the runtime and what the relay and the job runner read', async () => {
    const samples = await scrape(port);
    expect(samples.get('db_client_connection_max')).toBeGreaterThan(0);
    for (const state of ['idle', 'used']) {
      expect(
        samples.has(series('db_client_connection_count', { db_client_connection_state: state })),
      ).toBe(true);
    }
    expect(samples.get('keel_outbox_pending_events')).toBeGreaterThanOrEqual(0);
    expect(samples.get('keel_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(samples.get(series('keel_jobs_queued', { job_type: 'items.import' }))).toBe(0);
    expect(samples.get(series('keel_jobs_failed_total', { job_type: 'items.import' }))).toBe(0);
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.get('nodejs_eventloop_utilization_ratio')).toBeGreaterThan(0);
    expect(samples.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  it('keeps the number of series bounded whatever ids and paths clients send', async () => {
    const unknownItem = () => t.http.get(`/v1/items/${randomUUID()}`).expect(404);
    const unknownPath = () => t.http.get(`/${randomUUID()}/${randomUUID()}`).expect(404);
    await unknownItem();
    await unknownPath();
    const before = new Set((await scrape(port)).keys());
    for (let i = 0; i < 500; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, () => Promise.all([unknownItem(), unknownPath()])),
      );
    }
    const after = await scrape(port);
    // The GC histogram gains a series the first time each kind of collection runs (four
    // kinds at most), which a burst of requests may cause: bounded, but not by this test.
    const added = [...after.keys()].filter((key) => !before.has(key));
    expect(added.filter((key) => !key.startsWith('nodejs_gc_duration_seconds'))).toEqual([]);
    expect(after.get(requests('GET', 'unmatched', 404))).toBeGreaterThanOrEqual(501);
  });

  it('is not served on the API port', async () => {
    await t.http.get('/metrics').expect(404);
  });
});

// Real processes: the cluster primary's sum over its workers, and the worker app's own port.
const withPostgres = profile.databaseUrl ? describe : describe.skip;

withPostgres('metrics of real processes', () => {
  const started: SpawnedProcess[] = [];
  let dataDir: string;
  let drop: () => Promise<void>;
  let env: Record<string, string>;

  beforeAll(async () => {
    const database = await createTestDatabase(profile.databaseUrl ?? '');
    drop = () => database.drop();
    dataDir = mkdtempSync(join(tmpdir(), 'keel-metrics-'));
    env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ...(profile.redisUrl
        ? { REDIS_URL: profile.redisUrl, REDIS_KEY_PREFIX: `keel-test:${randomUUID()}:` }
        : {}),
    };
  });
  afterAll(async () => {
    for (const p of started) p.child.kill('SIGTERM');
    await Promise.all(started.map((p) => p.exited));
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the sum of all cluster workers on one port', async () => {
    const metricsPort = await freePort();
    const api = await startApiProcess({
      ...env,
      WEB_CONCURRENCY: '2',
      METRICS_PORT: String(metricsPort),
    });
    started.push(api);
    // Both workers listen (the cluster primary hands them connections in turn).
    await eventually(
      () => api.logs.filter((l) => String(l.msg).startsWith('Keel API listening on')).length === 2,
    );
    const before = await scrape(metricsPort);
    for (let i = 0; i < 100; i++) {
      expect(await statusOnNewConnection(`${api.url}/health/live`)).toBe(200);
    }
    const after = await scrape(metricsPort);
    // Each worker counted its share; only the sum of both is 100.
    expect(delta(before, after, requests('GET', '/health/live', 200))).toBe(100);
  });

  it('serves the worker app on its own port, with the outbox it relays', async () => {
    const metricsPort = await freePort();
    const worker = await startWorkerProcess({ ...env, METRICS_PORT: String(metricsPort) });
    started.push(worker);
    const samples = await scrape(metricsPort);
    expect(samples.has('keel_outbox_lag_seconds')).toBe(true);
    expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
