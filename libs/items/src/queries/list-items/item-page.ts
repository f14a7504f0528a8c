import { ValidationFailedError, decodeCursor } from '@keel/core';
import { statement, type Statement } from '@keel/database';
import { PRICE_PATTERN, type ItemResponseDto } from '../../dto/item.dto';
import type { ItemSort } from '../../dto/list-items-query.dto';
import { ITEM_COLUMNS } from '../../item-row';
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

/** What the cursor after `item` holds. It names its sort, so it cannot be used with another order. */
export function itemCursorValues(item: ItemResponseDto, sort: ItemSort): string[] {
  return [sort, item[parseSort(sort).field], item.id];
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
 * `limit + 1` rows; the extra one only says there is a next page. One named statement per
 * shape (sort, search, cursor): 24 at most, each planned once per connection.
 */
export function itemPageQuery({ limit, sort, cursor, q }: ItemPageRequest): {
  statement: Statement;
  values: unknown[];
} {
  const { field, descending } = parseSort(sort);
  const { column, type } = SORT_COLUMNS[field];
  const direction = descending ? 'DESC' : 'ASC';
  const values: unknown[] = [];
  const where: string[] = [];
  if (q) {
    values.push(`%${escapeLike(q)}%`);
    where.push(`name ILIKE $${values.length}`);
  }
  if (cursor) {
    const after = decodeItemCursor(cursor, sort);
    values.push(after.value, after.id);
    where.push(
      `(${column}, id) ${descending ? '<' : '>'} ($${values.length - 1}::${type}, $${values.length}::uuid)`,
    );
  }
  values.push(limit + 1);
  const text =
    `SELECT ${ITEM_COLUMNS} FROM items` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${column} ${direction}, id ${direction} LIMIT $${values.length}`;
  const name = `items.page.${sort}${q ? '.q' : ''}${cursor ? '.after' : ''}`;
  return { statement: statement(name, text), values };
}
