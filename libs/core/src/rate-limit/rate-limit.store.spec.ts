import { BlackHole } from '@keel/testing';
import { randomBytes } from 'node:crypto';
import { createRedisClient } from '../redis/redis.module';
import { MemoryRateLimitStore, RedisRateLimitStore } from './rate-limit.store';

describe('MemoryRateLimitStore', () => {
  it('counts hits per key in a fixed window that resets', async () => {
    const store = new MemoryRateLimitStore();
    expect(await store.hit('a', 50)).toMatchObject({ count: 1 });
    expect(await store.hit('a', 50)).toMatchObject({ count: 2 });
    expect(await store.hit('b', 50)).toMatchObject({ count: 1 });
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.hit('a', 50)).toMatchObject({ count: 1 });
  });
});

describe('RedisRateLimitStore when Redis does not answer', () => {
  const blackHole = new BlackHole();
  let port: number;

  beforeAll(async () => {
    port = await blackHole.start();
  });
  afterAll(() => blackHole.stop());

  it('fails open at once while Redis accepts connections but never answers, and stays fast', async () => {
    const client = createRedisClient(`redis://127.0.0.1:${port}`, 100);
    const store = new RedisRateLimitStore(client, 100, 'test:');
    try {
      for (let i = 0; i < 3; i++) expect(await store.hit('k', 1000)).toBeNull();
      const started = performance.now();
      expect(await store.hit('k', 1000)).toBeNull();
      expect(performance.now() - started).toBeLessThan(20);
    } finally {
      client.disconnect();
    }
  });

  it('fails open at once when nothing listens', async () => {
    const client = createRedisClient('redis://127.0.0.1:1', 100);
    const store = new RedisRateLimitStore(client, 100, 'test:');
    try {
      const started = performance.now();
      expect(await store.hit('k', 1000)).toBeNull();
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      client.disconnect();
    }
  });
});

// Needs a real Redis: runs when REDIS_URL is set (the full profile in CI).
const withRedis = process.env.REDIS_URL ? describe : describe.skip;

withRedis('RedisRateLimitStore against Redis', () => {
  const prefix = `keel-test:${randomBytes(4).toString('hex')}:`;
  let client: ReturnType<typeof createRedisClient>;
  let store: RedisRateLimitStore;

  beforeAll(async () => {
    client = createRedisClient(process.env.REDIS_URL ?? '', 1000);
    store = new RedisRateLimitStore(client, 1000, prefix);
    await new Promise<void>((resolve) =>
      client.status === 'ready' ? resolve() : client.once('ready', () => resolve()),
    );
  });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
    await client.quit();
  });

  it('counts atomically across concurrent callers and expires the window', async () => {
    const hits = await Promise.all(Array.from({ length: 20 }, () => store.hit('shared', 300)));
    expect(hits.map((h) => h?.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(hits[0]?.resetMs).toBeGreaterThan(0);
    expect(hits[0]?.resetMs).toBeLessThanOrEqual(300);
    await new Promise((r) => setTimeout(r, 350));
    expect((await store.hit('shared', 300))?.count).toBe(1);
  });
});
