import 'reflect-metadata';
import { closeOnSignals, parseEnvOrExit } from '@keel/core';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/**
 * Starts a worker: job processors and the outbox relay, scaled apart from the API.
 * On SIGTERM it stops taking jobs; a running job stops after its current batch and goes
 * back to the queue, where another worker resumes it from its checkpoint.
 */
async function main(): Promise<void> {
  const env = parseEnvOrExit();
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

  // A running job stops after its current batch and goes back to the queue.
  closeOnSignals(app, { logger, timeoutMs: env.app.shutdownTimeoutMs });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Keel worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
