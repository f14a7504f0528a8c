import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { redisConfig } from '../config/config.namespaces';
import { Metrics } from '../metrics/metrics';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.module';
import { MemoryRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit.store';

@Global()
@Module({
  providers: [
    {
      provide: RateLimitStore,
      inject: [REDIS_CLIENT, redisConfig.KEY, Metrics],
      useFactory: (
        redis: RedisClient,
        cfg: ConfigType<typeof redisConfig>,
        metrics: Metrics,
      ): RateLimitStore => {
        if (!redis) return new MemoryRateLimitStore();
        const store = new RedisRateLimitStore(redis, cfg.commandTimeoutMs, `${cfg.keyPrefix}rl:`);
        metrics.watchBreaker('rate_limit', store.policy);
        return store;
      },
    },
  ],
  exports: [RateLimitStore],
})
export class RateLimitModule {}
