import type { AuthUser } from '@keel/core';
import { Query } from '@nestjs/cqrs';
import type { JobResponseDto } from '../../dto/job.dto';

export class GetJobQuery extends Query<JobResponseDto> {
  constructor(
    readonly viewer: AuthUser,
    readonly id: string,
  ) {
    super();
  }
}
