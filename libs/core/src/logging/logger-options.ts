import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequestId } from '../http/request-context';

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
 * (from the request context, no per-request child logger), and secrets are redacted.
 */
export function appLoggerOptions(level: string): LoggerOptions {
  return {
    ...baseOptions(level),
    mixin: () => {
      const reqId = currentRequestId();
      return reqId === undefined ? {} : { reqId };
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
