import { PageQueryDto } from '@keel/core';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { JOB_STATES, type Job, type JobState } from '../entities/job.entity';

export class JobRowErrorDto {
  @ApiProperty({ description: '1-based line of the upload where the row starts' })
  line!: number;

  @ApiProperty({ example: 'price must be a decimal string …' })
  message!: string;
}

export class JobResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'items.import' })
  type!: string;

  @ApiProperty({ format: 'uuid' })
  ownerId!: string;

  @ApiProperty({ enum: JOB_STATES })
  state!: JobState;

  @ApiProperty({ minimum: 0, maximum: 100 })
  progress!: number;

  @ApiProperty({ description: 'Rows read so far' })
  processed!: number;

  @ApiProperty({ description: 'Rows stored' })
  succeeded!: number;

  @ApiProperty({ description: 'Rows refused' })
  failed!: number;

  @ApiProperty({
    type: [JobRowErrorDto],
    description: 'The first refused rows (at most 100); `failed` counts them all',
  })
  errors!: JobRowErrorDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Why the job failed' })
  reason!: string | null;

  @ApiProperty({ type: Object, nullable: true })
  result!: object | null;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;
}

export class JobPageDto {
  @ApiProperty({ type: [JobResponseDto] })
  data!: JobResponseDto[];

  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' })
  nextCursor!: string | null;
}

export class ListJobsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATES })
  @IsOptional()
  @IsIn(JOB_STATES)
  state?: JobState;
}

export function mapJob(job: Job): JobResponseDto {
  return {
    id: job.id,
    type: job.type,
    ownerId: job.ownerId,
    state: job.state,
    progress: job.progress,
    processed: job.processed,
    succeeded: job.succeeded,
    failed: job.failed,
    errors: job.errors,
    reason: job.reason,
    result: job.result,
    attempts: job.attempts,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

/** What job events carry: the state and counts, without the error sample. */
export function jobSummary(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    type: job.type,
    state: job.state,
    progress: job.progress,
    processed: job.processed,
    succeeded: job.succeeded,
    failed: job.failed,
    reason: job.reason,
  };
}
