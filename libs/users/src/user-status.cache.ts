import { authConfig, databaseConfig, type Role } from '@keel/core';
import { EventDispatcher, EventTransport } from '@keel/events';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { performance } from 'node:perf_hooks';
import { Repository } from 'typeorm';
import { User } from './entities/user.entity';

/** What the per-request access check needs of an account. */
export interface UserStatus {
  id: string;
  email: string;
  roles: Role[];
  disabled: boolean;
}

const MAX_ENTRIES = 10_000;

/**
 * Account status by user id, kept in this process so that an authenticated request does not
 * read the users table.
 *
 * The guarantee: once a command that changes access (roles, disabled, delete) has answered,
 * no process accepts the old status. It rests on time, not on delivery: an entry lives at
 * most the TTL counted from the start of the read that filled it, and where other processes
 * share the database the command answers only a TTL after its commit (`settled`), when
 * every entry read before the change has expired, whatever happened to the event.
 *
 * The events make the change effective much sooner: every change to a user records an
 * outbox event (`user.*`) in its transaction; the writing process drops its own entry right
 * after the commit, and every process drops it when the event reaches it through the fan-out
 * (RabbitMQ: one exclusive queue per process), milliseconds later. While this process is not
 * subscribed to the broker the cache is bypassed, and entries from before a resubscription
 * are discarded (the exclusive queue missed what was published meanwhile). A read that
 * overlapped an invalidation is not kept.
 */
@Injectable()
export class UserStatusCache implements OnModuleInit {
  private readonly ttlMs: number;
  /** Whether other processes may cache the same users (a shared database). */
  private readonly shared: boolean;
  private readonly entries: LRUCache<string, { status: UserStatus; subscription: number }>;
  /** Reads under way, shared by the requests that miss meanwhile. */
  private readonly loading = new Map<
    string,
    { started: number; status: Promise<UserStatus | null> }
  >();
  /** Counts invalidations: a read that saw it change while it ran may have read the old row. */
  private invalidations = 0;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly dispatcher: EventDispatcher,
    private readonly transport: EventTransport,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    @Inject(databaseConfig.KEY) database: ConfigType<typeof databaseConfig>,
  ) {
    this.ttlMs = auth.userStatusTtlMs;
    // Embedded: this process owns its database, every write is its own.
    this.shared = database.url !== undefined;
    this.entries = new LRUCache({ max: MAX_ENTRIES, ttlAutopurge: false });
  }

  onModuleInit(): void {
    this.dispatcher.subscribe((event) => {
      if (event.aggregateType === 'user') this.forget(event.aggregateId);
    });
  }

  /** The user's status, or null if there is no such user. */
  async get(id: string): Promise<UserStatus | null> {
    if (this.ttlMs === 0 || !this.transport.connected) return this.read(id);
    const hit = this.entries.get(id);
    if (hit && hit.subscription === this.transport.subscription) return hit.status;
    const pending = this.loading.get(id);
    // A read as old as the TTL may predate a change whose command has answered since.
    if (pending && performance.now() - pending.started < this.ttlMs) return pending.status;
    const load = { started: performance.now(), status: this.load(id) };
    this.loading.set(id, load);
    const done = () => {
      if (this.loading.get(id) === load) this.loading.delete(id);
    };
    // A failed read is the caller's to handle; this one only clears the slot.
    void load.status.then(done, done);
    return load.status;
  }

  /** Drops the entry here (the writer, right after its commit; everyone, on the event). */
  forget(id: string): void {
    this.invalidations++;
    this.entries.delete(id);
    this.loading.delete(id);
  }

  /**
   * Call after committing an access change, before answering: resolves when no process can
   * still hold a status read before it (at once where this process is the only one).
   */
  async settled(): Promise<void> {
    if (this.ttlMs === 0 || !this.shared) return;
    // A few ms over: timers and the LRU's clock round differently.
    await new Promise((resolve) => setTimeout(resolve, this.ttlMs + 5));
  }

  private async load(id: string): Promise<UserStatus | null> {
    const started = performance.now();
    const invalidations = this.invalidations;
    const subscription = this.transport.subscription;
    const status = await this.read(id);
    // Counted from the start of the read: an entry never outlives the TTL after the row it holds.
    const ttl = Math.floor(this.ttlMs - (performance.now() - started));
    if (
      status &&
      ttl > 0 &&
      invalidations === this.invalidations &&
      subscription === this.transport.subscription &&
      this.transport.connected
    ) {
      this.entries.set(id, { status, subscription }, { ttl });
    }
    return status;
  }

  private async read(id: string): Promise<UserStatus | null> {
    const user = await this.users.findOne({
      where: { id },
      select: { id: true, email: true, roles: true, disabled: true },
    });
    return user && { id: user.id, email: user.email, roles: user.roles, disabled: user.disabled };
  }
}
