import { AllowApiKey, ApiProblems, CurrentUser, uuidParam, type AuthUser } from '@keel/core';
import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CancelJobCommand } from './commands/cancel-job/cancel-job.command';
import { JobPageDto, JobResponseDto, ListJobsQueryDto } from './dto/job.dto';
import { GetJobQuery } from './queries/get-job/get-job.query';
import { ListJobsQuery } from './queries/list-jobs/list-jobs.query';

@ApiTags('jobs')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('jobs')
// A key that may import (items:write) may follow and cancel what it started: as a key acts
// with its owner's plain user role, only the owner's jobs.
export class JobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @AllowApiKey('items:write')
  @ApiOperation({
    operationId: 'listJobs',
    summary: 'Your jobs, newest first (admins see every job)',
  })
  @ApiOkResponse({ type: JobPageDto })
  @ApiProblems(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListJobsQueryDto): Promise<JobPageDto> {
    return this.queries.execute(new ListJobsQuery(user, query.limit, query.cursor, query.state));
  }

  @Get(':id')
  @AllowApiKey('items:write')
  @ApiOperation({
    operationId: 'getJob',
    summary: 'A job: state, progress, counts and the first row errors',
    description: 'Live updates: `job.*` events on `GET /v1/events/stream`.',
  })
  @ApiOkResponse({ type: JobResponseDto })
  @ApiProblems(400, 404)
  get(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
  ): Promise<JobResponseDto> {
    return this.queries.execute(new GetJobQuery(user, id));
  }

  @Delete(':id')
  @AllowApiKey('items:write')
  @ApiOperation({
    operationId: 'cancelJob',
    summary: 'Cancel a job that has not finished',
    description: 'A running import stops before its next batch; rows already stored stay.',
  })
  @ApiOkResponse({ type: JobResponseDto, description: 'The job, now `cancelled`' })
  @ApiProblems(400, 404, 409)
  cancel(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
  ): Promise<JobResponseDto> {
    return this.commands.execute(new CancelJobCommand(user, id));
  }
}
