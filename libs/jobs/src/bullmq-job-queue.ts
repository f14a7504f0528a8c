import { BullQueue, type DependencyPolicy, tracingEnabled } from '@keel/core';
import { Logger } from '@nestjs/common';
import { WaitingError, type Job as BullJob, type Queue } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { JobQueue } from './job-queue';
import type { JobRunner } from './job-runner';

export interface BullMqJobQueueOptions {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  attempts: number;
  lockMs: number;
}

interface JobData {
  jobId: string;
}

const QUEUE = 'jobs';
/** How often workers look for jobs the queue lost (Redis was down when they were added). */
const RECONCILE_MS = 30_000;

/**
 * With tracing on, BullMQ stores the context of whoever adds a job in the job itself, and a
 * worker (in any process) runs it as a child of that context.
 */
function telemetry(): { telemetry?: BullMQOtel } {
  return tracingEnabled() ? { telemetry: new BullMQOtel({ tracerName: 'keel' }) } : {};
}

/**
 * The full profile's queue: BullMQ on Redis. The jobs table stays the record; BullMQ only
 * carries `{ jobId }` and provides retries with exponential backoff and jitter, locks that
 * expire when a worker dies (stalled jobs go to another worker) and fan-out over replicas.
 */
export class BullMqJobQueue extends JobQueue {
  private readonly logger = new Logger(BullMqJobQueue.name);
  private readonly bull: BullQueue<JobData>;
  private reconciler?: NodeJS.Timeout;

  constructor(
    private readonly runner: JobRunner,
    private readonly options: BullMqJobQueueOptions,
  ) {
    super();
    this.bull = new BullQueue<JobData>(QUEUE, {
      redisUrl: options.redisUrl,
      prefix: options.prefix,
      ...telemetry(),
      defaultJobOptions: {
        attempts: options.attempts,
        backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
        removeOnComplete: { age: 3_600, count: 1_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
    });
  }

  /** Around calls to Redis; its breaker is reported as `job_queue`. */
  get policy(): DependencyPolicy {
    return this.bull.policy;
  }

  private get queue(): Queue<JobData> {
    return this.bull.queue;
  }

  async enqueue(job: { id: string; type: string }): Promise<void> {
    try {
      // The job id doubles as BullMQ's: adding it twice is a no-op.
      await this.policy.execute(() =>
        this.queue.add(job.type, { jobId: job.id }, { jobId: job.id }),
      );
    } catch (error) {
      this.logger.warn(
        { jobId: job.id, err: error },
        'job not queued now (Redis unavailable); the reconciler will',
      );
    }
  }

  async remove(jobId: string): Promise<void> {
    try {
      const job = await this.policy.execute(() => this.queue.getJob(jobId));
      // An active job cannot be removed (it is locked); its next batch sees the cancellation.
      if (job && !(await job.isActive())) await job.remove();
    } catch (error) {
      this.logger.warn({ jobId, err: error }, 'could not take the job out of the queue');
    }
  }

  startWorkers(): Promise<void> {
    const { concurrency, lockMs } = this.options;
    this.bull.startWorker(
      (job, token) => this.process(job, token),
      {
        concurrency,
        lockDuration: lockMs,
        stalledInterval: Math.max(1_000, Math.floor(lockMs / 2)),
        maxStalledCount: 3,
      },
      () => {
        void this.warnIfEvictionCanLoseJobs();
        this.reconciler = setInterval(() => void this.reconcile(RECONCILE_MS), RECONCILE_MS);
        this.reconciler.unref();
        // At start every unfinished job is checked: re-adding one BullMQ holds changes nothing.
        void this.reconcile(0);
        this.logger.log({ concurrency }, 'job worker started');
      },
    );
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    clearInterval(this.reconciler);
    await this.bull.stop();
  }

  private async process(job: BullJob<JobData>, token: string | undefined): Promise<void> {
    const outcome = await this.runner.run(job.data.jobId, {
      signal: this.bull.signal,
      finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    });
    if (outcome.kind === 'retry') throw outcome.error;
    if (outcome.kind === 'interrupted') {
      // Handed back: another worker takes it at once, from its checkpoint.
      await job.moveToWait(token);
      throw new WaitingError();
    }
  }

  /**
   * Queues unfinished jobs BullMQ does not hold (added while Redis was down, or lost from
   * it). Re-adding a job it holds is a no-op, so this is safe on every replica.
   */
  private async reconcile(olderThanMs: number): Promise<void> {
    try {
      for (const job of await this.runner.unfinished(olderThanMs)) {
        const held = await this.queue.getJob(job.id);
        const state = held ? await held.getState() : 'unknown';
        if (state === 'completed' || state === 'failed') await held?.remove();
        if (!held || state === 'completed' || state === 'failed' || state === 'unknown') {
          await this.queue.add(job.type, { jobId: job.id }, { jobId: job.id });
          this.logger.log({ jobId: job.id }, 'job queued again by the reconciler');
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'job reconciliation failed; next round in 30 s');
    }
  }

  /** Evicting Redis deletes queued jobs: BullMQ needs `maxmemory-policy noeviction`. */
  private async warnIfEvictionCanLoseJobs(): Promise<void> {
    try {
      const info = await this.bull.call((redis) => redis.info('memory'));
      const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
      if (policy && policy !== 'noeviction') {
        this.logger.warn(
          { maxmemoryPolicy: policy },
          `Redis maxmemory-policy is ${policy}: under memory pressure Redis may evict queued jobs. Set it to noeviction.`,
        );
      }
    } catch {
      // Redis is down: the check runs again at the next start.
    }
  }
}
