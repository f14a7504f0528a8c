import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '@keel/core';

type NestLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';
const RANK: Record<NestLevel, number> = {
  fatal: 0,
  error: 1,
  warn: 2,
  log: 3,
  debug: 4,
  verbose: 5,
};
const THRESHOLD: Record<LogLevel, number> = {
  silent: -1,
  fatal: 0,
  error: 1,
  warn: 2,
  info: 3,
  debug: 4,
  trace: 5,
};

/**
 * Start-up notices meant for whoever runs the server, not for a command: the CLI turns
 * workers off itself, and it issues no tokens.
 */
const SERVER_NOTICES = [/^RUN_WORKERS=false without REDIS_URL/, /^JWT_SECRET is not set/];

/**
 * The CLI's logger: short human lines on stderr, so that stdout carries only a command's
 * output (an export is data). Nest's and the libraries' lines arrive here as
 * (message, ...params, context); pino-style calls put an object with `err` first.
 */
export function cliLogger(level: LogLevel): LoggerService {
  const write =
    (nestLevel: NestLevel) =>
    (message: unknown, ...params: unknown[]): void => {
      if (RANK[nestLevel] > THRESHOLD[level]) return;
      const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
      let text: string;
      if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
        const detail = (message as { err?: unknown }).err;
        const said = params.length > 1 && typeof params[0] === 'string' ? params[0] : '';
        text = [said, detail instanceof Error ? detail.message : ''].filter(Boolean).join(': ');
        if (text === '') text = JSON.stringify(message);
      } else {
        text = message instanceof Error ? message.message : String(message);
      }
      if (!showsInfo(level)) {
        if (SERVER_NOTICES.some((notice) => notice.test(text))) return;
        // Nest's report of a failed start: the command reports the same error itself.
        if (context === 'ExceptionHandler') return;
      }
      process.stderr.write(`keel: ${nestLevel}${context ? ` [${context}]` : ''} ${text}\n`);
    };
  return {
    fatal: write('fatal'),
    error: write('error'),
    warn: write('warn'),
    log: write('log'),
    debug: write('debug'),
    verbose: write('verbose'),
  };
}

function showsInfo(level: LogLevel): boolean {
  return THRESHOLD[level] >= THRESHOLD.info;
}
