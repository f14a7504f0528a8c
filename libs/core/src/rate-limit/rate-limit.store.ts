import { Logger } from '@nestjs/common';
import { DependencyPolicy } from '../resilience/dependency-policy';
import type { RedisClient } from '../redis/redis.module';

export interface RateLimitHit {
  /** Hits in the current window, this one included. */
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/** Fixed-window counters: in-process (embedded) or in Redis, shared by all replicas (full). */
export abstract class RateLimitStore {
  /** Counts a hit; null when the store cannot answer (callers fail open). */
  abstract hit(key: string, windowMs: number): Promise<RateLimitHit | null>;
}

const MAX_MEMORY_KEYS = 100_000;

export class MemoryRateLimitStore extends RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  hit(key: string, windowMs: number): Promise<RateLimitHit> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (this.windows.size >= MAX_MEMORY_KEYS) this.evictExpired(now);
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return Promise.resolve({ count: window.count, resetMs: window.resetAt - now });
  }

  private evictExpired(now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
    // Still full of live windows: drop the oldest rather than grow without bound.
    for (const key of this.windows.keys()) {
      if (this.windows.size < MAX_MEMORY_KEYS) break;
      this.windows.delete(key);
    }
  }
}

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export class RedisRateLimitStore extends RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  /** Its timeout and circuit breaker (the breaker is reported as `rate_limit`). */
  readonly policy: DependencyPolicy;

  constructor(
    private readonly redis: NonNullable<RedisClient>,
    timeoutMs: number,
    private readonly prefix: string,
  ) {
    super();
    this.policy = new DependencyPolicy({ timeoutMs });
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit | null> {
    try {
      const [count, ttl] = (await this.policy.execute(() =>
        this.redis.eval(HIT_SCRIPT, 1, this.prefix + key, windowMs),
      )) as [number, number];
      return { count, resetMs: ttl };
    } catch (error) {
      this.logger.debug({ err: error }, 'rate-limit store unavailable; allowing the request');
      return null;
    }
  }
}
