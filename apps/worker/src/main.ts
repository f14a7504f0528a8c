import './tracing';
import 'reflect-metadata';
import {
  closeOnSignals,
  createNestProcessLogger,
  exitOnStartFailure,
  parseEnvOrExit,
  withQuietFramework,
  type KeelEnv,
} from '@keel/core';
import { DATABASE_START_ATTEMPTS } from '@keel/database';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

/**
 * Starts a worker: job processors and the outbox relay, scaled apart from the API.
 * On SIGTERM it stops taking jobs; a running job stops after its current batch and goes
 * back to the queue, where another worker resumes it from its checkpoint.
 */
async function main(env: KeelEnv): Promise<void> {
  if (!env.jobs.runWorkers) {
    throw new Error('RUN_WORKERS=false: a worker with no workers has nothing to do');
  }
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    bufferLogs: true,
    // JSON lines from the start, and a failure to start is rethrown below, not an abort.
    logger: createNestProcessLogger(env.app.logLevel),
    abortOnError: false,
  });
  const logger = app.get(Logger);
  app.useLogger(withQuietFramework(logger));
  app.flushLogs();
  await app.init();
  logger.log(
    `Keel worker running (${env.redis.url ? 'BullMQ on Redis' : 'in-process queue'})`,
    'Bootstrap',
  );

  // A running job stops after its current batch and goes back to the queue.
  closeOnSignals(app, { logger, timeoutMs: env.app.shutdownTimeoutMs });
}

const env = parseEnvOrExit();
main(env).catch((error: unknown) =>
  exitOnStartFailure(error, {
    name: 'Keel worker',
    databaseUrl: env.database.url,
    attempts: DATABASE_START_ATTEMPTS,
  }),
);
