import { Global, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { redisConfig } from '../config/config.namespaces';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.module';
import { MemoryRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit.store';

@Global()
@Module({
  providers: [
    {
      provide: RateLimitStore,
      inject: [REDIS_CLIENT, redisConfig.KEY],
      useFactory: (redis: RedisClient, cfg: ConfigType<typeof redisConfig>): RateLimitStore =>
        redis
          ? new RedisRateLimitStore(redis, cfg.commandTimeoutMs, `${cfg.keyPrefix}rl:`)
          : new MemoryRateLimitStore(),
    },
  ],
  exports: [RateLimitStore],
})
export class RateLimitModule {}
