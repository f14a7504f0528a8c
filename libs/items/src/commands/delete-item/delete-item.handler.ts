import { ResponseCache, assertVersion } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { mapItem } from '../../dto/item.dto';
import { Item } from '../../entities/item.entity';
import { ITEMS_LIST_TAG, itemTag } from '../../items.cache';
import { findItemToModify } from '../find-item-to-modify';
import { DeleteItemCommand } from './delete-item.command';

@CommandHandler(DeleteItemCommand)
export class DeleteItemHandler implements ICommandHandler<DeleteItemCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly cache: ResponseCache,
  ) {}

  async execute({ actor, itemId, precondition }: DeleteItemCommand): Promise<void> {
    const id = await this.outbox.transaction(async (tx) => {
      const current = await findItemToModify(tx, actor, itemId);
      assertVersion(precondition, current.version);
      await tx.delete(Item, { id: current.id });
      await recordEvent(tx, {
        type: 'item.deleted',
        aggregateType: 'item',
        aggregateId: current.id,
        actorId: actor.id,
        data: { item: mapItem(current) },
      });
      return current.id;
    });
    await this.cache.invalidate([itemTag(id), ITEMS_LIST_TAG]);
  }
}
