import { Outbox, recordEvent } from '@keel/events';
import { Injectable } from '@nestjs/common';
import { jobSummary } from './dto/job.dto';
import { Job } from './entities/job.entity';
import { JobQueue } from './job-queue';

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
      const created = await tx.findOneByOrFail(Job, { id: input.id });
      await recordEvent(tx, {
        type: 'job.queued',
        aggregateType: 'job',
        aggregateId: created.id,
        actorId: created.ownerId,
        data: { job: jobSummary(created) },
      });
      return created;
    });
    await this.queue.enqueue(job);
    return job;
  }
}
