import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ValidationFailedError } from '../errors/domain-error';
import { isAcceptableText } from '../http/input-limits';

export const MAX_PAGE_SIZE = 100;

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page’s `nextCursor`.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

type CursorValue = string | number;

/** Cursors are opaque to clients: base64url of the sort key of the last row of a page. */
export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * Decodes a cursor and checks each value against the expected kinds, so a forged
 * cursor is a 400, never a database error.
 */
export function decodeCursor(
  cursor: string,
  kinds: Array<'string' | 'number' | 'uuid' | 'timestamp' | 'bigint'>,
): CursorValue[] {
  const invalid = () =>
    new ValidationFailedError([{ field: 'cursor', message: 'cursor is not valid' }]);
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(values) || values.length !== kinds.length) throw invalid();
  return values.map((value: unknown, i) => {
    const kind = kinds[i];
    const ok =
      (kind === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
      (kind === 'string' &&
        typeof value === 'string' &&
        value.length <= 1000 &&
        isAcceptableText(value)) ||
      (kind === 'uuid' &&
        typeof value === 'string' &&
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) ||
      (kind === 'timestamp' && typeof value === 'string' && isCursorTimestamp(value)) ||
      // A Postgres bigint, kept as a string of digits.
      (kind === 'bigint' && typeof value === 'string' && /^\d{1,18}$/.test(value));
    if (!ok) throw invalid();
    return value;
  });
}

/**
 * Exactly what `toISOString()` writes for a year from 1 to 9999 (Postgres has no year 0). `Date.parse` alone accepts
 * `"1"`, `"x 1"`, `"2020-02-30"` and years Postgres cannot store, which its cast then refuses.
 */
const ISO_TIMESTAMP = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isCursorTimestamp(value: string): boolean {
  if (!ISO_TIMESTAMP.test(value)) return false;
  const time = Date.parse(value);
  // A day past the month's end (2020-02-30) parses, into another day.
  return !Number.isNaN(time) && new Date(time).toISOString() === value;
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says there is more. */
export function toPage<Row, Out>(
  rows: Row[],
  limit: number,
  map: (row: Row) => Out,
  key: (row: Row) => CursorValue[],
): Page<Out> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(map),
    nextCursor: hasMore && last !== undefined ? encodeCursor(key(last)) : null,
  };
}
