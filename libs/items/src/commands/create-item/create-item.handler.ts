import { captureTraceContext, currentRequestId, ResponseCache, uuidv7 } from '@keel/core';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  hashRequest,
  Sql,
  statement,
} from '@keel/database';
import { isoTimestampSql, Outbox, OUTBOX_INSERT, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { mapItem, normalizePrice, type ItemResponseDto } from '../../dto/item.dto';
import { Item } from '../../entities/item.entity';
import { ITEM_COLUMNS, type ItemRow } from '../../item-row';
import { ITEMS_LIST_TAG } from '../../items.cache';
import { CreateItemCommand, type CreateItemResult } from './create-item.command';

/**
 * The item and its `item.created` event in one statement: one round trip instead of BEGIN,
 * two INSERTs and COMMIT, and still one atomic change. The event's `item` is built in SQL
 * from the inserted row, field for field what `mapItem` makes of it.
 */
const CREATE_ITEM = statement(
  'items.create',
  `WITH item AS (
     INSERT INTO items (id, owner_id, name, description, price) VALUES ($1, $2, $3, $4, $5)
     RETURNING ${ITEM_COLUMNS}
   ), event AS (
     ${OUTBOX_INSERT}
     SELECT $6, 'item.created', 'item', item.id, item."ownerId", $7, jsonb_build_object('item',
       jsonb_build_object('id', item.id, 'name', item.name, 'description', item.description,
         'price', item.price::text, 'ownerId', item."ownerId", 'version', item.version,
         'createdAt', ${isoTimestampSql('item."createdAt"')},
         'updatedAt', ${isoTimestampSql('item."updatedAt"')})), $8::jsonb
     FROM item
   )
   SELECT * FROM item`,
);

@CommandHandler(CreateItemCommand)
export class CreateItemHandler implements ICommandHandler<CreateItemCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly sql: Sql,
    private readonly cache: ResponseCache,
  ) {}

  async execute({ actor, input, idempotencyKey }: CreateItemCommand): Promise<CreateItemResult> {
    const fields = {
      name: input.name,
      description: input.description ?? '',
      price: normalizePrice(input.price),
    };
    const result = idempotencyKey
      ? await this.createOnce(actor.id, fields, idempotencyKey)
      : { item: await this.create(actor.id, fields), replayed: false };
    if (!result.replayed) await this.cache.invalidate([ITEMS_LIST_TAG]);
    return result;
  }

  private async create(ownerId: string, fields: ItemFields): Promise<ItemResponseDto> {
    const [row] = await this.sql.rows<ItemRow>(CREATE_ITEM, [
      uuidv7(),
      ownerId,
      fields.name,
      fields.description,
      fields.price,
      uuidv7(),
      currentRequestId() ?? null,
      jsonOrNull(captureTraceContext()),
    ]);
    this.outbox.recorded();
    return mapItem(row);
  }

  /** With an Idempotency-Key: the key's claim, the item, its event and the stored answer in one transaction. */
  private createOnce(ownerId: string, fields: ItemFields, key: string): Promise<CreateItemResult> {
    // Keys are per user: two users can never collide or see each other's responses.
    const scope = `items.create:${ownerId}`;
    return this.outbox.transaction(async (tx): Promise<CreateItemResult> => {
      const claim = await claimIdempotencyKey<ItemResponseDto>(tx, scope, key, hashRequest(fields));
      if (claim.replay) return { item: claim.response, replayed: true };
      const id = uuidv7();
      // The columns the database fills (times, version) come back from the INSERT's RETURNING.
      const inserted = await tx.insert(Item, { id, ownerId, ...fields });
      const item = mapItem(
        tx.create(Item, { id, ownerId, ...fields, ...inserted.generatedMaps[0] }),
      );
      await recordEvent(tx, {
        type: 'item.created',
        aggregateType: 'item',
        aggregateId: id,
        actorId: ownerId,
        data: { item },
      });
      await completeIdempotencyKey(tx, scope, key, 201, item);
      return { item, replayed: false };
    });
  }
}

/** SQL NULL, not a JSON `null`, when there is nothing. */
function jsonOrNull(value: object | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

type ItemFields = {
  name: string;
  description: string;
  price: string;
};
