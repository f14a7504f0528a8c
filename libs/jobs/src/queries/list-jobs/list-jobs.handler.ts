import { decodeCursor, toPage, type Page } from '@keel/core';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type FindOptionsWhere, type Repository } from 'typeorm';
import { mapJob, type JobResponseDto } from '../../dto/job.dto';
import { Job } from '../../entities/job.entity';
import { ListJobsQuery } from './list-jobs.query';

/** Newest first, keyset pages by id (UUIDv7: creation order). Admins see every job. */
@QueryHandler(ListJobsQuery)
export class ListJobsHandler implements IQueryHandler<ListJobsQuery> {
  constructor(@InjectRepository(Job) private readonly jobs: Repository<Job>) {}

  async execute({ viewer, limit, cursor, state }: ListJobsQuery): Promise<Page<JobResponseDto>> {
    const where: FindOptionsWhere<Job> = {};
    if (!viewer.roles.includes('admin')) where.ownerId = viewer.id;
    if (state) where.state = state;
    if (cursor) where.id = LessThan(decodeCursor(cursor, ['uuid'])[0] as string);
    const rows = await this.jobs.find({ where, order: { id: 'DESC' }, take: limit + 1 });
    return toPage(rows, limit, mapJob, (job) => [job.id]);
  }
}
