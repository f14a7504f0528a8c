import { toPage, type Page } from '@keel/core';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { mapItem, type ItemResponseDto } from '../../dto/item.dto';
import { itemCursorValues, itemPageQuery } from './item-page';
import { ListItemsQuery } from './list-items.query';

@QueryHandler(ListItemsQuery)
export class ListItemsHandler implements IQueryHandler<ListItemsQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ page }: ListItemsQuery): Promise<Page<ItemResponseDto>> {
    const rows = await itemPageQuery(this.dataSource.manager, page).getMany();
    return toPage(rows, page.limit, mapItem, (item) => itemCursorValues(item, page.sort));
  }
}
