import 'reflect-metadata';
import { InvalidConfigError, parseEnv } from '@keel/core';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/**
 * Starts a worker: job processors and the outbox relay, scaled apart from the API.
 * On SIGTERM it stops taking jobs; a running job stops after its current batch and goes
 * back to the queue, where another worker resumes it from its checkpoint.
 */
async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv();
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (!env.jobs.runWorkers) {
    process.stderr.write('RUN_WORKERS=false: a worker with no workers has nothing to do.\n');
    process.exit(1);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.flushLogs();
  await app.init();
  logger.log(
    `Keel worker running (${env.redis.url ? 'BullMQ on Redis' : 'in-process queue'})`,
    'Bootstrap',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: handing back running jobs`, 'Shutdown');
    const forced = setTimeout(() => {
      logger.error('shutdown timed out; exiting', 'Shutdown');
      process.exit(1);
    }, env.app.shutdownTimeoutMs);
    forced.unref();
    await app.close();
    logger.log('stopped', 'Shutdown');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop(signal));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Keel worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
