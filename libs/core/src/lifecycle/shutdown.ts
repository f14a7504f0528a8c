import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { stopTracing } from '../tracing/tracing';

export interface ShutdownOptions {
  logger: LoggerService;
  /** Hard limit for the whole shutdown, counted from the signal; past it the process exits 1. */
  timeoutMs: number;
  /** What happens first, for example failing readiness and waiting for the load balancer. */
  beforeClose?: () => Promise<void>;
}

const TRACES_FLUSH_MS = 2_000;

/**
 * On SIGTERM or SIGINT (once): `beforeClose`, then `app.close()` (Nest's shutdown hooks),
 * then the last spans are flushed (see tracing.ts), then exit 0; exit 1 if all of it takes
 * longer than `timeoutMs` from the signal, which is what an orchestrator's grace period
 * counts too.
 */
export function closeOnSignals(app: INestApplicationContext, options: ShutdownOptions): void {
  const { logger } = options;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: stopping`, 'Shutdown');
    const forced = setTimeout(() => {
      logger.error('shutdown timed out; exiting', undefined, 'Shutdown');
      process.exit(1);
    }, options.timeoutMs);
    forced.unref();
    await options.beforeClose?.();
    await app.close();
    logger.log('stopped', 'Shutdown');
    // The last spans (this shutdown's included) go out, within a short bound of their own.
    await stopTracing(TRACES_FLUSH_MS);
    process.exit(0);
  };
  // `on`, not `once`: a second signal while stopping (Ctrl-C twice, or a terminal's SIGINT and a
  // watcher's forwarded one) would otherwise find no handler and kill the process mid-close,
  // leaving the embedded Postgres behind.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => void stop(signal));
  }
}
