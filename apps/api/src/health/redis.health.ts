import { REDIS_CLIENT, type RedisClient } from '@keel/core';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';

/**
 * Redis holds only caches and rate-limit counters, so its loss degrades the service
 * (reported) without making it unready.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    if (!this.redis) return indicator.up({ mode: 'in-process' });
    const started = performance.now();
    try {
      // The client's own command timeout (REDIS_COMMAND_TIMEOUT_MS) bounds the ping.
      await this.redis.ping();
      return indicator.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (error) {
      return indicator.up({ degraded: true, message: (error as Error).message });
    }
  }
}
