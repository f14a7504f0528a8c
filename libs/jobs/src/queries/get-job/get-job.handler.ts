import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { mapJob, type JobResponseDto } from '../../dto/job.dto';
import { Job } from '../../entities/job.entity';
import { JobNotFoundError } from '../../jobs.errors';
import { GetJobQuery } from './get-job.query';

/** Owners see their jobs, admins every job; anyone else gets the same 404 as for no job. */
@QueryHandler(GetJobQuery)
export class GetJobHandler implements IQueryHandler<GetJobQuery> {
  constructor(@InjectRepository(Job) private readonly jobs: Repository<Job>) {}

  async execute({ viewer, id }: GetJobQuery): Promise<JobResponseDto> {
    const job = await this.jobs.findOneBy({ id });
    if (!job || (job.ownerId !== viewer.id && !viewer.roles.includes('admin'))) {
      throw new JobNotFoundError();
    }
    return mapJob(job);
  }
}
