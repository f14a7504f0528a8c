import type { OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { performance } from 'node:perf_hooks';
import type { EventDispatcher } from './event-dispatcher';
import type { EventTransport } from './transport/event-transport';

export interface AggregateCacheOptions {
  /** The outbox `aggregateType` whose events drop an entry (the event's `aggregateId`). */
  aggregateType: string;
  /** An entry's lifetime, counted from the start of the read that filled it; 0: no cache. */
  ttlMs: number;
  /** Whether other processes may cache the same rows (a shared database). */
  shared: boolean;
  maxEntries?: number;
}

/**
 * What the per-request access check needs of a row (an account, a session), kept in this
 * process by id so that an authenticated request does not read the database.
 *
 * The guarantee: once a command that changes such a row has answered, no process accepts the
 * old value. It rests on time, not on delivery: an entry lives at most the TTL counted from
 * the start of the read that filled it, and where other processes share the database the
 * command answers only a TTL after its commit (`settled`), when every entry read before the
 * change has expired, whatever happened to the event.
 *
 * The events make the change effective much sooner: every such change records an outbox
 * event about the aggregate in its transaction; the writing process drops its own entry right
 * after the commit (`forget`), and every process drops it when the event reaches it through
 * the fan-out (RabbitMQ: one exclusive queue per process), milliseconds later. While this
 * process is not subscribed to the broker the cache is bypassed, and entries from before a
 * resubscription are discarded (the exclusive queue missed what was published meanwhile). A
 * read that overlapped an invalidation is not kept.
 */
export abstract class AggregateCache<V> implements OnModuleInit {
  private readonly entries: LRUCache<string, { value: V; subscription: number }>;
  /** Reads under way, shared by the requests that miss meanwhile. */
  private readonly loading = new Map<string, { started: number; value: Promise<V | null> }>();
  /** Counts invalidations: a read that saw it change while it ran may have read the old row. */
  private invalidations = 0;

  protected constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly transport: EventTransport,
    private readonly options: AggregateCacheOptions,
  ) {
    this.entries = new LRUCache({ max: options.maxEntries ?? 10_000, ttlAutopurge: false });
  }

  /** The row as the check needs it, or null if there is none. Never cached when null. */
  protected abstract read(id: string): Promise<V | null>;

  onModuleInit(): void {
    this.dispatcher.subscribe((event) => {
      if (event.aggregateType === this.options.aggregateType) this.forget(event.aggregateId);
    });
  }

  async get(id: string): Promise<V | null> {
    if (this.options.ttlMs === 0 || !this.transport.connected) return this.read(id);
    const hit = this.entries.get(id);
    if (hit && hit.subscription === this.transport.subscription) return hit.value;
    const pending = this.loading.get(id);
    // A read as old as the TTL may predate a change whose command has answered since.
    if (pending && performance.now() - pending.started < this.options.ttlMs) return pending.value;
    const load = { started: performance.now(), value: this.load(id) };
    this.loading.set(id, load);
    const done = () => {
      if (this.loading.get(id) === load) this.loading.delete(id);
    };
    // A failed read is the caller's to handle; this one only clears the slot.
    void load.value.then(done, done);
    return load.value;
  }

  /** Drops the entry here (the writer, right after its commit; everyone, on the event). */
  forget(id: string): void {
    this.invalidations++;
    this.entries.delete(id);
    this.loading.delete(id);
  }

  /**
   * Call after committing a change, before answering: resolves when no process can still
   * hold a value read before it (at once where this process is the only one).
   */
  async settled(): Promise<void> {
    if (this.options.ttlMs === 0 || !this.options.shared) return;
    // A few ms over: timers and the LRU's clock round differently.
    await new Promise((resolve) => setTimeout(resolve, this.options.ttlMs + 5));
  }

  private async load(id: string): Promise<V | null> {
    const started = performance.now();
    const invalidations = this.invalidations;
    const subscription = this.transport.subscription;
    const value = await this.read(id);
    // Counted from the start of the read: an entry never outlives the TTL after the row it holds.
    const ttl = Math.floor(this.options.ttlMs - (performance.now() - started));
    if (
      value !== null &&
      ttl > 0 &&
      invalidations === this.invalidations &&
      subscription === this.transport.subscription &&
      this.transport.connected
    ) {
      this.entries.set(id, { value, subscription }, { ttl });
    }
    return value;
  }
}
