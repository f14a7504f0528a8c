import { decodeCursor, encodeCursor } from '@keel/core';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { DeliveryPageDto } from '../../dto/webhook.dto';
import { mapDelivery } from '../../dto/webhook.mapper';
import { WebhookAttempt } from '../../entities/webhook-attempt.entity';
import { WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { Webhook } from '../../entities/webhook.entity';
import { WebhookNotFoundError } from '../../webhooks.errors';
import { ListWebhookDeliveriesQuery } from './list-webhook-deliveries.query';

/** The webhook's deliveries, newest first, each with its attempts. */
@QueryHandler(ListWebhookDeliveriesQuery)
export class ListWebhookDeliveriesHandler implements IQueryHandler<ListWebhookDeliveriesQuery> {
  constructor(
    @InjectRepository(Webhook) private readonly webhooks: Repository<Webhook>,
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    @InjectRepository(WebhookAttempt) private readonly attempts: Repository<WebhookAttempt>,
  ) {}

  async execute({ userId, id, page }: ListWebhookDeliveriesQuery): Promise<DeliveryPageDto> {
    if (!(await this.webhooks.existsBy({ id, ownerId: userId }))) throw new WebhookNotFoundError();
    const query = this.deliveries
      .createQueryBuilder('d')
      .where('d.webhook_id = :id', { id })
      .orderBy('d.seq', 'DESC')
      .limit(page.limit + 1);
    if (page.state) query.andWhere('d.state = :state', { state: page.state });
    if (page.cursor) {
      const [before] = decodeCursor(page.cursor, ['bigint']);
      query.andWhere('d.seq < CAST(:before AS bigint)', { before });
    }
    const rows = await query.getMany();
    const more = rows.length > page.limit;
    const shown = rows.slice(0, page.limit);
    const attempts =
      shown.length === 0
        ? []
        : await this.attempts.find({
            where: { deliverySeq: In(shown.map((d) => d.seq)) },
            order: { id: 'ASC' },
          });
    return {
      data: shown.map((d) =>
        mapDelivery(
          d,
          attempts.filter((a) => a.deliverySeq === d.seq),
        ),
      ),
      nextCursor: more ? encodeCursor([shown[shown.length - 1].seq]) : null,
    };
  }
}
