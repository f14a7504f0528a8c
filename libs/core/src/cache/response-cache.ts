import { CACHE_MANAGER } from '@nestjs/cache-manager';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Cache } from 'cache-manager';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { randomUUID } from 'node:crypto';
import { cacheConfig, databaseConfig, redisConfig } from '../config/config.namespaces';
import { Metrics } from '../metrics/metrics';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.module';
import type { DependencyPolicy } from '../resilience/dependency-policy';

/** The circuit breaker and timeout shared by every Redis call of the cache. */
export const CACHE_POLICY = Symbol('CACHE_POLICY');

export interface CacheResult<T> {
  value: T;
  hit: boolean;
}

/** A shared entry remembers the generations it was read under (see `generationOf`). */
interface SharedEntry {
  g: string;
  v: unknown;
}

interface LocalEntry {
  tag: string;
  value: unknown;
}

interface InvalidationMessage {
  from: string;
  tags: string[];
}

/** The generation of a tag that was never invalidated (or whose marker expired). */
const INITIAL = '0';
/** Invalidates every shared entry at once (used after writes Redis may have missed). */
const ALL = '*';

/**
 * Two-level read-through cache for query results.
 *
 * - Level 1: an LRU in this process. Level 2: Redis through cache-manager (with `REDIS_URL`,
 *   unless `CACHE_SHARED=false`).
 * - Every entry has one tag (`items:<id>`, `items:list`). Invalidating a tag drops the local
 *   entries with that tag, tells the other processes to do the same (Redis pub/sub), and
 *   gives the tag a new random generation in Redis. A shared entry is only served if it was
 *   stored under the current generations of its tag and of `*`, so a read that raced a write
 *   can store its result but nobody will ever read it.
 * - Concurrent misses of one key in this process share one load (single flight).
 * - Redis calls run through `CACHE_POLICY` (timeout and circuit breaker): when Redis is slow
 *   or down, a read becomes a miss and is served from the database.
 */
