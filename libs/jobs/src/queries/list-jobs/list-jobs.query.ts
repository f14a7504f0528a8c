import type { AuthUser, Page } from '@keel/core';
import { Query } from '@nestjs/cqrs';
import type { JobResponseDto } from '../../dto/job.dto';
import type { JobState } from '../../entities/job.entity';

export class ListJobsQuery extends Query<Page<JobResponseDto>> {
  constructor(
    readonly viewer: AuthUser,
    readonly limit: number,
    readonly cursor: string | undefined,
    readonly state: JobState | undefined,
  ) {
    super();
  }
}
