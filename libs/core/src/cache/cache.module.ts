import KeyvRedis, { type KeyvRedisOptions } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { Global, Logger, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Keyv } from 'keyv';
import { once } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import type { Keyv as KeyvFromEsm } from 'keyv' with { 'resolution-mode': 'import' };
import { cacheConfig, redisConfig } from '../config/config.namespaces';
import { Metrics } from '../metrics/metrics';
import { DependencyPolicy } from '../resilience/dependency-policy';
import { ResilientStore } from './resilient-store';
import { CACHE_POLICY, ResponseCache } from './response-cache';
import { ResponseCacheInterceptor } from './response-cache.interceptor';

const logger = new Logger('Cache');

@Module({
  providers: [
    {
      provide: CACHE_POLICY,
      inject: [cacheConfig.KEY, Metrics],
      useFactory: (cfg: ConfigType<typeof cacheConfig>, metrics: Metrics) => {
        const policy = new DependencyPolicy({
          timeoutMs: cfg.timeoutMs,
          halfOpenAfterMs: cfg.breakerHalfOpenMs,
        });
        metrics.watchBreaker('cache', policy);
        return policy;
      },
    },
  ],
  exports: [CACHE_POLICY],
})
class CachePolicyModule {}

/** The Redis level: @keyv/redis (node-redis) behind the cache policy. */
function redisStore(
  url: string,
  namespace: string,
  policy: DependencyPolicy,
  metrics: Metrics,
): KeyvFromEsm {
  const options: KeyvRedisOptions = {
    throwOnErrors: true,
    throwOnConnectError: true,
    connectionTimeout: 2_000,
  };
  const store = new KeyvRedis(
    {
      url,
      // A stopped Redis fails calls at once instead of queueing them.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2_000,
        reconnectStrategy: (retries: number) =>
          Math.min(100 * 2 ** Math.min(retries, 5), 3_000) * (0.5 + Math.random() / 2),
      },
    },
    options,
  );
  let lastReport = 0;
  const report = (error: unknown) => {
    if (Date.now() - lastReport < 10_000) return;
    lastReport = Date.now();
    logger.warn({ err: error }, 'redis cache unavailable');
  };
  store.on('error', report);
  const redisErrors = metrics.cacheRequests.labels('redis', 'error');
  // Made on the first call, not at start: a cache nobody reads opens no connection.
  let connecting: Promise<void> | undefined;
  const keyv = new Keyv({
    store: new ResilientStore(
      store,
      policy,
      () => (connecting ??= firstConnection(store)),
      () => redisErrors.inc(),
    ),
    namespace,
    throwOnErrors: true,
  });
  keyv.on('error', report);
  // The same class at run time; keyv's CommonJS and ESM typings (which Nest's are built
  // against) declare it twice, and TypeScript will not match the two declarations.
  return keyv as unknown as KeyvFromEsm;
}

/**
 * Resolves once the client is first ready, or failed to connect (reported by its `error`
 * event). It connects on its first call, and with the offline queue disabled every call made
 * meanwhile failed at once: the first burst of requests on a fresh instance opened the
 * breaker and was served without the cache.
 */
async function firstConnection(store: KeyvRedis<unknown>): Promise<void> {
  try {
    const client = await store.getClient();
    // A single client (never a cluster here) has `isReady`.
    if ('isReady' in client && !client.isReady) {
      await Promise.race([once(client, 'ready'), setTimeout(FIRST_CONNECTION_MS)]);
    }
  } catch {
    // Calls fail as they would have, through the breaker.
  }
}

const FIRST_CONNECTION_MS = 2_000;

/**
 * The response cache. `CACHE_MANAGER` (@nestjs/cache-manager) is Redis in the full profile;
 * `ResponseCache` adds the in-process level, generations and single flight on top.
 */
@Global()
@Module({
  imports: [
    CachePolicyModule,
    CacheModule.registerAsync({
      imports: [CachePolicyModule],
      inject: [redisConfig.KEY, cacheConfig.KEY, CACHE_POLICY, Metrics],
      useFactory: (
        redis: ConfigType<typeof redisConfig>,
        cache: ConfigType<typeof cacheConfig>,
        policy: DependencyPolicy,
        metrics: Metrics,
      ) => ({
        ttl: cache.ttlSeconds * 1000,
        stores:
          redis.url && cache.shared
            ? [redisStore(redis.url, `${redis.keyPrefix}cache`, policy, metrics)]
            : [],
      }),
    }),
  ],
  providers: [ResponseCache, ResponseCacheInterceptor],
  exports: [ResponseCache, ResponseCacheInterceptor],
})
export class KeelCacheModule {}
