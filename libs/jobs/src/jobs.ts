import { Outbox } from '@keel/events';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Job } from './entities/job.entity';
import { JobQueue } from './job-queue';
import { recordJobEvent } from './job-records';

export interface NewJob {
  /** Chosen by the caller when it stores input under the id first (an upload). */
  id: string;
  type: string;
  ownerId: string;
  params: object;
}

/** Submits jobs: the row and its `job.queued` event in one transaction, then the queue. */
@Injectable()
export class Jobs {
  constructor(
    private readonly outbox: Outbox,
    private readonly queue: JobQueue,
  ) {}

  async submit(input: NewJob): Promise<Job> {
    const job = await this.outbox.transaction((tx) => this.add(tx, input));
    await this.queue.enqueue(job);
    return job;
  }

  /**
   * Adds the job's row (and its `job.queued` event) inside the caller's transaction, so the
   * job exists exactly when that change commits. Call `enqueue` after the commit; if that is
   * missed (a crash, Redis down), the queue's reconciler finds the row and runs it anyway.
   */
  async add(tx: EntityManager, input: NewJob): Promise<Job> {
    await tx.insert(Job, { ...input, state: 'queued' });
    return recordJobEvent(tx, input.id, 'job.queued');
  }

  /** Asks for a job committed by `add` to be run now rather than at the next reconciliation. */
  async enqueue(job: Pick<Job, 'id' | 'type'>): Promise<void> {
    await this.queue.enqueue(job);
  }
}
