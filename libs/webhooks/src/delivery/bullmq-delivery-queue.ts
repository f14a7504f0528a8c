import { BullQueue, type DependencyPolicy } from '@keel/core';
import { Logger } from '@nestjs/common';
import { DeliveryQueue, type QueuedDelivery } from './delivery-queue';
import type { DeliveryRunner } from './delivery-runner';

interface DeliveryJob {
  deliveryId: string;
}

const QUEUE = 'webhooks';

/**
 * The full profile's queue: BullMQ queue `webhooks` on Redis, shared by every process that
 * sends, each running `concurrency` at once. A BullMQ job is only a wake-up for a delivery
 * row (job id: delivery id and attempt count, so a wake-up already queued is not added
 * twice); the runner's claim decides whether anything is sent. BullMQ's own retries are
 * off: the row's schedule decides them.
 */
export class BullMqDeliveryQueue extends DeliveryQueue {
  private readonly logger = new Logger(BullMqDeliveryQueue.name);
  private readonly bull: BullQueue<DeliveryJob>;

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
    this.bull = new BullQueue<DeliveryJob>(QUEUE, {
      redisUrl: options.redisUrl,
      prefix: options.prefix,
      defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
    });
  }

  /** Around calls to Redis; its breaker is reported as `webhook_queue`. */
  get policy(): DependencyPolicy {
    return this.bull.policy;
  }

  async enqueue(deliveries: readonly QueuedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      await this.policy.execute(() =>
        this.bull.queue.addBulk(
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
    this.bull.startWorker((job) => this.process(job.data.deliveryId), {
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockMs,
      // A stalled job is only a wake-up: the row's lease brings the delivery back.
      maxStalledCount: 0,
    });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.bull.stop();
  }

  private async process(id: string): Promise<void> {
    try {
      await this.enqueue(await this.runner.run(id, this.bull.signal));
    } catch (error) {
      this.logger.warn({ err: error, deliveryId: id }, 'webhook delivery run failed');
    }
  }
}
