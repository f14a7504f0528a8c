import { isDatabaseUnavailable } from '../errors/database-unavailable';
import { createProcessLogger } from '../logging/logger-options';

export interface StartContext {
  /** What failed to start, for the message: `Keel API`, `Keel worker`. */
  name: string;
  /** DATABASE_URL as configured (absent: the embedded database). */
  databaseUrl: string | undefined;
  /** Connection attempts made before giving up. */
  attempts: number;
}

/**
 * Logs why a process could not start, as one JSON line that names the setting at fault
 * when there is one, and exits 1.
 */
export function exitOnStartFailure(error: unknown, context: StartContext): never {
  const logger = createProcessLogger('Bootstrap');
  if (context.databaseUrl !== undefined && isDatabaseUnavailable(error)) {
    const url = redactPassword(context.databaseUrl);
    logger.fatal(
      { err: error, setting: 'DATABASE_URL', databaseUrl: url, attempts: context.attempts },
      `${context.name} cannot start: the database at DATABASE_URL (${url}) did not answer ${context.attempts} connection attempts`,
    );
  } else if (error instanceof Error && error.name === 'EmbeddedPostgresError') {
    // The embedded database's errors say what to change (DATA_DIR, the user, DATABASE_URL).
    logger.fatal({ err: error }, `${context.name} cannot start: ${error.message}`);
  } else {
    logger.fatal({ err: error }, `${context.name} failed to start`);
  }
  process.exit(1);
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
