import { reportFailure } from './cli-errors';

/** Set from the command line before any command runs (`--verbose` anywhere on it). */
export class CliSettings {
  constructor(readonly verbose: boolean) {}

  /** Runs a command's body; a failure is printed (no stack unless --verbose) and sets the exit code. */
  async run(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      reportFailure(error, this.verbose);
    }
  }
}
