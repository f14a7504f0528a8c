import { ApiProblems, CurrentUser, uuidParam, type AuthUser } from '@keel/core';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CreateWebhookCommand } from './commands/create-webhook/create-webhook.command';
import { DeleteWebhookCommand } from './commands/delete-webhook/delete-webhook.command';
import { PingWebhookCommand } from './commands/ping-webhook/ping-webhook.command';
import { RedeliverWebhookDeliveryCommand } from './commands/redeliver-webhook-delivery/redeliver-webhook-delivery.command';
import { RotateWebhookSecretCommand } from './commands/rotate-webhook-secret/rotate-webhook-secret.command';
import { UpdateWebhookCommand } from './commands/update-webhook/update-webhook.command';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  DeliveryDto,
  DeliveryPageDto,
  ListDeliveriesQueryDto,
  RotatedSecretDto,
  UpdateWebhookDto,
  WebhookDto,
  WebhookListDto,
} from './dto/webhook.dto';
import { GetWebhookQuery } from './queries/get-webhook/get-webhook.query';
import { ListWebhookDeliveriesQuery } from './queries/list-webhook-deliveries/list-webhook-deliveries.query';
import { ListWebhooksQuery } from './queries/list-webhooks/list-webhooks.query';

/**
 * A signed-in user's webhooks. Only their owner sees or changes one (admins included: a
 * webhook carries its owner's secret and visibility); API keys are refused.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'createWebhook',
    summary: 'Subscribe a URL to event types',
    description:
      'Deliveries follow Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The signing secret is in this response only. The URL must be https (http outside production), without credentials, and not a private address unless allowed (`WEBHOOK_ALLOW_HOSTS`).',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiProblems(400, 409)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.commands.execute(new CreateWebhookCommand(user.id, dto));
  }

  @Get()
  @ApiOperation({ operationId: 'listWebhooks', summary: 'Your webhooks (never their secrets)' })
  @ApiOkResponse({ type: WebhookListDto })
  list(@CurrentUser() user: AuthUser): Promise<WebhookListDto> {
    return this.queries.execute(new ListWebhooksQuery(user.id));
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getWebhook',
    summary: 'One of your webhooks, with its circuit state',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<WebhookDto> {
    return this.queries.execute(new GetWebhookQuery(user.id, id));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateWebhook',
    summary: 'Change a webhook’s URL, event types or description, or turn it off and on',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiProblems(400, 404)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Body() dto: UpdateWebhookDto,
  ): Promise<WebhookDto> {
    return this.commands.execute(new UpdateWebhookCommand(user.id, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteWebhook', summary: 'Delete a webhook and its delivery log' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  remove(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<void> {
    return this.commands.execute(new DeleteWebhookCommand(user.id, id));
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the signing secret',
    description:
      'The new secret is in this response only. Until `previousSecretExpiresAt` every delivery carries two signatures, one per secret.',
  })
  @ApiOkResponse({ type: RotatedSecretDto })
  @ApiProblems(400, 404)
  rotateSecret(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
  ): Promise<RotatedSecretDto> {
    return this.commands.execute(new RotateWebhookSecretCommand(user.id, id));
  }

  @Get(':id/deliveries')
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'The webhook’s deliveries, newest first, each with its attempts',
  })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiProblems(400, 404)
  deliveries(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Query() page: ListDeliveriesQueryDto,
  ): Promise<DeliveryPageDto> {
    return this.queries.execute(new ListWebhookDeliveriesQuery(user.id, id, page));
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'redeliverWebhookDelivery',
    summary: 'Send a delivered or failed delivery again (same webhook-id)',
  })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiProblems(400, 404, 409)
  redeliver(
    @CurrentUser() user: AuthUser,
    @Param('id', uuidParam()) id: string,
    @Param('deliveryId', uuidParam('deliveryId')) deliveryId: string,
  ): Promise<DeliveryDto> {
    return this.commands.execute(new RedeliverWebhookDeliveryCommand(user.id, id, deliveryId));
  }

  @Post(':id/ping')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'pingWebhook',
    summary: 'Send a `webhook.ping` test event to this webhook',
  })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiProblems(400, 404)
  ping(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) id: string): Promise<DeliveryDto> {
    return this.commands.execute(new PingWebhookCommand(user.id, id));
  }
}
