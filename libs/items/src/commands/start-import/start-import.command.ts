import type { AuthUser } from '@keel/core';
import type { JobResponseDto } from '@keel/jobs';
import { Command } from '@nestjs/cqrs';
import type { ImportFormat } from '../../imports/record-parser';

export class StartImportCommand extends Command<JobResponseDto> {
  constructor(
    readonly actor: AuthUser,
    readonly format: ImportFormat,
    /** The request body, read as it arrives. */
    readonly body: AsyncIterable<Buffer>,
    /** Content-Length, when the client sent one. */
    readonly declaredBytes: number | undefined,
  ) {
    super();
  }
}
