import { recordEvent } from '@keel/events';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { jobSummary } from './dto/job.dto';
import { Job, type JobState } from './entities/job.entity';

/** The job's row, locked for the rest of the transaction. */
export function lockJob(tx: EntityManager, id: string): Promise<Job | null> {
  return tx
    .createQueryBuilder(Job, 'j')
    .where('j.id = :id', { id })
    .setLock('pessimistic_write')
    .getOne();
}

/**
 * Moves a job from one of `from` to `to`, with `changes`, and records `job.<to>`.
 * Returns the updated job, or null if it was in none of `from`.
 */
export async function transitionJob(
  tx: EntityManager,
  id: string,
  from: readonly JobState[],
  to: JobState,
  changes: QueryDeepPartialEntity<Job> = {},
): Promise<Job | null> {
  const job = await lockJob(tx, id);
  if (!job || !from.includes(job.state)) return null;
  const finished = to === 'succeeded' || to === 'failed' || to === 'cancelled';
  await tx.update(
    Job,
    { id },
    { ...changes, state: to, ...(finished && { finishedAt: new Date() }) },
  );
  return recordJobEvent(tx, id, `job.${to}`);
}

/**
 * Records `type` for the job as it now is in the transaction (its owner as the actor, so
 * the owner's event stream shows it) and returns the job.
 */
export async function recordJobEvent(
  tx: EntityManager,
  id: string,
  type: string,
  extra: Record<string, unknown> = {},
): Promise<Job> {
  const job = await tx.findOneByOrFail(Job, { id });
  await recordEvent(tx, {
    type,
    aggregateType: 'job',
    aggregateId: id,
    actorId: job.ownerId,
    data: { job: jobSummary(job), ...extra },
  });
  return job;
}
