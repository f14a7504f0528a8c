import { Query } from '@nestjs/cqrs';
import type { WebhookDto } from '../../dto/webhook.dto';

export class GetWebhookQuery extends Query<WebhookDto> {
  constructor(
    readonly userId: string,
    readonly id: string,
  ) {
    super();
  }
}
