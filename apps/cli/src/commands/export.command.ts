import {
  EXPORT_FORMATS,
  ExportItemsQuery,
  ITEM_SORTS,
  type ExportFormat,
  type ItemSort,
} from '@keel/items';
import { oneOf } from '../cli-errors';
import { QueryBus } from '@nestjs/cqrs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { CliSettings } from '../cli-settings';
import { withKeel } from '../keel-context';
import { KeelAppModule } from '../keel.module';

interface ExportOptions {
  format: ExportFormat;
  sort: ItemSort;
  q?: string;
}

@Command({
  name: 'export',
  description:
    'write every item to stdout, as GET /v1/items/export does (streamed in batches; imports back as it is)',
})
export class ExportCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  @Option({
    flags: '--format <format>',
    description: 'csv or ndjson',
    choices: [...EXPORT_FORMATS],
    defaultValue: 'csv',
  })
  parseFormat(value: string): ExportFormat {
    return oneOf('--format', EXPORT_FORMATS, value);
  }

  @Option({
    flags: '--sort <sort>',
    description: 'as GET /v1/items: a field, with a leading - for descending',
    choices: [...ITEM_SORTS],
    defaultValue: '-createdAt',
  })
  parseSort(value: string): ItemSort {
    return oneOf('--sort', ITEM_SORTS, value);
  }

  @Option({ flags: '--q <text>', description: 'only items whose name contains this text' })
  parseQ(value: string): string {
    return value;
  }

  run(_params: string[], options: ExportOptions): Promise<void> {
    return this.cli.run(() =>
      withKeel(KeelAppModule, { migrate: true, verbose: this.cli.verbose }, async ({ app }) => {
        const file = await app
          .get(QueryBus)
          .execute(new ExportItemsQuery(options.format, options.sort, options.q));
        await copyTo(file.getStream(), process.stdout);
      }),
    );
  }
}

/**
 * Pulls the export into `out` as fast as `out` takes it: the next batch is read from the
 * database only after the last one was written. A reader that goes away (`keel export |
 * head`) ends the copy quietly; leaving the loop stops the reads.
 */
async function copyTo(source: Readable, out: NodeJS.WriteStream): Promise<void> {
  let failure: NodeJS.ErrnoException | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onError = (error: NodeJS.ErrnoException) => {
    failure = error;
    stop();
  };
  out.on('error', onError);
  try {
    // Not destroyed by leaving the loop (that would be an AbortError, logged by the query as
    // a failed export): destroyed below, without an error.
    for await (const chunk of source.iterator({ destroyOnReturn: false })) {
      if (failure) break;
      if (!out.write(chunk as Buffer)) await Promise.race([once(out, 'drain'), stopped]);
    }
  } finally {
    out.off('error', onError);
    source.destroy();
  }
  if (failure && failure.code !== 'EPIPE') throw failure;
}
