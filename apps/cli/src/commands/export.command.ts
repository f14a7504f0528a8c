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
import { pipeline } from 'node:stream/promises';
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
        try {
          // Pulled: the next batch is read when stdout has taken the last one.
          await pipeline(file.getStream(), process.stdout, { end: false });
        } catch (error) {
          // `keel export | head`: the reader has gone, which is not a failure.
          if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
        }
      }),
    );
  }
}
