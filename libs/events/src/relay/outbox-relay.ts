import { DependencyPolicy, jobsConfig } from '@keel/core';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource, In } from 'typeorm';
import { toIntegrationEvent } from '../domain-event';
import { OutboxEvent } from '../entities/outbox-event.entity';
import { EventTransport } from '../transport/event-transport';

const BATCH = 100;
/** The slow path: rows written by other processes, and retries. A local commit wakes the relay at once. */
const POLL_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Publishes outbox rows in `seq` order and marks them published. One relay at a time holds
 * the work (a transaction-scoped advisory lock, and `FOR UPDATE SKIP LOCKED` on the rows),
 * so several replicas can run one each. A failed publish stops the batch, so events of one
 * aggregate never overtake each other, and the relay retries with exponential backoff and
 * jitter behind a circuit breaker while writes go on being accepted.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly policy = new DependencyPolicy({ timeoutMs: 5_000, halfOpenAfterMs: 2_000 });
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private failures = 0;
  private retryAt = 0;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transport: EventTransport,
    @Inject(jobsConfig.KEY) private readonly jobs: ConfigType<typeof jobsConfig>,
  ) {}

  onApplicationBootstrap(): void {
    // With RUN_WORKERS=false the worker app publishes what this process records.
    if (!this.jobs.runWorkers) {
      this.stopped = true;
      return;
    }
    this.timer = setInterval(() => this.wake(), POLL_MS).unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Publishes what is pending now, unless a run is going (then it runs again after). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (Date.now() < this.retryAt) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** For tests and shutdown: resolves when the current run is over. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      let outcome: { more: boolean; failed: boolean };
      try {
        outcome = await this.publishBatch();
      } catch (error) {
        // The database itself failed; the next poll tries again.
        this.logger.warn({ err: error }, 'outbox relay could not read the outbox');
        return;
      }
      if (outcome.failed) {
        this.failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 7));
        this.retryAt = Date.now() + backoff * (0.5 + Math.random() / 2);
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.logger.warn({ failures: this.failures }, 'event broker unavailable; retrying');
        }
        return;
      }
      if (this.failures > 0) this.logger.log('event broker available again; backlog draining');
      this.failures = 0;
      this.retryAt = 0;
      if (!outcome.more || this.stopped) return;
    }
  }

  private publishBatch(): Promise<{ more: boolean; failed: boolean }> {
    return this.dataSource.transaction(async (tx) => {
      const [{ locked }] = await tx.query<Array<{ locked: boolean }>>(
        `SELECT pg_try_advisory_xact_lock(hashtext('keel.outbox.relay')) AS locked`,
      );
      if (!locked) return { more: false, failed: false };
      const rows = await tx
        .createQueryBuilder(OutboxEvent, 'o')
        .where('o.published_at IS NULL')
        .orderBy('o.seq', 'ASC')
        .limit(BATCH)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const published: string[] = [];
      const publishedAt = new Date();
      let failed = false;
      for (const row of rows) {
        // Consumers see the time the row is stamped with.
        const event = { ...toIntegrationEvent(row), publishedAt: publishedAt.toISOString() };
        try {
          await this.policy.execute(() => this.transport.publish(event));
          published.push(row.seq);
        } catch {
          failed = true;
          break;
        }
      }
      if (published.length > 0) {
        await tx.update(OutboxEvent, { seq: In(published) }, { publishedAt });
      }
      return { more: rows.length === BATCH && !failed, failed };
    });
  }
}
