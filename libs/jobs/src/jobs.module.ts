import { jobsConfig, Metrics, redisConfig } from '@keel/core';
import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BullMqJobQueue } from './bullmq-job-queue';
import { CancelJobHandler } from './commands/cancel-job/cancel-job.handler';
import { Job } from './entities/job.entity';
import { JobHandlers } from './job-handler';
import { JobQueue } from './job-queue';
import { JobRunner } from './job-runner';
import { InProcessJobQueue } from './in-process-job-queue';
import { Jobs } from './jobs';
import { JobsController } from './jobs.controller';
import { GetJobHandler } from './queries/get-job/get-job.handler';
import { ListJobsHandler } from './queries/list-jobs/list-jobs.handler';
import { UploadStore } from './upload-store';

const ABANDONED_UPLOAD_SECONDS = 3_600;

/** Starts the job workers where `RUN_WORKERS` is on, and stops them before the database closes. */
@Injectable()
class JobWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly queue: JobQueue,
    private readonly uploads: UploadStore,
    private readonly runner: JobRunner,
    private readonly handlers: JobHandlers,
    private readonly metrics: Metrics,
    @Inject(jobsConfig.KEY) private readonly cfg: ConfigType<typeof jobsConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.cfg.runWorkers) {
      if (this.queue instanceof InProcessJobQueue) {
        this.logger.warn(
          'RUN_WORKERS=false without REDIS_URL: jobs wait until a process with workers starts',
        );
      }
      return;
    }
    await this.queue.startWorkers();
    this.metrics.watchJobs(() => this.runner.counts());
    // From zero, so that `increase()` sees a type's first failure after a start.
    for (const type of this.handlers.types()) this.metrics.jobsFailed.inc({ job_type: type }, 0);
    const sweep = () =>
      this.uploads
        .deleteAbandoned(ABANDONED_UPLOAD_SECONDS)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'upload sweep failed'));
    this.sweeper = setInterval(() => void sweep(), ABANDONED_UPLOAD_SECONDS * 1_000).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await this.queue.stop();
  }
}

/**
 * Background jobs: the `jobs` table, the queue (BullMQ with REDIS_URL, else in-process),
 * the runner and the jobs API. Feature modules register handlers with `JobHandlers`.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Job])],
  controllers: [JobsController],
  providers: [
    JobHandlers,
    JobRunner,
    UploadStore,
    Jobs,
    {
      provide: JobQueue,
      inject: [JobRunner, jobsConfig.KEY, redisConfig.KEY, Metrics],
      useFactory: (
        runner: JobRunner,
        jobs: ConfigType<typeof jobsConfig>,
        redis: ConfigType<typeof redisConfig>,
        metrics: Metrics,
      ): JobQueue => {
        if (!redis.url) return new InProcessJobQueue(runner, jobs.concurrency, jobs.attempts);
        const queue = new BullMqJobQueue(runner, {
          redisUrl: redis.url,
          prefix: redis.keyPrefix,
          concurrency: jobs.concurrency,
          attempts: jobs.attempts,
          lockMs: jobs.lockMs,
        });
        metrics.watchBreaker('job_queue', queue.policy);
        return queue;
      },
    },
    JobWorkers,
    GetJobHandler,
    ListJobsHandler,
    CancelJobHandler,
  ],
  exports: [Jobs, JobHandlers, UploadStore, JobQueue],
})
export class JobsModule {}
