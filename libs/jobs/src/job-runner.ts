import { inSpan, Metrics, type JobCounts } from '@keel/core';
import { Outbox } from '@keel/events';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Job, UNFINISHED_STATES } from './entities/job.entity';
import {
  JobFailedError,
  JobHandlers,
  JobStoppedError,
  type BatchUpdate,
  type JobContext,
} from './job-handler';
import { lockJob, recordJobEvent, transitionJob } from './job-records';
import { UploadStore } from './upload-store';

/** Row errors a job keeps; `failed` counts them all. */
export const MAX_KEPT_ERRORS = 100;

/**
 * How a run ended, for the queue that started it:
 * - `done`: the job reached an end state (or was already there, or was taken over);
 * - `interrupted`: this process is stopping; the job is queued again at its checkpoint;
 * - `retry`: a passing fault; the queue should run it again after a backoff.
 */
export type RunOutcome =
  { kind: 'done' } | { kind: 'interrupted' } | { kind: 'retry'; error: Error };

export interface RunOptions {
  signal: AbortSignal;
  /** On the last allowed attempt a passing fault fails the job instead of queueing it again. */
  finalAttempt: boolean;
}

/**
 * Runs one job from the jobs table, whichever queue asked: claims it, hands it to its
 * handler with a checkpointed batch commit, and records how it ended. Every state change
 * is also an event (`job.running`, `job.progress`, `job.succeeded`, …).
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger(JobRunner.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly handlers: JobHandlers,
    private readonly uploads: UploadStore,
    private readonly metrics: Metrics,
  ) {}

  async run(jobId: string, options: RunOptions): Promise<RunOutcome> {
    let job: Job | null;
    try {
      // A job found `running` was left by a run that died: it goes on from its checkpoint.
      job = await this.outbox.transaction((tx) =>
        transitionJob(tx, jobId, UNFINISHED_STATES, 'running', {
          attempts: () => 'attempts + 1',
          startedAt: () => 'COALESCE(started_at, now())',
        }),
      );
    } catch (error) {
      return { kind: 'retry', error: asError(error) };
    }
    if (!job) return { kind: 'done' };
    const handler = this.handlers.get(job.type);
    if (!handler) {
      await this.end(jobId, 'failed', { reason: `No handler for jobs of type ${job.type}.` });
      return { kind: 'done' };
    }
    const log = { jobId, type: job.type, attempt: job.attempts };
    this.logger.log(log, 'job started');
    const started = performance.now();
    const measure = (outcome: 'completed' | 'failed' | 'retried' | 'stopped') =>
      this.metrics.jobDuration.observe(
        { job_type: log.type, outcome },
        (performance.now() - started) / 1000,
      );
    try {
      const context = this.context(job, options.signal);
      const attributes = { 'keel.job.id': jobId, 'keel.job.attempt': job.attempts };
      const result = await inSpan(`job ${job.type}`, { attributes }, () => handler.run(context));
      await this.end(jobId, 'succeeded', { result, progress: 100 });
      measure('completed');
      this.logger.log(log, 'job succeeded');
      return { kind: 'done' };
    } catch (error) {
      if (error instanceof JobStoppedError) {
        measure('stopped');
        this.logger.log({ ...log, why: error.message }, 'job run stopped');
        return { kind: 'done' };
      }
      if (error instanceof JobFailedError) {
        await this.end(jobId, 'failed', { reason: error.message });
        measure('failed');
        this.metrics.jobsFailed.inc({ job_type: log.type });
        this.logger.warn({ ...log, reason: error.message }, 'job failed');
        return { kind: 'done' };
      }
      if (options.signal.aborted) {
        measure('stopped');
        await this.requeue(jobId, 'Handed back when its worker stopped.');
        this.logger.log(log, 'job handed back at shutdown');
        return { kind: 'interrupted' };
      }
      const cause = asError(error);
      if (options.finalAttempt) {
        await this.end(jobId, 'failed', {
          reason: `Gave up after ${job.attempts} attempts: ${cause.message}`,
        });
        measure('failed');
        this.metrics.jobsFailed.inc({ job_type: log.type });
        this.logger.error({ ...log, err: cause }, 'job failed on its last attempt');
        return { kind: 'done' };
      }
      measure('retried');
      await this.requeue(jobId, `Retrying after: ${cause.message}`);
      this.logger.warn({ ...log, err: cause }, 'job attempt failed; it will be retried');
      return { kind: 'retry', error: cause };
    }
  }

  private context(job: Job, signal: AbortSignal): JobContext {
    let expected = job.checkpoint;
    return {
      job,
      signal,
      commit: async (update: BatchUpdate, work) => {
        await this.outbox.transaction(async (tx) => {
          const current = await lockJob(tx, job.id);
          if (current?.state !== 'running')
            throw new JobStoppedError(`job is ${current?.state ?? 'gone'}`);
          if (canonicalJson(current.checkpoint) !== canonicalJson(expected)) {
            throw new JobStoppedError('another run has moved the job on');
          }
          await work(tx);
          const room = MAX_KEPT_ERRORS - current.errors.length;
          await tx.update(
            Job,
            { id: job.id },
            {
              checkpoint: update.checkpoint,
              progress: Math.min(99, Math.max(current.progress, Math.floor(update.progress))),
              processed: current.processed + update.processed,
              succeeded: current.succeeded + update.succeeded,
              failed: current.failed + update.failed,
              ...(room > 0 &&
                update.errors.length > 0 && {
                  errors: [...current.errors, ...update.errors.slice(0, room)],
                }),
            },
          );
          await recordJobEvent(tx, job.id, 'job.progress', { batch: update.summary ?? {} });
        });
        expected = update.checkpoint;
        this.metrics.jobRows.inc({ job_type: job.type }, update.processed);
      },
    };
  }

  /** Ends a running job; its upload is no longer needed. */
  private async end(
    id: string,
    state: 'succeeded' | 'failed',
    changes: QueryDeepPartialEntity<Job>,
  ): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      await transitionJob(tx, id, ['running'], state, changes);
      await this.uploads.delete(id, tx);
    });
  }

  private async requeue(id: string, reason: string): Promise<void> {
    try {
      await this.dataSource.manager.update(
        Job,
        { id, state: 'running' },
        { state: 'queued', reason },
      );
    } catch (error) {
      // Left `running`: the next claim resumes it from its checkpoint all the same.
      this.logger.warn({ jobId: id, err: error }, 'could not queue the job again');
    }
  }

  /** Jobs queued and running, by type (every registered type, with zeros), for the metrics. */
  async counts(): Promise<JobCounts[]> {
    const rows = await this.dataSource.query<Array<{ type: string; state: string; n: number }>>(
      `SELECT type, state, count(*)::int AS n FROM jobs
       WHERE state IN ('queued', 'running') GROUP BY type, state`,
    );
    const counts = new Map(
      this.handlers.types().map((type) => [type, { type, queued: 0, active: 0 }]),
    );
    for (const { type, state, n } of rows) {
      const count = counts.get(type) ?? { type, queued: 0, active: 0 };
      if (state === 'queued') count.queued = n;
      else count.active = n;
      counts.set(type, count);
    }
    return [...counts.values()];
  }

  /** Unfinished jobs, oldest first: what a queue must (re)start. */
  async unfinished(olderThanMs = 0): Promise<Array<Pick<Job, 'id' | 'type' | 'state'>>> {
    return this.dataSource.manager
      .createQueryBuilder(Job, 'j')
      .select(['j.id', 'j.type', 'j.state'])
      .where({ state: In([...UNFINISHED_STATES]) })
      .andWhere('j.updated_at < :before', { before: new Date(Date.now() - olderThanMs) })
      .orderBy('j.id', 'ASC')
      .limit(1000)
      .getMany();
  }
}

/** JSON with sorted keys: jsonb does not keep key order (nor object prototypes). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
