import type { Item } from './entities/item.entity';

/**
 * The columns of an item as the hot paths' SQL reads them (see `Sql` in @keel/database),
 * named as the entity's fields, so `mapItem` makes the response of a row.
 */
export const ITEM_COLUMNS =
  'id, name, description, price, owner_id AS "ownerId", version, created_at AS "createdAt", updated_at AS "updatedAt"';

export type ItemRow = Pick<
  Item,
  'id' | 'name' | 'description' | 'price' | 'ownerId' | 'version' | 'createdAt' | 'updatedAt'
>;