@Injectable()
export class ResponseCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ResponseCache.name);
  private readonly local: LRUCache<string, LocalEntry> | null;
  private readonly shared: Cache | null;
  /** Loads in progress, by key. An invalidation drops them, so later reads load afresh. */
  private readonly inflight = new Map<
    string,
    { tag: string; result: Promise<CacheResult<unknown>> }
  >();
  /** Bumped on every local invalidation: a load that overlapped one does not fill level 1. */
  private localEpoch = 0;
  /**
   * Set when an invalidation could not reach Redis: the shared level may hold entries this
   * process should have invalidated. Until `*` gets a new generation, this process neither
   * reads nor fills the shared level.
   */
  private sharedMayBeStale = false;
  private repairing?: Promise<void>;
  private repairTimer?: NodeJS.Timeout;
  private readonly repairEveryMs: number;
  private readonly instanceId = randomUUID();
  private readonly channel: string;
  private readonly sharedTtlMs: number;
  private readonly generationTtlMs: number;
  private subscriber?: Redis;
  /** The series of `keel_cache_requests_total` this cache counts in. */
  private readonly counts: Record<
    'localHit' | 'localMiss' | 'redisHit' | 'redisMiss',
    { inc(): void }
  >;
  /** Entries read from the database, waiting to be stored in Redis (`storeShared`). */
  private readonly pendingFills = new Map<string, SharedEntry>();

  constructor(
    @Inject(CACHE_MANAGER) cacheManager: Cache,
    @Inject(CACHE_POLICY) private readonly policy: DependencyPolicy,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(cacheConfig.KEY) cfg: ConfigType<typeof cacheConfig>,
    @Inject(redisConfig.KEY) redisCfg: ConfigType<typeof redisConfig>,
    @Inject(databaseConfig.KEY) databaseCfg: ConfigType<typeof databaseConfig>,
    metrics: Metrics,
  ) {
    const counter = metrics.cacheRequests;
    this.counts = {
      localHit: counter.labels('local', 'hit'),
      localMiss: counter.labels('local', 'miss'),
      redisHit: counter.labels('redis', 'hit'),
      redisMiss: counter.labels('redis', 'miss'),
    };
    this.shared = redis && cfg.shared ? cacheManager : null;
    this.sharedTtlMs = cfg.ttlSeconds * 1000;
    // A generation must outlive every entry stored under the one before it.
    this.generationTtlMs = 2 * this.sharedTtlMs + 60_000;
    this.channel = `${redisCfg.keyPrefix}cache:invalidate`;
    // With one process on the data (embedded), level 1 sees every write and can keep
    // entries as long as Redis would. Otherwise other processes write too, and level 1
    // keeps entries briefly: that is the staleness bound if an invalidation message is lost.
    const onlyWriter = !redis && !databaseCfg.url;
    const localTtl = onlyWriter ? this.sharedTtlMs : cfg.localTtlMs;
    this.local =
      cfg.localMaxEntries > 0 && localTtl > 0
        ? new LRUCache({ max: cfg.localMaxEntries, ttl: localTtl })
        : null;
    // Redis was unreachable: invalidation messages may have been missed.
    policy.onRecovered(() => this.forgetLocally());
    this.repairEveryMs = cfg.breakerHalfOpenMs;
  }

  onModuleInit(): void {
    if (!this.redis) return;
    this.repairTimer = setInterval(() => {
      if (this.sharedMayBeStale) this.repair();
    }, this.repairEveryMs).unref();
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true });
    this.subscriber = subscriber;
    let connectedBefore = false;
    subscriber.on('error', () => undefined); // reported by the main client's listener
    subscriber.on('ready', () => {
      // Messages sent while this subscriber was away are lost: start level 1 afresh.
      if (connectedBefore) this.forgetLocally();
      connectedBefore = true;
    });
    subscriber.on('message', (_channel: string, raw: string) => this.receive(raw));
    subscriber.subscribe(this.channel).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'cache invalidation channel unavailable');
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.repairTimer);
    this.subscriber?.disconnect();
  }

  /** True while the Redis level is being skipped because it failed. */
  get degraded(): boolean {
    return this.shared !== null && this.policy.isOpen;
  }

  get mode(): 'redis' | 'in-process' {
    return this.shared ? 'redis' : 'in-process';
  }

  /** Returns the cached value of `key`, or loads, stores and returns it. */
  async getOrLoad<T>(key: string, tag: string, load: () => Promise<T>): Promise<CacheResult<T>> {
    if (this.local) {
      const local = this.local.get(key);
      if (local) {
        this.counts.localHit.inc();
        return { value: local.value as T, hit: true };
      }
      this.counts.localMiss.inc();
    }
    const running = this.inflight.get(key);
    if (running) return running.result as Promise<CacheResult<T>>;
    const flight = { tag, result: this.readThrough(key, tag, load) };
    this.inflight.set(key, flight);
    return flight.result.finally(() => {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
    });
  }

  /**
   * Makes every entry tagged with one of `tags` unreadable, here, in Redis and in the other
   * processes. Resolves once Redis has the new generations (or failed to take them).
   */
  async invalidate(tags: string[]): Promise<void> {
    this.forgetLocally(tags);
    if (!this.redis) return;
    const redis = this.redis;
    if (
      this.shared &&
      !(await this.newGenerations(this.sharedMayBeStale ? [...tags, ALL] : tags))
    ) {
      this.sharedMayBeStale = true;
      this.logger.warn(
        { tags },
        'cache invalidation did not reach Redis; repaired when it returns',
      );
    }
    const message: InvalidationMessage = { from: this.instanceId, tags };
    await this.policy
      .execute(() => redis.publish(this.channel, JSON.stringify(message)))
      .catch(() => undefined);
  }

  /** Gives each tag a new random generation in Redis; true when Redis took them. */
  private async newGenerations(tags: string[]): Promise<boolean> {
    if (!this.shared) return true;
    try {
      await this.shared.mset(
        tags.map((tag) => ({
          key: generationKey(tag),
          value: randomUUID(),
          ttl: this.generationTtlMs,
        })),
      );
      if (tags.includes(ALL)) this.sharedMayBeStale = false;
      return true;
    } catch {
      return false;
    }
  }

  /** After a lost invalidation: retires every shared entry once Redis answers again. */
  private repair(): void {
    this.repairing ??= this.newGenerations([ALL])
      .then(() => undefined)
      .finally(() => (this.repairing = undefined));
  }

  /** Whether reads may use the shared level now; starts a repair when they may not. */
  private sharedReadable(): boolean {
    if (!this.shared) return false;
    if (this.sharedMayBeStale) this.repair();
    return !this.sharedMayBeStale;
  }

  private async readThrough<T>(
    key: string,
    tag: string,
    load: () => Promise<T>,
  ): Promise<CacheResult<T>> {
    const epoch = this.localEpoch;
    let generation: string | undefined;
    if (this.shared && this.sharedReadable()) {
      // One round trip: the entry and the generations it must match. A failed or timed-out
      // read comes back as misses.
      const [entry, tagGeneration, allGeneration] = await this.shared.mget<unknown>([
        entryKey(key),
        generationKey(tag),
        generationKey(ALL),
      ]);
      generation = `${asGeneration(tagGeneration)}/${asGeneration(allGeneration)}`;
      if (isSharedEntry(entry) && entry.g === generation) {
        this.counts.redisHit.inc();
        this.remember(key, tag, entry.v, epoch);
        return { value: entry.v as T, hit: true };
      }
      this.counts.redisMiss.inc();
    }
    const value = await load();
    if (this.shared && generation !== undefined) {
      const entry: SharedEntry = { g: generation, v: value };
      this.storeShared(entryKey(key), entry);
    }
    this.remember(key, tag, value, epoch);
    return { value, hit: false };
  }

  /**
   * Queues an entry for Redis. The entries of one turn of the event loop go in one write
   * after it (bench/compare.mjs: 10% more misses per second than a write each); nothing waits
   * for the write, and a lost one is a later miss.
   */
  private storeShared(key: string, entry: SharedEntry): void {
    if (this.pendingFills.size === 0) setImmediate(() => this.flushShared());
    this.pendingFills.set(key, entry);
  }

  private flushShared(): void {
    const entries = [...this.pendingFills].map(([key, value]) => ({
      key,
      value,
      ttl: this.sharedTtlMs,
    }));
    this.pendingFills.clear();
    this.shared?.mset(entries).catch(() => undefined);
  }

  private remember(key: string, tag: string, value: unknown, epoch: number): void {
    if (epoch === this.localEpoch) this.local?.set(key, { tag, value });
  }

  /** Drops local entries and loads in progress with one of `tags`, or all of them. */
  private forgetLocally(tags?: string[]): void {
    this.localEpoch++;
    for (const [key, flight] of this.inflight) {
      if (!tags || tags.includes(flight.tag)) this.inflight.delete(key);
    }
    if (!this.local) return;
    if (!tags) return this.local.clear();
    for (const [key, entry] of this.local.entries()) {
      if (tags.includes(entry.tag)) this.local.delete(key);
    }
  }

  private receive(raw: string): void {
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!isInvalidationMessage(message) || message.from === this.instanceId) return;
    this.forgetLocally(message.tags);
  }
}

function entryKey(key: string): string {
  return `entry:${key}`;
}

function generationKey(tag: string): string {
  return `gen:${tag}`;
}

function asGeneration(value: unknown): string {
  return typeof value === 'string' ? value : INITIAL;
}

function isSharedEntry(value: unknown): value is SharedEntry {
  return typeof value === 'object' && value !== null && 'g' in value && 'v' in value;
}

function isInvalidationMessage(value: unknown): value is InvalidationMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { from, tags } = value as Partial<InvalidationMessage>;
  return (
    typeof from === 'string' && Array.isArray(tags) && tags.every((t) => typeof t === 'string')
  );
}
