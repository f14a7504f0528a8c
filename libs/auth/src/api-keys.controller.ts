import { ApiProblems, CurrentUser, uuidParam, type AuthUser } from '@keel/core';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CreateApiKeyCommand } from './commands/create-api-key/create-api-key.command';
import { RevokeApiKeyCommand } from './commands/revoke-api-key/revoke-api-key.command';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { ListApiKeysQuery } from './queries/list-api-keys/list-api-keys.query';

/** Signed-in users only: an API key cannot create, list or revoke keys. */
@ApiTags('auth')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Controller('auth/api-keys')
export class ApiKeysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key for service-to-service calls',
    description:
      'The key acts as you, limited to its scopes (`items:read`: export; `items:write`: create, change, delete, import). Send it as `Authorization: Bearer keel_…`. The key is in this response only.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.commands.execute(new CreateApiKeyCommand(user.id, dto));
  }

  @Get()
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: 'Your API keys that are not revoked (never the key itself)',
  })
  @ApiOkResponse({ type: ApiKeyListDto })
  list(@CurrentUser() user: AuthUser): Promise<ApiKeyListDto> {
    return this.queries.execute(new ListApiKeysQuery(user.id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke one of your API keys: refused from the next request on',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  revoke(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.commands.execute(new RevokeApiKeyCommand(user.id, id));
  }
}
