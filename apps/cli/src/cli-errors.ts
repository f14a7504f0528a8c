import { DomainError } from '@keel/core';

/** Exit codes: 0 done, 1 failed, 2 the command line is wrong, 3 an import finished with refused rows. */
export const EXIT = { ok: 0, failed: 1, usage: 2, refusedRows: 3 } as const;

/** A command line that cannot work as given: the message says what to change (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that ran and failed for a reason the message states (exit 1, no stack). */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

/** Prints why a command failed, on stderr, and sets the exit code. */
export function reportFailure(error: unknown, verbose: boolean): void {
  if (error instanceof UsageError) {
    process.stderr.write(`keel: ${error.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  if (error instanceof DomainError) {
    const fields = (error.errors ?? []).map((e) => `\n  ${e.field || 'input'}: ${e.message}`);
    process.stderr.write(`keel: ${error.message} (${error.code})${fields.join('')}\n`);
    process.exitCode = error.kind === 'validation' ? EXIT.usage : EXIT.failed;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  // A stack helps with a bug, not with a failure the message already explains.
  const explained =
    error instanceof CommandFailedError || (error as Error).name === 'EmbeddedPostgresError';
  const stack = verbose && error instanceof Error && !explained ? `\n${error.stack ?? ''}` : '';
  process.stderr.write(`keel: ${message}${stack}\n`);
  process.exitCode = EXIT.failed;
}

/**
 * An option's value checked against its choices. nest-commander replaces commander's own
 * choice check with the option's parse method, so each such method calls this.
 */
export function oneOf<T extends string>(flag: string, allowed: readonly T[], value: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
}
