import { Command } from '@nestjs/cqrs';
import type { UpdateWebhookDto, WebhookDto } from '../../dto/webhook.dto';

export class UpdateWebhookCommand extends Command<WebhookDto> {
  constructor(
    readonly userId: string,
    readonly id: string,
    readonly dto: UpdateWebhookDto,
  ) {
    super();
  }
}
