import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Redis } from 'ioredis';
import { redisConfig } from '../config/config.namespaces';

/** The shared ioredis client, or null in the embedded profile (no REDIS_URL). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export type RedisClient = Redis | null;

const logger = new Logger('Redis');

export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  const client = new Redis(url, {
    // Fail fast while disconnected instead of queueing commands behind a dead socket.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    // TCP keepalive from 10 s of silence, so a connection to a vanished host is found dead.
    keepAlive: 10_000,
    // Reconnect forever with capped, jittered exponential backoff.
    retryStrategy: (attempt) =>
      Math.min(100 * 2 ** Math.min(attempt, 5), 3_000) * (0.5 + Math.random() / 2),
  });
  let lastReport = 0;
  client.on('error', (error: Error) => {
    // ioredis emits an error per reconnect attempt; one line per 10 s is enough.
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      logger.warn({ err: error }, 'redis unavailable');
    }
  });
  client.on('ready', () => logger.log('redis connected'));
  return client;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [redisConfig.KEY],
      useFactory: (cfg: ConfigType<typeof redisConfig>): RedisClient =>
        cfg.url ? createRedisClient(cfg.url, cfg.commandTimeoutMs) : null,
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis) return;
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    // QUIT lets pending replies arrive; a frozen server must not hold up the shutdown.
    await Promise.race([
      this.redis.quit().catch(() => undefined),
      new Promise((r) => setTimeout(r, 500).unref()),
    ]);
    this.redis.disconnect();
  }
}
