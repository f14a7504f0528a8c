import { Logger } from '@nestjs/common';
import { DeliveryQueue, type QueuedDelivery } from './delivery-queue';
import type { DeliveryRunner } from './delivery-runner';

/**
 * The embedded profile's queue: deliveries run in this process, at most `concurrency` at
 * once. Only ids are held here; a restart loses nothing, the reconciler finds them again.
 */
export class InProcessDeliveryQueue extends DeliveryQueue {
  private readonly logger = new Logger(InProcessDeliveryQueue.name);
  private readonly waiting = new Set<string>();
  private readonly active = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly abort = new AbortController();
  private started = false;

  constructor(
    private readonly runner: DeliveryRunner,
    private readonly concurrency: number,
  ) {
    super();
  }

  enqueue(deliveries: readonly QueuedDelivery[]): Promise<void> {
    if (!this.started) return Promise.resolve();
    for (const { id, delayMs } of deliveries) {
      if (delayMs <= 0) {
        this.waiting.add(id);
        continue;
      }
      clearTimeout(this.timers.get(id));
      this.timers.set(
        id,
        setTimeout(() => {
          this.timers.delete(id);
          this.waiting.add(id);
          this.pump();
        }, delayMs).unref(),
      );
    }
    this.pump();
    return Promise.resolve();
  }

  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.abort.abort();
    await Promise.all(this.active.values());
  }

  private pump(): void {
    for (const id of this.waiting) {
      if (!this.started || this.active.size >= this.concurrency) return;
      // Asked for again while it runs: it stays waiting, and goes once this run ends.
      if (this.active.has(id)) continue;
      this.waiting.delete(id);
      const run = this.runOne(id).finally(() => {
        this.active.delete(id);
        this.pump();
      });
      this.active.set(id, run);
    }
  }

  private async runOne(id: string): Promise<void> {
    try {
      const next = await this.runner.run(id, this.abort.signal);
      await this.enqueue(next);
    } catch (error) {
      // The row is unchanged or leased: the reconciler queues it again.
      this.logger.warn({ err: error, deliveryId: id }, 'webhook delivery run failed');
    }
  }
}
