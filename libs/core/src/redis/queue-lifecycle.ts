import { Logger } from '@nestjs/common';
import {
  Queue,
  Worker,
  type DefaultJobOptions,
  type Processor,
  type QueueOptions,
  type WorkerOptions,
} from 'bullmq';
import { Redis } from 'ioredis';
import { DependencyPolicy } from '../resilience/dependency-policy';

/**
 * What a BullMQ queue needs around its connections and its worker's life, shared by the
 * jobs and webhook queues.
 */

/** Waits for `work` at most `ms`; a failure counts as settled. */
function settleWithin(work: Promise<unknown> | undefined, ms: number): Promise<unknown> {
  return Promise.race([
    work?.catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, ms).unref()),
  ]);
}

/**
 * Calls `start` once `ping` succeeds, trying again with backoff (doubling to 5 s) until
 * `signal` aborts. A BullMQ worker is created only once Redis answers: one created against
 * an unreachable or frozen Redis cannot be closed cleanly (its connections go on
 * reconnecting, and its timers keep the process alive), and has nothing to do anyway.
 */
function startWhenReachable(
  ping: () => Promise<unknown>,
  signal: AbortSignal,
  start: () => void,
  retryMs = 500,
): void {
  ping().then(
    () => {
      if (!signal.aborted) start();
    },
    () => {
      if (signal.aborted) return;
      setTimeout(
        () => startWhenReachable(ping, signal, start, Math.min(retryMs * 2, 5_000)),
        retryMs,
      ).unref();
    },
  );
}

export interface BullQueueOptions {
  redisUrl: string;
  /** Key prefix (REDIS_KEY_PREFIX), so deployments and test runs sharing a Redis stay apart. */
  prefix: string;
  defaultJobOptions: DefaultJobOptions;
  telemetry?: QueueOptions['telemetry'];
}

/** Worker settings a queue chooses; connection and prefix come from the queue. */
export type BullWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'>;

/** Longest a stopping worker waits for its running work to hand back. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * One BullMQ queue with its producer connection and, once started, its worker.
 *
 * The producer has no offline queue, so while Redis is down `add` fails at once instead of
 * hanging a request; calls go through `policy` (timeout and breaker, reported by the
 * owner's metrics). The worker gets its own blocking connection, made only once Redis
 * answers. `signal` aborts when the queue stops, for processors to hand work back.
 */
export class BullQueue<Data> {
  readonly queue: Queue<Data>;
  readonly policy = new DependencyPolicy({ timeoutMs: 2_000, halfOpenAfterMs: 5_000 });
  private readonly producer: Redis;
  private worker?: Worker<Data>;
  private workerConnection?: Redis;
  private readonly abort = new AbortController();
  private readonly logger: Logger;

  constructor(
    private readonly name: string,
    private readonly options: BullQueueOptions,
  ) {
    this.logger = new Logger(`BullQueue:${name}`);
    this.producer = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 3_000),
    });
    this.producer.on('error', () => undefined); // reported by the shared client and health
    this.queue = new Queue<Data>(name, {
      connection: this.producer,
      prefix: `${options.prefix}bull`,
      defaultJobOptions: options.defaultJobOptions,
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    });
    this.queue.on('error', () => undefined);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** A command on the producer connection, through the policy. */
  call<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    return this.policy.execute(() => command(this.producer));
  }

  /** Starts the worker once Redis answers; `started` runs right after it exists. */
  startWorker(processor: Processor<Data>, options: BullWorkerOptions, started?: () => void): void {
    startWhenReachable(
      () => this.call((redis) => redis.ping()),
      this.abort.signal,
      () => {
        this.workerConnection = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
        this.workerConnection.on('error', () => undefined); // the worker's 'error' event reports it
        this.worker = new Worker<Data>(this.name, processor, {
          ...options,
          connection: this.workerConnection,
          prefix: `${this.options.prefix}bull`,
          ...(this.options.telemetry ? { telemetry: this.options.telemetry } : {}),
        });
        this.worker.on('error', (error) =>
          this.logger.warn({ err: error }, `${this.name} worker error`),
        );
        started?.();
      },
    );
  }

  async stop(): Promise<void> {
    this.abort.abort();
    // Running work stops at its next step and is handed back; close waits for that, but not
    // forever: with Redis frozen it would never return (the lock then expires and another
    // worker recovers the work as stalled).
    await settleWithin(this.worker?.close(), STOP_TIMEOUT_MS);
    await settleWithin(this.queue.close(), 2_000);
    // Whatever did not close cleanly (a frozen Redis) is cut off.
    await settleWithin(this.worker?.disconnect(), 1_000);
    await settleWithin(this.queue.disconnect(), 1_000);
    for (const redis of [this.workerConnection, this.producer]) {
      // Disconnecting a client whose socket has already closed would leave ioredis waiting
      // 2 s for a 'close' event that came before (a timer that holds the process open).
      if (redis && redis.status !== 'end') redis.disconnect();
    }
  }
}
