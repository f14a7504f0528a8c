import { normalizePrice, type ItemResponseDto } from './dto/item.dto';

/** The columns of an item as the hot paths' SQL reads them (see `Sql` in @keel/database). */
export const ITEM_COLUMNS =
  'id, name, description, price, owner_id, version, created_at, updated_at';

export interface ItemRow {
  id: string;
  name: string;
  description: string;
  price: string;
  owner_id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** The same response as `mapItem` gives for the entity. */
export function itemFromRow(row: ItemRow): ItemResponseDto {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: normalizePrice(String(row.price)),
    ownerId: row.owner_id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
