import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { CACHE_POLICY, type DependencyPolicy } from '@keel/core';
import {
  eventually,
  redisServerAvailable,
  startTestApp,
  startTestRedis,
  type TestApp,
  type TestRedis,
} from '@keel/testing';
import type { Cache } from 'cache-manager';
import { createConnection, type Socket } from 'node:net';

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
    } finally {
      clearInterval(drip);
    }
  });
});

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Everything the server writes on `socket` until the connection closes. */
function readUntilClosed(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve) => {
    socket.once('close', () => resolve(text));
    socket.once('error', () => undefined);
  });
}
