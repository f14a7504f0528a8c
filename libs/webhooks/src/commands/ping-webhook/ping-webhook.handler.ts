import { currentRequestId, uuidv7 } from '@keel/core';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { DeliveryQueue } from '../../delivery/delivery-queue';
import type { DeliveryDto } from '../../dto/webhook.dto';
import { mapDelivery } from '../../dto/webhook.mapper';
import { WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { lockOwnWebhook } from '../../webhook-records';
import { PingWebhookCommand } from './ping-webhook.command';

/**
 * Queues a `webhook.ping` delivery: an event shaped like every other, signed and retried
 * like every other, but not in the outbox (nothing happened) and sent to this endpoint only.
 */
@CommandHandler(PingWebhookCommand)
export class PingWebhookHandler implements ICommandHandler<PingWebhookCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: DeliveryQueue,
  ) {}

  async execute({ userId, id }: PingWebhookCommand): Promise<DeliveryDto> {
    const delivery = await this.dataSource.transaction(async (tx) => {
      const webhook = await lockOwnWebhook(tx, userId, id);
      const occurredAt = new Date().toISOString();
      const deliveryId = uuidv7();
      await tx.insert(WebhookDelivery, {
        id: deliveryId,
        webhookId: id,
        eventId: null,
        eventType: 'webhook.ping',
        aggregateId: id,
        payload: {
          id: uuidv7(),
          seq: null,
          position: null,
          type: 'webhook.ping',
          aggregateType: 'webhook',
          aggregateId: id,
          actorId: userId,
          requestId: currentRequestId() ?? null,
          occurredAt,
          publishedAt: null,
          data: { webhookId: id, url: webhook.url },
        },
      });
      return tx.findOneByOrFail(WebhookDelivery, { id: deliveryId });
    });
    await this.queue.enqueue([{ id: delivery.id, attempts: 0, delayMs: 0 }]);
    return mapDelivery(delivery, []);
  }
}
