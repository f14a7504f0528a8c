import { DependencyPolicy, settleWithin, startWhenReachable } from '@keel/core';
import { Logger } from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DeliveryQueue, type QueuedDelivery } from './delivery-queue';
import type { DeliveryRunner } from './delivery-runner';

interface DeliveryJob {
  deliveryId: string;
}

const QUEUE = 'webhooks';
const STOP_TIMEOUT_MS = 10_000;

/**
 * The full profile's queue: BullMQ queue `webhooks` on Redis, shared by every process that
 * sends, each running `concurrency` at once. A BullMQ job is only a wake-up for a delivery
 * row (job id: delivery id and attempt count, so a wake-up already queued is not added
 * twice); the runner's claim decides whether anything is sent. BullMQ's own retries are
 * off: the row's schedule decides them.
 */
export class BullMqDeliveryQueue extends DeliveryQueue {
  private readonly logger = new Logger(BullMqDeliveryQueue.name);
  private readonly producer: Redis;
  private readonly queue: Queue<DeliveryJob>;
  readonly policy = new DependencyPolicy({ timeoutMs: 2_000, halfOpenAfterMs: 5_000 });
  private worker?: Worker<DeliveryJob>;
  private workerConnection?: Redis;
  private readonly abort = new AbortController();

  constructor(
    private readonly runner: DeliveryRunner,
    private readonly options: {
      redisUrl: string;
      prefix: string;
      concurrency: number;
      lockMs: number;
    },
  ) {
    super();
    this.producer = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 3_000),
    });
    this.producer.on('error', () => undefined);
    this.queue = new Queue<DeliveryJob>(QUEUE, {
      connection: this.producer,
      prefix: `${options.prefix}bull`,
      defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
    });
    this.queue.on('error', () => undefined);
  }

  async enqueue(deliveries: readonly QueuedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      await this.policy.execute(() =>
        this.queue.addBulk(
          deliveries.map(({ id, attempts, delayMs }) => ({
            name: 'deliver',
            data: { deliveryId: id },
            opts: { jobId: `${id}_${attempts}`, delay: Math.max(0, delayMs) },
          })),
        ),
      );
    } catch (error) {
      this.logger.warn(
        { err: error, deliveries: deliveries.length },
        'webhook deliveries not queued now (Redis unavailable); the reconciler will',
      );
    }
  }

  start(): Promise<void> {
    startWhenReachable(
      () => this.policy.execute(() => this.producer.ping()),
      this.abort.signal,
      () => this.createWorker(),
    );
    return Promise.resolve();
  }

  private createWorker(): void {
    this.workerConnection = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    this.workerConnection.on('error', () => undefined);
    this.worker = new Worker<DeliveryJob>(QUEUE, (job) => this.process(job.data.deliveryId), {
      connection: this.workerConnection,
      prefix: `${this.options.prefix}bull`,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockMs,
      // A stalled job is only a wake-up: the row's lease brings the delivery back.
      maxStalledCount: 0,
    });
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'webhook worker error'));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await settleWithin(this.worker?.close(), STOP_TIMEOUT_MS);
    await settleWithin(this.queue.close(), 2_000);
    await settleWithin(this.worker?.disconnect(), 1_000);
    await settleWithin(this.queue.disconnect(), 1_000);
    this.workerConnection?.disconnect();
    this.producer.disconnect();
  }

  private async process(id: string): Promise<void> {
    try {
      await this.enqueue(await this.runner.run(id, this.abort.signal));
    } catch (error) {
      this.logger.warn({ err: error, deliveryId: id }, 'webhook delivery run failed');
    }
  }
}
