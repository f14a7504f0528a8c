import {
  ApiProblems,
  CurrentUser,
  PageQueryDto,
  Roles,
  uuidParam,
  type AuthUser,
} from '@keel/core';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { UpdateProfileDto, UpdateUserDto } from './dto/update-user.dto';
import { UserPageDto, UserResponseDto } from './dto/user-response.dto';
import { DeleteUserCommand } from './commands/delete-user/delete-user.command';
import { UpdateUserCommand } from './commands/update-user/update-user.command';
import { GetUserQuery } from './queries/get-user/get-user.query';
import { ListUsersQuery } from './queries/list-users/list-users.query';

@ApiTags('users')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('users')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('me')
  @ApiOperation({ operationId: 'getMe', summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return this.queries.execute(new GetUserQuery(user.id));
  }

  @Patch('me')
  @ApiOperation({ operationId: 'updateMe', summary: 'Change your own profile' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400)
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserResponseDto> {
    return this.commands.execute(
      new UpdateUserCommand(user.id, user.id, { displayName: dto.displayName }),
    );
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ operationId: 'listUsers', summary: 'List users (admin)' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiProblems(400, 403)
  list(@Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.queries.execute(new ListUsersQuery(query.limit, query.cursor));
  }

  @Get(':id')
  @Roles('admin')
  @ApiOperation({ operationId: 'getUser', summary: 'Read a user (admin)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400, 403, 404)
  get(@Param('id', uuidParam()) id: string): Promise<UserResponseDto> {
    return this.queries.execute(new GetUserQuery(id));
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    operationId: 'updateUser',
    summary: 'Change a user’s name, roles or disabled flag (admin)',
  })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400, 403, 404, 409)
  update(
    @CurrentUser() actor: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return this.commands.execute(new UpdateUserCommand(actor.id, id, dto));
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteUser', summary: 'Delete a user (admin)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404, 409)
  remove(@CurrentUser() actor: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.commands.execute(new DeleteUserCommand(actor.id, id));
  }
}
