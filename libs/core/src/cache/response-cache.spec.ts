import { createCache } from 'cache-manager';
import { DependencyPolicy } from '../resilience/dependency-policy';
import { Metrics } from '../metrics/metrics';
import { ResponseCache } from './response-cache';

/** The in-process level alone (embedded profile); the Redis level is tested end to end. */
function inProcessCache(metrics = new Metrics()): ResponseCache {
  return new ResponseCache(
    createCache(),
    new DependencyPolicy({ timeoutMs: 100 }),
    null,
    {
      ttlSeconds: 60,
      localTtlMs: 5_000,
      localMaxEntries: 100,
      shared: true,
      timeoutMs: 100,
      breakerHalfOpenMs: 1_000,
    },
    { url: undefined, commandTimeoutMs: 100, keyPrefix: 'test:' },
    {
      url: undefined,
      poolSize: 1,
      connectTimeoutMs: 100,
      statementTimeoutMs: 100,
      queryTimeoutMs: 100,
      runMigrations: false,
    },
    metrics,
  );
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ResponseCache (in-process level)', () => {
  it('loads once, then hits; an invalidation makes the next read load again', async () => {
    const cache = inProcessCache();
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await cache.getOrLoad('k', 't', load)).toEqual({ value: 1, hit: false });
    expect(await cache.getOrLoad('k', 't', load)).toEqual({ value: 1, hit: true });
    await cache.invalidate(['other']);
    expect(await cache.getOrLoad('k', 't', load)).toEqual({ value: 1, hit: true });
    await cache.invalidate(['t']);
    expect(await cache.getOrLoad('k', 't', load)).toEqual({ value: 2, hit: false });
  });

  it('counts its lookups as hits and misses of the in-process level', async () => {
    const metrics = new Metrics();
    const cache = inProcessCache(metrics);
    await cache.getOrLoad('k', 't', () => Promise.resolve(1));
    await cache.getOrLoad('k', 't', () => Promise.resolve(1));
    await cache.getOrLoad('k', 't', () => Promise.resolve(1));
    const { values } = await metrics.cacheRequests.get();
    const count = (result: string) =>
      values.find((v) => v.labels.cache_level === 'local' && v.labels.result === result)?.value;
    expect([count('hit'), count('miss')]).toEqual([2, 1]);
  });

  it('shares one load between concurrent misses of a key', async () => {
    const cache = inProcessCache();
    const gate = deferred<string>();
    let loads = 0;
    const load = () => {
      loads++;
      return gate.promise;
    };
    const reads = Array.from({ length: 10 }, () => cache.getOrLoad('k', 't', load));
    gate.resolve('v');
    expect((await Promise.all(reads)).map((r) => r.value)).toEqual(Array(10).fill('v'));
    expect(loads).toBe(1);
  });

  it('never hands a read that starts after a write the result of a load that started before it', async () => {
    const cache = inProcessCache();
    const before = deferred<string>();
    const stale = cache.getOrLoad('k', 't', () => before.promise);
    await cache.invalidate(['t']); // the write commits while the first load is running
    const fresh = cache.getOrLoad('k', 't', () => Promise.resolve('new'));
    before.resolve('old');
    expect((await stale).value).toBe('old');
    expect((await fresh).value).toBe('new');
    // The load that overlapped the write did not fill the cache either.
    expect(await cache.getOrLoad('k', 't', () => Promise.resolve('newer'))).toEqual({
      value: 'new',
      hit: true,
    });
  });
});
