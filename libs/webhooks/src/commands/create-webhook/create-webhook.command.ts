import { Command } from '@nestjs/cqrs';
import type { CreateWebhookDto, CreatedWebhookDto } from '../../dto/webhook.dto';

export class CreateWebhookCommand extends Command<CreatedWebhookDto> {
  constructor(
    readonly userId: string,
    readonly dto: CreateWebhookDto,
  ) {
    super();
  }
}
