import { encodeCursor } from '@keel/core';
import { StreamableFile } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { mapItem, type ItemResponseDto } from '../../dto/item.dto';
import { itemCursorValues, itemPageQuery } from '../list-items/item-page';
import { ExportItemsQuery, type ExportFormat } from './export-items.query';

/** Rows fetched per query: memory holds one batch, whatever the size of the catalog. */
const BATCH = 1_000;
const CSV_COLUMNS = [
  'id',
  'name',
  'description',
  'price',
  'ownerId',
  'version',
  'createdAt',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof ItemResponseDto>;

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function line(item: ItemResponseDto, format: ExportFormat): string {
  return format === 'csv'
    ? `${CSV_COLUMNS.map((column) => csvField(item[column])).join(',')}\r\n`
    : `${JSON.stringify(item)}\n`;
}

/**
 * Every matching item, as CSV or NDJSON, in list order. The rows come in keyset batches
 * through the same indexed query as the list (not one long-lived cursor, which would hold
 * a connection, and PGlite's only session, for the whole download). The stream is pulled:
 * the next batch is read only when the client has taken the last one, and a client that
 * goes away stops the reads.
 */
@QueryHandler(ExportItemsQuery)
export class ExportItemsHandler implements IQueryHandler<ExportItemsQuery> {
  constructor(private readonly dataSource: DataSource) {}

  execute({ format, sort, q }: ExportItemsQuery): Promise<StreamableFile> {
    const manager = this.dataSource.manager;
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
      let cursor: string | undefined;
      for (;;) {
        const rows = await itemPageQuery(manager, { limit: BATCH - 1, sort, cursor, q }).getMany();
        if (rows.length === 0) return;
        yield rows.map((row) => line(mapItem(row), format)).join('');
        if (rows.length < BATCH) return;
        const last = rows[rows.length - 1];
        if (!last) return;
        cursor = encodeCursor(itemCursorValues(last, sort));
      }
    }
    const stream = Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
    return Promise.resolve(
      new StreamableFile(stream, {
        type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
        disposition: `attachment; filename="items.${format}"`,
      }),
    );
  }
}
