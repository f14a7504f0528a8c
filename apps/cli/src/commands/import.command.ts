import { GetJobQuery, JobQueue, type JobResponseDto } from '@keel/jobs';
import { IMPORT_FORMATS, StartImportCommand, type ImportFormat } from '@keel/items';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandFailedError, EXIT, oneOf, UsageError } from '../cli-errors';
import { CliSettings } from '../cli-settings';
import { JobProgress } from '../job-progress';
import { withKeel, type DatabaseMode } from '../keel-context';
import { KeelAppModule } from '../keel.module';
import { resolveOwner } from '../owner';

interface ImportOptions {
  owner?: string;
  format?: ImportFormat;
}

const POLL_MS = 200;
/** A job still queued after this long gets a word on who should be running it. */
const QUEUED_HINT_MS = 10_000;

const BY_EXTENSION: Record<string, ImportFormat> = {
  '.csv': 'csv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
};

@Command({
  name: 'import',
  arguments: '<file>',
  argsDescription: { file: 'a CSV or NDJSON file of items (name, price, description)' },
  description:
    'import items through the same job as POST /v1/items/imports, and follow it to the end',
})
export class ImportCommand extends CommandRunner {
  constructor(private readonly cli: CliSettings) {
    super();
  }

  @Option({
    flags: '--owner <email>',
    description: 'who owns the items (default: the first admin)',
  })
  parseOwner(value: string): string {
    return value;
  }

  @Option({
    flags: '--format <format>',
    description: 'csv or ndjson (default: from the file name)',
    choices: [...IMPORT_FORMATS],
  })
  parseFormat(value: string): ImportFormat {
    return oneOf('--format', IMPORT_FORMATS, value);
  }

  run([file]: string[], options: ImportOptions): Promise<void> {
    return this.cli.run(async () => {
      if (!file) throw new UsageError('import needs a file');
      const format = options.format ?? BY_EXTENSION[extname(file).toLowerCase()];
      if (format === undefined) {
        throw new UsageError(
          `cannot tell the format of ${file} from its name: pass --format csv or --format ndjson`,
        );
      }
      let bytes: number;
      try {
        bytes = statSync(file).size;
      } catch (error) {
        throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
      }
      await withKeel(
        KeelAppModule,
        { migrate: true, verbose: this.cli.verbose },
        async ({ app, mode }) => {
          const owner = await resolveOwner(app, options.owner);
          const job = await app
            .get(CommandBus)
            .execute(new StartImportCommand(owner, format, createReadStream(file), bytes));
          process.stderr.write(
            `import job ${job.id} queued (${bytes} bytes, owner ${owner.email})\n`,
          );
          // Embedded, nobody else on this DATA_DIR: this process is the only one that can run it.
          if (mode === 'own') await app.get(JobQueue).startWorkers();
          const progress = new JobProgress();
          const queries = app.get(QueryBus);
          const queuedSince = performance.now();
          let hinted = false;
          let current: JobResponseDto = job;
          while (current.state === 'queued' || current.state === 'running') {
            progress.show(current);
            if (
              !hinted &&
              current.state === 'queued' &&
              performance.now() - queuedSince > QUEUED_HINT_MS
            ) {
              hinted = true;
              progress.done();
              process.stderr.write(`${queuedHint(mode)}\n`);
            }
            await sleep(POLL_MS);
            current = await queries.execute(new GetJobQuery(owner, job.id));
          }
          progress.show(current);
          progress.done();
          report(current, progress.rowsPerSecond(current));
          if (current.state !== 'succeeded') {
            throw new CommandFailedError(
              `import ${current.state}: ${current.reason ?? 'no reason given'}`,
            );
          }
          if (current.failed > 0) process.exitCode = EXIT.refusedRows;
        },
      );
    });
  }
}

function queuedHint(mode: DatabaseMode): string {
  switch (mode) {
    case 'attached':
      return 'still queued: the Keel API running on this DATA_DIR picks it up (it looks every 5 s)';
    case 'url':
      return 'still queued: jobs run in a Keel API or worker with RUN_WORKERS on; is one running against this database and Redis?';
    case 'own':
      return 'still queued: other jobs run first';
  }
}

/** The outcome on stdout: counts, speed, and each refused row by its line in the file. */
function report(job: JobResponseDto, rowsPerSecond: number | undefined): void {
  const rate = rowsPerSecond === undefined ? '' : `, ${Math.round(rowsPerSecond)} rows/s`;
  process.stdout.write(
    `import ${job.id} ${job.state}: ${job.processed} rows, ${job.succeeded} stored, ${job.failed} refused${rate}\n`,
  );
  for (const error of job.errors) process.stdout.write(`  line ${error.line}: ${error.message}\n`);
  if (job.failed > job.errors.length) {
    process.stdout.write(`  ... and ${job.failed - job.errors.length} more refused rows\n`);
  }
}
