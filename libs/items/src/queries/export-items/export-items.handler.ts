import { currentRequestId, encodeCursor } from '@keel/core';
import { Sql } from '@keel/database';
import { Logger, StreamableFile } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Readable } from 'node:stream';
import { mapItem, type ItemResponseDto } from '../../dto/item.dto';
import { type ItemRow } from '../../item-row';
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
 * a pool connection for the whole download). The stream is pulled:
 * the next batch is read only when the client has taken the last one, and a client that
 * goes away stops the reads.
 */
@QueryHandler(ExportItemsQuery)
export class ExportItemsHandler implements IQueryHandler<ExportItemsQuery> {
  private readonly logger = new Logger('ExportItems');

  constructor(private readonly sql: Sql) {}

  async execute({ format, sort, q }: ExportItemsQuery): Promise<StreamableFile> {
    const batch = async (cursor: string | undefined) => {
      const { statement, values } = itemPageQuery({ limit: BATCH - 1, sort, cursor, q });
      return (await this.sql.rows<ItemRow>(statement, values)).map(mapItem);
    };
    const text = (items: ItemResponseDto[]) => items.map((item) => line(item, format)).join('');
    // The first batch is read and written out before the status line goes out: whatever can
    // fail on the request itself (its query, the database, a row) is answered with an error.
    const first = await batch(undefined);
    const head = `${format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : ''}${text(first)}`;
    async function* lines(): AsyncGenerator<string> {
      yield head;
      let rows = first;
      for (;;) {
        const last = rows[rows.length - 1];
        if (rows.length < BATCH || !last) return;
        rows = await batch(encodeCursor(itemCursorValues(last, sort)));
        if (rows.length > 0) yield text(rows);
      }
    }
    const stream = Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
    const requestId = currentRequestId();
    // Once the 200 is out, a failure can only cut the download short: the response is
    // destroyed (an unterminated chunked body, which clients report as incomplete, rather than
    // a truncated file that looks whole), and logged here, as Fastify's logger is off.
    stream.once('error', (err) =>
      this.logger.error({ err, requestId }, 'export failed after the response began'),
    );
    return new StreamableFile(stream, {
      type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      disposition: `attachment; filename="items.${format}"`,
    });
  }
}
