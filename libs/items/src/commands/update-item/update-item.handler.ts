import { ResponseCache, assertVersion } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { mapItem, normalizePrice, type ItemResponseDto } from '../../dto/item.dto';
import { Item } from '../../entities/item.entity';
import { ITEMS_LIST_TAG, itemTag } from '../../items.cache';
import { findItemToModify } from '../find-item-to-modify';
import { UpdateItemCommand } from './update-item.command';

@CommandHandler(UpdateItemCommand)
export class UpdateItemHandler implements ICommandHandler<UpdateItemCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly cache: ResponseCache,
  ) {}

  async execute({
    actor,
    itemId,
    changes,
    precondition,
  }: UpdateItemCommand): Promise<ItemResponseDto> {
    const { item, changed } = await this.outbox.transaction(async (tx) => {
      const current = await findItemToModify(tx, actor, itemId);
      assertVersion(precondition, current.version);
      const update: Partial<Pick<Item, 'name' | 'description' | 'price'>> = {};
      if (changes.name !== undefined && changes.name !== current.name) update.name = changes.name;
      if (changes.description !== undefined && changes.description !== current.description)
        update.description = changes.description;
      if (changes.price !== undefined && normalizePrice(changes.price) !== mapItem(current).price)
        update.price = normalizePrice(changes.price);
      const changedFields = Object.keys(update);
      if (changedFields.length === 0) return { item: mapItem(current), changed: changedFields };
      await tx.update(Item, { id: current.id }, { ...update, version: current.version + 1 });
      const updated = mapItem(await tx.findOneByOrFail(Item, { id: current.id }));
      await recordEvent(tx, {
        type: 'item.updated',
        aggregateType: 'item',
        aggregateId: current.id,
        actorId: actor.id,
        data: { item: updated, changed: changedFields },
      });
      return { item: updated, changed: changedFields };
    });
    if (changed.length > 0) {
      await this.cache.invalidate([itemTag(item.id), ITEMS_LIST_TAG]);
    }
    return item;
  }
}
