import { Query } from '@nestjs/cqrs';
import type { DeliveryPageDto, ListDeliveriesQueryDto } from '../../dto/webhook.dto';

export class ListWebhookDeliveriesQuery extends Query<DeliveryPageDto> {
  constructor(
    readonly userId: string,
    readonly id: string,
    readonly page: ListDeliveriesQueryDto,
  ) {
    super();
  }
}
