import { webhooksConfig } from '@keel/core';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { WebhookListDto } from '../../dto/webhook.dto';
import { mapWebhook } from '../../dto/webhook.mapper';
import { Webhook } from '../../entities/webhook.entity';
import { ListWebhooksQuery } from './list-webhooks.query';

/** The user's webhooks (at most WEBHOOK_MAX_PER_USER, so one page), never their secrets. */
@QueryHandler(ListWebhooksQuery)
export class ListWebhooksHandler implements IQueryHandler<ListWebhooksQuery> {
  constructor(
    @InjectRepository(Webhook) private readonly webhooks: Repository<Webhook>,
    @Inject(webhooksConfig.KEY) private readonly cfg: ConfigType<typeof webhooksConfig>,
  ) {}

  async execute({ userId }: ListWebhooksQuery): Promise<WebhookListDto> {
    const rows = await this.webhooks.find({
      where: { ownerId: userId },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    return { data: rows.map((w) => mapWebhook(w, this.cfg.breakerFailures)) };
  }
}
