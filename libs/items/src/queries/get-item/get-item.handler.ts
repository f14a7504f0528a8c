import { Sql, statement } from '@keel/database';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { mapItem, type ItemResponseDto } from '../../dto/item.dto';
import { ItemNotFoundError } from '../../items.errors';
import { ITEM_COLUMNS, type ItemRow } from '../../item-row';
import { GetItemQuery } from './get-item.query';

const GET_ITEM = statement('items.get', `SELECT ${ITEM_COLUMNS} FROM items WHERE id = $1`);

@QueryHandler(GetItemQuery)
export class GetItemHandler implements IQueryHandler<GetItemQuery> {
  constructor(private readonly sql: Sql) {}

  async execute({ itemId }: GetItemQuery): Promise<ItemResponseDto> {
    const [row] = await this.sql.rows<ItemRow>(GET_ITEM, [itemId]);
    if (!row) throw new ItemNotFoundError();
    return mapItem(row);
  }
}
