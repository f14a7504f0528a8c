import type { Page } from '@keel/core';
import { Query } from '@nestjs/cqrs';
import type { ItemResponseDto } from '../../dto/item.dto';
import type { ItemSort } from '../../dto/list-items-query.dto';

export interface ItemPageRequest {
  limit: number;
  sort: ItemSort;
  cursor?: string;
  q?: string;
}

export class ListItemsQuery extends Query<Page<ItemResponseDto>> {
  constructor(readonly page: ItemPageRequest) {
    super();
  }
}
