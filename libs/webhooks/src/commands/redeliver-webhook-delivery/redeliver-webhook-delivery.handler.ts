import { DataSource } from 'typeorm';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DeliveryQueue } from '../../delivery/delivery-queue';
import type { DeliveryDto } from '../../dto/webhook.dto';
import { mapDelivery } from '../../dto/webhook.mapper';
import { WebhookAttempt } from '../../entities/webhook-attempt.entity';
import { WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { lockOwnWebhook } from '../../webhook-records';
import {
  WebhookDeliveryNotFoundError,
  WebhookDeliveryUnfinishedError,
} from '../../webhooks.errors';
import { RedeliverWebhookDeliveryCommand } from './redeliver-webhook-delivery.command';

/**
 * Sends a delivered or failed delivery again, as the same delivery (same `webhook-id`, so a
 * receiver that keeps ids sees a duplicate), in the same order as any other: after earlier
 * unfinished deliveries of its aggregate.
 */
@CommandHandler(RedeliverWebhookDeliveryCommand)
export class RedeliverWebhookDeliveryHandler implements ICommandHandler<RedeliverWebhookDeliveryCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: DeliveryQueue,
  ) {}

  async execute({
    userId,
    webhookId,
    deliveryId,
  }: RedeliverWebhookDeliveryCommand): Promise<DeliveryDto> {
    const { delivery, attempts } = await this.dataSource.transaction(async (tx) => {
      await lockOwnWebhook(tx, userId, webhookId);
      const found = await tx
        .createQueryBuilder(WebhookDelivery, 'd')
        .where('d.id = :deliveryId AND d.webhook_id = :webhookId', { deliveryId, webhookId })
        .setLock('pessimistic_write')
        .getOne();
      if (!found) throw new WebhookDeliveryNotFoundError();
      if (found.state !== 'delivered' && found.state !== 'failed') {
        throw new WebhookDeliveryUnfinishedError();
      }
      await tx.update(
        WebhookDelivery,
        { seq: found.seq },
        { state: 'pending', nextAttemptAt: () => 'now()', finishedAt: null },
      );
      return {
        delivery: await tx.findOneByOrFail(WebhookDelivery, { seq: found.seq }),
        attempts: await tx.find(WebhookAttempt, {
          where: { deliverySeq: found.seq },
          order: { id: 'ASC' },
        }),
      };
    });
    await this.queue.enqueue([{ id: delivery.id, attempts: delivery.attempts, delayMs: 0 }]);
    return mapDelivery(delivery, attempts);
  }
}
