import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { mapItem, type ItemResponseDto } from '../../dto/item.dto';
import { Item } from '../../entities/item.entity';
import { ItemNotFoundError } from '../../items.errors';
import { GetItemQuery } from './get-item.query';

@QueryHandler(GetItemQuery)
export class GetItemHandler implements IQueryHandler<GetItemQuery> {
  constructor(@InjectRepository(Item) private readonly items: Repository<Item>) {}

  async execute({ itemId }: GetItemQuery): Promise<ItemResponseDto> {
    const item = await this.items.findOneBy({ id: itemId });
    if (!item) throw new ItemNotFoundError();
    return mapItem(item);
  }
}
