import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequestId } from '../http/request-context';
import { currentTraceIds } from '../tracing/trace-context';

/** The JSON line format shared by every logger: level names, ISO time, service and pid. */
function baseOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'keel', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
}

/**
 * The application logger: a line written while a request is served carries its `reqId`
 * (from the request context, no per-request child logger), one written inside a span its
 * `traceId` and `spanId`, and secrets are redacted.
 */
export function appLoggerOptions(level: string): LoggerOptions {
  return {
    ...baseOptions(level),
    mixin: () => {
      const reqId = currentRequestId();
      const trace = currentTraceIds();
      if (trace === undefined) return reqId === undefined ? {} : { reqId };
      return reqId === undefined ? trace : { reqId, ...trace };
    },
    redact: ['*.password', '*.refreshToken'],
  };
}

/**
 * The access log: one line per response, written from a Fastify hook. Its lines are built
 * here from known fields, so it needs neither the redaction nor the context lookup.
 */
export function createAccessLogger(level: string, destination?: DestinationStream): Logger {
  const logger = destination ? pino(baseOptions(level), destination) : pino(baseOptions(level));
  return logger.child({ context: 'Http' });
}

/**
 * For lines written where Nest's logger is not available: start-up failures and the cluster
 * primary. Written to stderr synchronously, so the line is out before the process exits.
 */
export function createProcessLogger(context: string, level = 'info'): Logger {
  return pino(baseOptions(level), pino.destination({ fd: 2, sync: true })).child({ context });
}

type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
const PINO_LEVELS = {
  log: 'info',
  error: 'error',
  warn: 'warn',
  debug: 'debug',
  verbose: 'trace',
  fatal: 'fatal',
} as const;

/**
 * Nest's logger until the app's own takes over, and when the app fails before it does: Nest
 * then flushes what it buffered (a retried database connection, its own error) here, as
 * JSON lines, instead of to its colour-coded console logger.
 */
export function createNestProcessLogger(level: string): LoggerService {
  const logger = createProcessLogger('Nest', level);
  const write =
    (nestLevel: NestLevel) =>
    (message: unknown, ...params: unknown[]): void => {
      // Nest passes (message, context) and, for errors, (message, stack, context).
      const context = params.length > 0 ? params.at(-1) : undefined;
      const stack = params.length > 1 ? params[0] : undefined;
      const text = message instanceof Error ? message.message : String(message);
      logger[PINO_LEVELS[nestLevel]]({ nestContext: context, stack }, text);
    };
  return {
    log: write('log'),
    error: write('error'),
    warn: write('warn'),
    debug: write('debug'),
    verbose: write('verbose'),
    fatal: write('fatal'),
  };
}

/** Nest's own start-up lines: one per module and route, a hundred on every start. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * The app's logger as Nest's: what Keel logs passes unchanged, while Nest's own start-up
 * lines (modules initialised, routes mapped) are debug, not info, so a start shows what a
 * person needs (migrations, warnings, where the API answers). `LOG_LEVEL=debug` shows them.
 */
export function withQuietFramework(logger: LoggerService): LoggerService {
  return {
    log: (message: unknown, ...params: unknown[]) => {
      const context = params.at(-1);
      if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) {
        logger.debug?.(message, ...params);
      } else {
        logger.log(message, ...params);
      }
    },
    error: (message: unknown, ...params: unknown[]) => {
      logger.error(message, ...params);
    },
    warn: (message: unknown, ...params: unknown[]) => {
      logger.warn(message, ...params);
    },
    debug: (message: unknown, ...params: unknown[]) => {
      logger.debug?.(message, ...params);
    },
    verbose: (message: unknown, ...params: unknown[]) => {
      logger.verbose?.(message, ...params);
    },
    fatal: (message: unknown, ...params: unknown[]) => {
      logger.fatal?.(message, ...params);
    },
  };
}
