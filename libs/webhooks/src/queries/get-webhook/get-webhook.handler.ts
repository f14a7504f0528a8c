import { webhooksConfig } from '@keel/core';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { WebhookDto } from '../../dto/webhook.dto';
import { mapWebhook } from '../../dto/webhook.mapper';
import { Webhook } from '../../entities/webhook.entity';
import { WebhookNotFoundError } from '../../webhooks.errors';
import { GetWebhookQuery } from './get-webhook.query';

@QueryHandler(GetWebhookQuery)
export class GetWebhookHandler implements IQueryHandler<GetWebhookQuery> {
  constructor(
    @InjectRepository(Webhook) private readonly webhooks: Repository<Webhook>,
    @Inject(webhooksConfig.KEY) private readonly cfg: ConfigType<typeof webhooksConfig>,
  ) {}

  async execute({ userId, id }: GetWebhookQuery): Promise<WebhookDto> {
    const webhook = await this.webhooks.findOneBy({ id, ownerId: userId });
    if (!webhook) throw new WebhookNotFoundError();
    return mapWebhook(webhook, this.cfg.breakerFailures);
  }
}
