import { jobsConfig, ResponseCache, uuidv7 } from '@keel/core';
import {
  JobFailedError,
  JobHandlers,
  UploadStore,
  type JobContext,
  type JobHandler,
  type JobRowError,
} from '@keel/jobs';
import { recordEvent } from '@keel/events';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { normalizePrice } from '../dto/item.dto';
import { ITEMS_LIST_TAG } from '../items.cache';
import type { ParsedRow } from './parse-worker';
import { ItemParserPool } from './parser-pool';
import type { ImportFormat } from './record-parser';

export const ITEMS_IMPORT_JOB = 'items.import';

/** A record longer than this is refused with its line number (and skipped). */
export const MAX_RECORD_BYTES = 1 << 20;

export interface ImportParams {
  format: ImportFormat;
  bytes: number;
}

/** Where a run goes on from: the byte after the last committed record, and its line. */
interface ImportCheckpoint {
  offset: number;
  line: number;
  columns: string[] | null;
}

/**
 * Imports an uploaded CSV or NDJSON file into items owned by the job's owner. The parser
 * threads split and validate windows of the upload; this loop inserts the valid rows in
 * batches, each in a transaction that also stores the checkpoint, so a run that resumes
 * after a crash or a retry starts after the last committed row and inserts none twice.
 */
@Injectable()
export class ImportItemsJob implements JobHandler, OnModuleInit {
  readonly type = ITEMS_IMPORT_JOB;

  constructor(
    private readonly handlers: JobHandlers,
    private readonly uploads: UploadStore,
    private readonly parser: ItemParserPool,
    private readonly cache: ResponseCache,
    @Inject(jobsConfig.KEY) private readonly cfg: ConfigType<typeof jobsConfig>,
  ) {}

  onModuleInit(): void {
    this.handlers.register(this);
  }

  async run({ job, signal, commit }: JobContext): Promise<object> {
    const { format, bytes } = job.params as unknown as ImportParams;
    const from = (job.checkpoint as ImportCheckpoint | null) ?? {
      offset: 0,
      line: 1,
      columns: null,
    };
    let { line, columns } = from;
    let base = from.offset; // upload offset of window[0]
    let window: Buffer = Buffer.alloc(0);
    let eof = false;
    const pieces = this.uploads.read(job.id, from.offset)[Symbol.asyncIterator]();
    const pull = async (): Promise<void> => {
      const next = await pieces.next();
      if (next.done) eof = true;
      else window = window.length === 0 ? next.value : Buffer.concat([window, next.value]);
    };
    const consume = (n: number) => {
      window = window.subarray(n);
      base += n;
    };

    let batch: ParsedRow[] = [];
    let sawRecord = job.processed > 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const last = batch[batch.length - 1];
      const rows = batch;
      batch = [];
      await this.commitBatch(commit, job, rows, {
        checkpoint: { offset: last.end, line: last.nextLine, columns },
        progress: bytes > 0 ? (100 * last.end) / bytes : 100,
      });
    };

    for (;;) {
      if (signal.aborted) throw signal.reason;
      while (!eof && window.length <= MAX_RECORD_BYTES) await pull();
      if (window.length === 0) break;
      const parsed = await this.parser.parse({
        format,
        bytes: window,
        eof,
        line,
        columns,
        maxRecordBytes: MAX_RECORD_BYTES,
      });
      if (parsed.fatal !== undefined) throw new JobFailedError(parsed.fatal);
      if (parsed.header) {
        columns = parsed.header.columns;
        line = parsed.header.nextLine;
      }
      for (const row of parsed.rows) {
        batch.push({ ...row, end: base + row.end });
        line = row.nextLine;
        if (batch.length >= this.cfg.importBatchRows) await flush();
      }
      sawRecord ||= parsed.rows.length > 0;
      consume(parsed.consumed);
      if (parsed.oversized) {
        // No line end within the limit: refuse the record and go on after its first line.
        const { line: at } = parsed.oversized;
        let nl = window.indexOf(0x0a);
        while (nl < 0 && !eof) {
          consume(window.length);
          await pull();
          nl = window.indexOf(0x0a);
        }
        consume(nl < 0 ? window.length : nl + 1);
        line = at + 1;
        sawRecord = true;
        batch.push({
          line: at,
          end: base,
          nextLine: line,
          error: `the record is longer than ${MAX_RECORD_BYTES} bytes (or a quoted field is not closed)`,
        });
      }
      if (eof && parsed.consumed === 0 && !parsed.oversized && !parsed.header) break;
    }
    await flush();
    if (!sawRecord) {
      throw new JobFailedError(
        format === 'csv' && columns === null
          ? 'The file is empty: a CSV import needs a header row (name,price,description).'
          : 'The file has no rows.',
      );
    }
    return { format, bytes, lines: line - 1 };
  }

  private async commitBatch(
    commit: JobContext['commit'],
    { id: jobId, ownerId }: JobContext['job'],
    rows: ParsedRow[],
    at: { checkpoint: Record<string, unknown>; progress: number },
  ): Promise<void> {
    const items = rows.flatMap((row) =>
      row.item
        ? [
            {
              id: uuidv7(),
              name: row.item.name,
              description: row.item.description ?? '',
              price: normalizePrice(row.item.price),
            },
          ]
        : [],
    );
    const errors: JobRowError[] = rows.flatMap((row) =>
      row.error !== undefined ? [{ line: row.line, message: row.error }] : [],
    );
    await commit(
      {
        ...at,
        processed: rows.length,
        succeeded: items.length,
        failed: errors.length,
        errors,
        summary: {
          firstLine: rows[0].line,
          lastLine: rows[rows.length - 1].line,
          inserted: items.length,
          failed: errors.length,
        },
      },
      async (tx) => {
        if (items.length === 0) return;
        // One statement with five array parameters: far cheaper to build and plan than
        // a VALUES list with five parameters per row.
        await tx.query(
          `INSERT INTO items (id, owner_id, name, description, price)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::numeric[])`,
          [
            items.map((i) => i.id),
            items.map(() => ownerId),
            items.map((i) => i.name),
            items.map((i) => i.description),
            items.map((i) => i.price),
          ],
        );
        // One event per batch rather than per row: the outbox stays small, and readers
        // still learn every id that changed.
        await recordEvent(tx, {
          type: 'item.imported',
          aggregateType: 'job',
          aggregateId: jobId,
          actorId: ownerId,
          data: { count: items.length, ids: items.map((i) => i.id) },
        });
      },
    );
    if (items.length > 0) await this.cache.invalidate([ITEMS_LIST_TAG]);
  }
}
