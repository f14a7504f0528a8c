import { toPage, type Page } from '@keel/core';
import { Sql } from '@keel/database';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { mapItem, type ItemResponseDto } from '../../dto/item.dto';
import { type ItemRow } from '../../item-row';
import { itemCursorValues, itemPageQuery } from './item-page';
import { ListItemsQuery } from './list-items.query';

@QueryHandler(ListItemsQuery)
export class ListItemsHandler implements IQueryHandler<ListItemsQuery> {
  constructor(private readonly sql: Sql) {}

  async execute({ page }: ListItemsQuery): Promise<Page<ItemResponseDto>> {
    const { statement, values } = itemPageQuery(page);
    const items = (await this.sql.rows<ItemRow>(statement, values)).map(mapItem);
    return toPage(
      items,
      page.limit,
      (item) => item,
      (item) => itemCursorValues(item, page.sort),
    );
  }
}
