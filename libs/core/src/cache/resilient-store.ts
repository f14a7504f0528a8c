import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { DependencyPolicy } from '../resilience/dependency-policy';

/**
 * A Keyv store that runs every call to the store it wraps (Redis) through a timeout and a
 * circuit breaker. Reads get one attempt: a slow read costs less as a miss than as a retry.
 * Writes set a key to a value, so they are safe to retry, and are retried with backoff.
 * Errors still reach the caller: cache-manager turns failed reads into misses and
 * rejects failed writes, so an invalidation that did not reach Redis is known.
 */
export class ResilientStore implements KeyvStoreAdapter {
  /**
   * `ready`: what calls wait for first (inside the timeout), the store's first connection;
   * `failed`: told of each call that failed (timed out, refused, breaker open).
   */
  constructor(
    private readonly inner: KeyvStoreAdapter,
    private readonly policy: DependencyPolicy,
    private readonly ready: () => Promise<void> = () => Promise.resolve(),
    private readonly failed: () => void = () => undefined,
  ) {}

  // Keyv reads and sets these on its store.
  get opts(): unknown {
    return this.inner.opts as unknown;
  }

  get namespace(): string | undefined {
    return this.inner.namespace;
  }

  set namespace(namespace: string | undefined) {
    this.inner.namespace = namespace;
  }

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.inner.on(event, listener);
    return this;
  }

  get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.counted(
      this.policy.execute(async () => {
        await this.ready();
        return this.inner.get<Value>(key);
      }),
    );
  }

  getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const inner = this.inner;
    return this.counted(
      this.policy.execute(async () => {
        await this.ready();
        return inner.getMany
          ? inner.getMany<Value>(keys)
          : Promise.all(keys.map((key) => inner.get<Value>(key)));
      }),
    );
  }

  set(key: string, value: unknown, ttl?: number): Promise<unknown> {
    return this.counted(
      this.policy.executeWithRetry(async () => {
        await this.ready();
        return (await this.inner.set(key, value, ttl)) as unknown;
      }),
    );
  }

  delete(key: string): Promise<boolean> {
    return this.counted(
      this.policy.executeWithRetry(async () => {
        await this.ready();
        return this.inner.delete(key);
      }),
    );
  }

  clear(): Promise<void> {
    return this.counted(
      this.policy.executeWithRetry(async () => {
        await this.ready();
        return this.inner.clear();
      }),
    );
  }

  private counted<T>(call: Promise<T>): Promise<T> {
    return call.catch((error: unknown) => {
      this.failed();
      throw error;
    });
  }

  async disconnect(): Promise<void> {
    await this.inner.disconnect?.();
  }
}
