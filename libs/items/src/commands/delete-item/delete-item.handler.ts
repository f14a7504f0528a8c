import { ResponseCache, assertVersion } from '@keel/core';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { Item } from '../../entities/item.entity';
import { ItemDeletedEvent } from '../../events/item.events';
import { ITEMS_LIST_TAG, itemTag } from '../../items.cache';
import { findItemToModify } from '../find-item-to-modify';
import { DeleteItemCommand } from './delete-item.command';

@CommandHandler(DeleteItemCommand)
export class DeleteItemHandler implements ICommandHandler<DeleteItemCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: ResponseCache,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ actor, itemId, precondition }: DeleteItemCommand): Promise<void> {
    const id = await this.dataSource.transaction(async (tx) => {
      const current = await findItemToModify(tx, actor, itemId);
      assertVersion(precondition, current.version);
      await tx.delete(Item, { id: current.id });
      return current.id;
    });
    await this.cache.invalidate([itemTag(id), ITEMS_LIST_TAG]);
    this.eventBus.publish(new ItemDeletedEvent(id, actor.id));
  }
}
