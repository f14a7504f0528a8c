import { ApiProblems, CurrentUser, Roles, uuidParam, type AuthUser } from '@keel/core';
import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { EndOtherSessionsCommand } from './commands/end-other-sessions/end-other-sessions.command';
import { EndSessionCommand } from './commands/end-session/end-session.command';
import { EndUserSessionsCommand } from './commands/end-user-sessions/end-user-sessions.command';
import { SessionListDto } from './dto/session.dto';
import { ListSessionsQuery } from './queries/list-sessions/list-sessions.query';

@ApiTags('auth')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Controller('auth/sessions')
export class SessionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listSessions',
    summary: 'Your sessions (one per sign-in), the current one marked',
  })
  @ApiOkResponse({ type: SessionListDto })
  list(@CurrentUser() user: AuthUser): Promise<SessionListDto> {
    return this.queries.execute(new ListSessionsQuery(user.id, user.sessionId));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'endOtherSessions',
    summary: 'End all your sessions but the current one',
  })
  @ApiNoContentResponse()
  endOthers(@CurrentUser() user: AuthUser): Promise<void> {
    return this.commands.execute(new EndOtherSessionsCommand(user.id, user.sessionId));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'endSession',
    summary: 'End one of your sessions: its refresh token stops working',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  endOne(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.commands.execute(new EndSessionCommand(user.id, id));
  }
}

@ApiTags('users')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('users')
export class UserSessionsController {
  constructor(private readonly commands: CommandBus) {}

  @Delete(':id/sessions')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ operationId: 'endUserSessions', summary: 'End all of a user’s sessions (admin)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404)
  endAll(@CurrentUser() actor: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.commands.execute(new EndUserSessionsCommand(actor.id, id));
  }
}
