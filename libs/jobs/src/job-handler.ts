import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Job, JobRowError } from './entities/job.entity';

/** What one committed batch adds to its job. */
export interface BatchUpdate {
  /** Where a later run goes on from; stored in the same transaction as the batch's rows. */
  checkpoint: object;
  /** 0 to 100. */
  progress: number;
  processed: number;
  succeeded: number;
  failed: number;
  /** Row errors of this batch; the job keeps the first ones. */
  errors: JobRowError[];
  /** Extra fields for this batch's `job.progress` event. */
  summary?: Record<string, unknown>;
}

export interface JobContext {
  /** The job as this run claimed it: `checkpoint` is null on a first run. */
  readonly job: Job;
  /** Aborted when this process shuts down: stop at the next batch and return. */
  readonly signal: AbortSignal;
  /**
   * Runs `work` in one transaction that also moves the job to `update.checkpoint`, adds to
   * its counts and records a `job.progress` event. Throws `JobStoppedError` instead when
   * the job was cancelled or another run has moved it on since, so no batch is done twice.
   */
  readonly commit: (
    update: BatchUpdate,
    work: (tx: EntityManager) => Promise<void>,
  ) => Promise<void>;
}

/** Runs jobs of one type. Feature modules register theirs with `JobHandlers`. */
export interface JobHandler {
  readonly type: string;
  /** Returns the job's result. Throw `JobFailedError` for a failure a retry cannot fix. */
  run(context: JobContext): Promise<object>;
}

/** A failure no retry can fix (a malformed file): the job fails at once with this message. */
export class JobFailedError extends Error {
  override name = 'JobFailedError';
}

/** The job was cancelled, or another run has taken it over: this run stops and writes nothing. */
export class JobStoppedError extends Error {
  override name = 'JobStoppedError';
}

@Injectable()
export class JobHandlers {
  private readonly handlers = new Map<string, JobHandler>();

  register(handler: JobHandler): void {
    this.handlers.set(handler.type, handler);
  }

  get(type: string): JobHandler | undefined {
    return this.handlers.get(type);
  }

  types(): string[] {
    return [...this.handlers.keys()];
  }
}
