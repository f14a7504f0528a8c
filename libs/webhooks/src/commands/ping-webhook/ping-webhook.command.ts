import { Command } from '@nestjs/cqrs';
import type { DeliveryDto } from '../../dto/webhook.dto';

export class PingWebhookCommand extends Command<DeliveryDto> {
  constructor(
    readonly userId: string,
    readonly id: string,
  ) {
    super();
  }
}
