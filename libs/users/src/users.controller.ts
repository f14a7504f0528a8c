import {
  ApiProblems,
  CurrentUser,
  PageQueryDto,
  Roles,
  uuidParam,
  type AuthUser,
} from '@keel/core';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { UpdateProfileDto, UpdateUserDto } from './dto/update-user.dto';
import { UserPageDto, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return this.users.getById(user.id);
  }

  @Patch('me')
  @ApiOperation({ summary: 'Change your own profile' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400)
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserResponseDto> {
    return this.users.updateProfile(user.id, dto);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'List users (admin)' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiProblems(400, 403)
  list(@Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.users.list(query.limit, query.cursor);
  }

  @Get(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Read a user (admin)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400, 403, 404)
  get(@Param('id', uuidParam()) id: string): Promise<UserResponseDto> {
    return this.users.getById(id);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Change a user’s name, roles or disabled flag (admin)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400, 403, 404, 409)
  update(
    @CurrentUser() actor: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(actor.id, id, dto);
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user (admin)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404, 409)
  remove(@CurrentUser() actor: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.users.remove(actor.id, id);
  }
}
