import { Outbox } from '@keel/events';
import { Injectable } from '@nestjs/common';
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
    const job = await this.outbox.transaction(async (tx) => {
      await tx.insert(Job, { ...input, state: 'queued' });
      return recordJobEvent(tx, input.id, 'job.queued');
    });
    await this.queue.enqueue(job);
    return job;
  }
}
