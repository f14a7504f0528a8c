import { jobsConfig, uuidv7, ValidationFailedError } from '@keel/core';
import { Jobs, mapJob, UploadStore, UploadTooLargeError, type JobResponseDto } from '@keel/jobs';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ITEMS_IMPORT_JOB, type ImportParams } from '../../imports/import-items.job';
import { StartImportCommand } from './start-import.command';

/**
 * Stores the upload (streamed into the database, so any worker can read it) and submits
 * the import job. Parsing happens in the job: the request only waits for the bytes.
 */
@CommandHandler(StartImportCommand)
export class StartImportHandler implements ICommandHandler<StartImportCommand> {
  constructor(
    private readonly uploads: UploadStore,
    private readonly jobs: Jobs,
    @Inject(jobsConfig.KEY) private readonly cfg: ConfigType<typeof jobsConfig>,
  ) {}

  async execute({
    actor,
    format,
    body,
    declaredBytes,
  }: StartImportCommand): Promise<JobResponseDto> {
    const max = this.cfg.importMaxBytes;
    if (declaredBytes !== undefined && declaredBytes > max) throw new UploadTooLargeError(max);
    const id = uuidv7();
    const bytes = await this.uploads.write(id, body, max);
    if (bytes === 0) {
      throw new ValidationFailedError([{ field: 'body', message: 'the file is empty' }]);
    }
    const params: ImportParams = { format, bytes };
    try {
      return mapJob(
        await this.jobs.submit({ id, type: ITEMS_IMPORT_JOB, ownerId: actor.id, params }),
      );
    } catch (error) {
      await this.uploads.delete(id).catch(() => undefined);
      throw error;
    }
  }
}
