/** A delivery to run, after `delayMs`. `attempts` tells runs of the same delivery apart. */
export interface QueuedDelivery {
  id: string;
  attempts: number;
  delayMs: number;
}

/**
 * Where deliveries wait to be run: BullMQ on Redis (full profile, queue `webhooks`) or this
 * process (embedded). The `webhook_deliveries` row is the truth; a queue only says "look at
 * this one", so a lost or duplicated entry costs a reconciler round or a no-op claim.
 */
export abstract class DeliveryQueue {
  abstract enqueue(deliveries: readonly QueuedDelivery[]): Promise<void>;

  /** Starts running deliveries in this process (only where `RUN_WORKERS` is on). */
  abstract start(): Promise<void>;

  /** Stops taking deliveries and waits (bounded) for the running ones. */
  abstract stop(): Promise<void>;
}
