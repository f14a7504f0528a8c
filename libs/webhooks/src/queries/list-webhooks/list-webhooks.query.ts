import { Query } from '@nestjs/cqrs';
import type { WebhookListDto } from '../../dto/webhook.dto';

export class ListWebhooksQuery extends Query<WebhookListDto> {
  constructor(readonly userId: string) {
    super();
  }
}
