import type { INestApplicationContext, LoggerService } from '@nestjs/common';

export interface ShutdownOptions {
  logger: LoggerService;
  /** Hard limit for the whole shutdown, counted from the signal; past it the process exits 1. */
  timeoutMs: number;
  /** What happens first, for example failing readiness and waiting for the load balancer. */
  beforeClose?: () => Promise<void>;
}

/**
 * On SIGTERM or SIGINT (once): `beforeClose`, then `app.close()` (Nest's shutdown hooks),
 * then exit 0; exit 1 if all of it takes longer than `timeoutMs` from the signal, which is
 * what an orchestrator's grace period counts too.
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
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop(signal));
  }
}
