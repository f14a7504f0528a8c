import { ValidationFailedError, decodeCursor } from '@keel/core';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { PRICE_PATTERN } from '../../dto/item.dto';
import type { ItemSort } from '../../dto/list-items-query.dto';
import { Item } from '../../entities/item.entity';
import type { ItemPageRequest } from './list-items.query';

type SortField = 'createdAt' | 'name' | 'price';

/** Each sort walks the index on (column, id); the SQL type makes the cursor value compare like the column. */
const SORT_COLUMNS: Record<SortField, { column: string; type: string }> = {
  createdAt: { column: 'created_at', type: 'timestamptz' },
  name: { column: 'name', type: 'varchar' },
  price: { column: 'price', type: 'numeric' },
};

function parseSort(sort: ItemSort): { field: SortField; descending: boolean } {
  const descending = sort.startsWith('-');
  return { field: (descending ? sort.slice(1) : sort) as SortField, descending };
}

function sortValue(item: Item, field: SortField): string {
  if (field === 'createdAt') return item.createdAt.toISOString();
  return String(item[field]);
}

/** What the cursor after `item` holds. It names its sort, so it cannot be used with another order. */
export function itemCursorValues(item: Item, sort: ItemSort): string[] {
  return [sort, sortValue(item, parseSort(sort).field), item.id];
}

function decodeItemCursor(cursor: string, sort: ItemSort): { value: string; id: string } {
  const { field } = parseSort(sort);
  const [cursorSort, value, id] = decodeCursor(cursor, [
    'string',
    field === 'createdAt' ? 'timestamp' : 'string',
    'uuid',
  ]) as [string, string, string];
  const valid = cursorSort === sort && (field !== 'price' || PRICE_PATTERN.test(value));
  if (!valid) {
    throw new ValidationFailedError([
      { field: 'cursor', message: 'cursor does not belong to this sort order' },
    ]);
  }
  return { value, id };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The query of one page: keyset pagination. The page after a cursor starts right after the
 * cursor's (sort value, id) in the index, so page 1000 costs what page 1 does. Fetches
 * `limit + 1` rows; the extra one only says there is a next page.
 */
export function itemPageQuery(
  manager: EntityManager,
  { limit, sort, cursor, q }: ItemPageRequest,
): SelectQueryBuilder<Item> {
  const { field, descending } = parseSort(sort);
  const { column, type } = SORT_COLUMNS[field];
  const direction = descending ? 'DESC' : 'ASC';
  const query = manager
    .createQueryBuilder(Item, 'item')
    .orderBy(`item.${column}`, direction)
    .addOrderBy('item.id', direction)
    .limit(limit + 1);
  if (q) query.andWhere('item.name ILIKE :pattern', { pattern: `%${escapeLike(q)}%` });
  if (cursor) {
    const after = decodeItemCursor(cursor, sort);
    query.andWhere(
      `(item.${column}, item.id) ${descending ? '<' : '>'} (CAST(:afterValue AS ${type}), CAST(:afterId AS uuid))`,
      { afterValue: after.value, afterId: after.id },
    );
  }
  return query;
}
