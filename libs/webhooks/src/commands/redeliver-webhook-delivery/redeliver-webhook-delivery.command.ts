import { Command } from '@nestjs/cqrs';
import type { DeliveryDto } from '../../dto/webhook.dto';

export class RedeliverWebhookDeliveryCommand extends Command<DeliveryDto> {
  constructor(
    readonly userId: string,
    readonly webhookId: string,
    readonly deliveryId: string,
  ) {
    super();
  }
}
