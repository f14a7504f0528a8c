import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { mapJob, type JobResponseDto } from '../../dto/job.dto';
import { UNFINISHED_STATES } from '../../entities/job.entity';
import { JobQueue } from '../../job-queue';
import { lockJob, transitionJob } from '../../job-records';
import { JobFinishedError, JobNotFoundError } from '../../jobs.errors';
import { UploadStore } from '../../upload-store';
import { CancelJobCommand } from './cancel-job.command';

/**
 * Cancels a queued or running job. A running job notices at its next batch, whose
 * transaction checks the state: rows committed before stay, nothing after is written.
 */
@CommandHandler(CancelJobCommand)
export class CancelJobHandler implements ICommandHandler<CancelJobCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly queue: JobQueue,
    private readonly uploads: UploadStore,
  ) {}

  async execute({ actor, id }: CancelJobCommand): Promise<JobResponseDto> {
    const job = await this.outbox.transaction(async (tx) => {
      const current = await lockJob(tx, id);
      if (!current || (current.ownerId !== actor.id && !actor.roles.includes('admin'))) {
        throw new JobNotFoundError();
      }
      const cancelled = await transitionJob(tx, id, UNFINISHED_STATES, 'cancelled', {
        reason: `Cancelled by ${actor.id === current.ownerId ? 'its owner' : 'an admin'}.`,
      });
      if (!cancelled) throw new JobFinishedError(current.state);
      return cancelled;
    });
    await this.queue.remove(id);
    await this.uploads.delete(id);
    return mapJob(job);
  }
}
