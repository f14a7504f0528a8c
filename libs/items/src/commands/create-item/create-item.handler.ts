import { ResponseCache, uuidv7 } from '@keel/core';
import { claimIdempotencyKey, completeIdempotencyKey, hashRequest } from '@keel/database';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { mapItem, normalizePrice, type ItemResponseDto } from '../../dto/item.dto';
import { Item } from '../../entities/item.entity';
import { ItemCreatedEvent } from '../../events/item.events';
import { ITEMS_LIST_TAG } from '../../items.cache';
import { CreateItemCommand, type CreateItemResult } from './create-item.command';

@CommandHandler(CreateItemCommand)
export class CreateItemHandler implements ICommandHandler<CreateItemCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly cache: ResponseCache,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ actor, input, idempotencyKey }: CreateItemCommand): Promise<CreateItemResult> {
    const fields = {
      name: input.name,
      description: input.description ?? '',
      price: normalizePrice(input.price),
    };
    // Keys are per user: two users can never collide or see each other's responses.
    const scope = `items.create:${actor.id}`;
    const result = await this.outbox.transaction(async (tx): Promise<CreateItemResult> => {
      if (idempotencyKey) {
        const claim = await claimIdempotencyKey<ItemResponseDto>(
          tx,
          scope,
          idempotencyKey,
          hashRequest(fields),
        );
        if (claim.replay) return { item: claim.response, replayed: true };
      }
      const id = uuidv7();
      // The columns the database fills (times, version) come back from the INSERT's RETURNING.
      const inserted = await tx.insert(Item, { id, ownerId: actor.id, ...fields });
      const item = mapItem(
        tx.create(Item, { id, ownerId: actor.id, ...fields, ...inserted.generatedMaps[0] }),
      );
      await recordEvent(tx, {
        type: 'item.created',
        aggregateType: 'item',
        aggregateId: id,
        actorId: actor.id,
        data: { item },
      });
      if (idempotencyKey) await completeIdempotencyKey(tx, scope, idempotencyKey, 201, item);
      return { item, replayed: false };
    });
    if (!result.replayed) {
      await this.cache.invalidate([ITEMS_LIST_TAG]);
      this.eventBus.publish(new ItemCreatedEvent(result.item, actor.id));
    }
    return result;
  }
}
