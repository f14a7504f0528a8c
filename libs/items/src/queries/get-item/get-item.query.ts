import { Query } from '@nestjs/cqrs';
import type { ItemResponseDto } from '../../dto/item.dto';

export class GetItemQuery extends Query<ItemResponseDto> {
  constructor(readonly itemId: string) {
    super();
  }
}
