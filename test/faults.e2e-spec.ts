import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { CACHE_POLICY, type DependencyPolicy } from '@keel/core';
import {
  createTestDatabase,
  eventually,
  profile,
  proxyFor,
  readUntilClosed,
  redisServerAvailable,
  spawnApi,
  startTestApp,
  startTestRedis,
  tempDataDir,
  type TestApp,
  type TestRedis,
} from '@keel/testing';
import type { Cache } from 'cache-manager';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';

/** Faults from outside the process: a busy event loop, stalled clients, lost packets. */
jest.setTimeout(120_000);

// Needs `redis-server` on PATH (skipped on a machine with only Node).
const withRedis = redisServerAvailable() ? describe : describe.skip;

withRedis('the cache breaker', () => {
  let redis: TestRedis;
  let t: TestApp;
  let cache: Cache;
  let policy: DependencyPolicy;
  // Connected, and the circuit closed (it is half-open after the first connection attempts).
  const healthy = () =>
    eventually(
      async () =>
        (await cache.set('probe', 1).then(
          () => true,
          () => false,
        )) && !policy.isOpen,
    );

  beforeAll(async () => {
    redis = await startTestRedis();
    t = await startTestApp({
      REDIS_URL: redis.url,
      CACHE_TIMEOUT_MS: '100',
      CACHE_BREAKER_HALF_OPEN_MS: '200',
    });
    cache = t.app.get<Cache>(CACHE_MANAGER);
    policy = t.app.get<DependencyPolicy>(CACHE_POLICY);
  });
  afterAll(async () => {
    await t.close();
    await redis.close();
  });

  it('stays closed when the event loop, not a healthy Redis, is slow', async () => {
    await healthy();
    const keys = Array.from({ length: 20 }, (_, i) => `busy-loop-${i}`);
    await Promise.all(keys.map((key) => cache.set(key, key)));
    for (let round = 0; round < 5; round++) {
      const reads = Promise.all(keys.map((key) => cache.get(key)));
      // The commands are on the wire; the loop is then blocked for three times the timeout.
      setImmediate(() => busyWait(300));
      expect(await reads).toEqual(keys);
      expect(policy.isOpen).toBe(false);
    }
  });

  it('still opens when Redis itself stops answering', async () => {
    await healthy();
    redis.freeze();
    try {
      for (let i = 0; i < 3; i++) await cache.get(`frozen-${i}`).catch(() => undefined);
      expect(policy.isOpen).toBe(true);
    } finally {
      redis.thaw();
    }
  });
});

describe('clients that stall', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_IDLE_TIMEOUT_MS: '3000',
      EVENTS_STREAM_HEARTBEAT_MS: '1000',
    });
    port = Number(new URL(await t.listen()).port);
  });
  afterAll(() => t.close());

  it('lose a connection that sent half a body and stopped, with a 408', async () => {
    const socket = createConnection(port, '127.0.0.1');
    const answer = readUntilClosed(socket);
    const started = performance.now();
    socket.write(
      'POST /v1/auth/login HTTP/1.1\r\nHost: keel\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":',
    );
    const response = await answer;
    // The request timeout (1.5 s), checked every second.
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response).toMatch(/\r\ncontent-type: application\/problem\+json/i);
  });

  it('lose a connection that sends its headers slowly, with a 408', async () => {
    const socket = createConnection(port, '127.0.0.1');
    const answer = readUntilClosed(socket);
    const started = performance.now();
    socket.write('GET /health/live HTTP/1.1\r\nHost: keel\r\n');
    // One header line every 300 ms: never idle, never done.
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 300);
    try {
      const response = await answer;
      expect(performance.now() - started).toBeLessThan(6_000);
      expect(response).toMatch(/^HTTP\/1\.1 408 /);
      expect(response).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    } finally {
      clearInterval(drip);
    }
  });
});

// A database to cut off: the full profile.
(profile.databaseUrl ? describe : describe.skip)('a handler stuck on a dependency', () => {
  it('answers 503 problem+json at HTTP_HANDLER_TIMEOUT_MS when nothing else bounds the wait', async () => {
    const database = await createTestDatabase(profile.databaseUrl ?? '');
    const { proxy, url } = await proxyFor(database.url, 5432);
    // Queries unbounded for the test's length: only the deadline can answer.
    const t = await startTestApp({
      DATABASE_URL: url,
      DATABASE_QUERY_TIMEOUT_MS: '120000',
      HTTP_HANDLER_TIMEOUT_MS: '1000',
      // Must stay under the handler's deadline (an access change waits it out).
      AUTH_USER_STATUS_TTL_MS: '500',
    });
    try {
      await t.http.get('/v1/items?q=warm').expect(200);
      proxy.blackhole();
      const started = performance.now();
      const res = await t.http.get('/v1/items?q=stuck');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        code: 'SERVICE.UNAVAILABLE',
        requestId: expect.any(String),
      });
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await proxy.cut();
      await t.close().catch(() => undefined);
      await database.drop();
    }
  });
});

describe('a process that cannot reach its database at start', () => {
  it('writes only JSON lines, names DATABASE_URL once without its password, and exits 1', async () => {
    const port = await closedPort();
    const dataDir = tempDataDir('keel-faults-');
    const env = {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      DATABASE_URL: `postgres://keel:secret-password@127.0.0.1:${port}/keel`,
    };
    try {
      const apps = ['api', 'worker'].map((app) =>
        spawnApi(env, join(__dirname, `../dist/apps/${app}/src/main.js`)),
      );
      const started = performance.now();
      expect(await Promise.all(apps.map((app) => app.exited))).toEqual([1, 1]);
      // Ten attempts a second apart, then one line.
      expect(performance.now() - started).toBeLessThan(30_000);
      for (const app of apps) {
        const stderr = app
          .stderr()
          .split('\n')
          .filter((line) => line !== '');
        const lines = [...app.logs, ...stderr.map((line) => parseJson(line))];
        expect(lines.filter((line) => 'raw' in line)).toEqual([]);
        const naming = lines.filter((line) => JSON.stringify(line).includes('DATABASE_URL'));
        expect(naming).toHaveLength(1);
        expect(naming[0]).toMatchObject({
          level: 'fatal',
          setting: 'DATABASE_URL',
          databaseUrl: `postgres://keel:***@127.0.0.1:${port}/keel`,
        });
        expect(JSON.stringify(lines)).not.toContain('secret-password');
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function parseJson(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { raw: line };
  }
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}
