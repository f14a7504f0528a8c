import type { AuthUser } from '@keel/core';
import { Command } from '@nestjs/cqrs';
import type { JobResponseDto } from '../../dto/job.dto';

export class CancelJobCommand extends Command<JobResponseDto> {
  constructor(
    readonly actor: AuthUser,
    readonly id: string,
  ) {
    super();
  }
}
