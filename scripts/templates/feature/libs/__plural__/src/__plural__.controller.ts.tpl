import { ApiProblems, ApiResponseHeader, CurrentUser, uuidParam, type AuthUser } from '@keel/core';
import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Create__Singular__Command } from './commands/create-__singular__/create-__singular__.command';
import { Create__Singular__Dto, __Singular__ResponseDto } from './dto/__singular__.dto';
import { Get__Singular__Query } from './queries/get-__singular__/get-__singular__.query';

/** A signed-in user's __plural_words__: DTO in, command or query out, response DTO back. */
@ApiTags('__plural__')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Controller('__plural__')
export class __Plural__Controller {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'create__Singular__',
    summary: 'Create __a_singular_words__ owned by you',
  })
  @ApiCreatedResponse({ type: __Singular__ResponseDto, description: 'With `Location`' })
  @ApiResponseHeader('Location', "The __singular_words__'s URL.")
  @ApiProblems(400)
  async create(
    @CurrentUser() user: AuthUser,
    @Body() dto: Create__Singular__Dto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<__Singular__ResponseDto> {
    const created = await this.commands.execute(new Create__Singular__Command(user, dto));
    void reply.header('location', `/v1/__plural__/${created.id}`);
    return created;
  }

  @Get(':id')
  @ApiOperation({ operationId: 'get__Singular__', summary: 'Read one of your __plural_words__' })
  @ApiOkResponse({ type: __Singular__ResponseDto })
  @ApiProblems(400, 404)
  get(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
  ): Promise<__Singular__ResponseDto> {
    return this.queries.execute(new Get__Singular__Query(user.id, id));
  }
}
