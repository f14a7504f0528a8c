import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';
import { cliLogger } from './cli-logger';
import { reportFailure } from './cli-errors';
import { CliSettings } from './cli-settings';

/**
 * `keel`: Keel's command line. `--verbose` anywhere on the line shows Keel's info and
 * debug logs (stderr); without it only warnings and errors appear there.
 */
async function main(): Promise<void> {
  const argv = process.argv.filter((arg) => arg !== '--verbose');
  const settings = new CliSettings(argv.length !== process.argv.length);
  // commander names the program after argv[1] (main.js) in its usage lines.
  process.argv = [argv[0] ?? 'node', 'keel', ...argv.slice(2)];
  await CommandFactory.run(CliModule.register(settings), {
    cliName: 'keel',
    logger: cliLogger(settings.verbose ? 'debug' : 'error'),
    serviceErrorHandler: (error) => reportFailure(error, settings.verbose),
  });
}

main().catch((error: unknown) => reportFailure(error, process.argv.includes('--verbose')));
