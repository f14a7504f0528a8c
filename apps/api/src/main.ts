import './tracing';
import 'reflect-metadata';
import {
  createProcessLogger,
  exitOnStartFailure,
  parseEnvOrExit,
  serveClusterMetrics,
} from '@keel/core';
import { DATABASE_START_ATTEMPTS } from '@keel/database';
import cluster from 'node:cluster';
import { startApi } from './server';

/**
 * Starts the API. With WEB_CONCURRENCY > 1 (full profile) a primary process forks
 * that many workers sharing the port; each is a complete, stateless Keel instance.
 */
const logger = createProcessLogger('Cluster');

async function main(): Promise<void> {
  const env = parseEnvOrExit();

  if (cluster.isPrimary && env.app.webConcurrency > 1) {
    if (env.database.url === undefined) {
      logger.warn(
        'WEB_CONCURRENCY > 1 needs DATABASE_URL: the embedded profile keeps its cache, rate limits and event fan-out in one process. Starting one.',
      );
    } else {
      return runPrimary(env.app.webConcurrency, env.app.metricsPort, env.app.host);
    }
  }
  await startApi().catch((error: unknown) =>
    exitOnStartFailure(error, {
      name: 'Keel API',
      databaseUrl: env.database.url,
      attempts: DATABASE_START_ATTEMPTS,
    }),
  );
}

async function runPrimary(workers: number, metricsPort: number, host: string): Promise<void> {
  let stopping = false;
  let exitCode = 0;
  // One scrape target per pod: the primary answers with the sum of its workers' figures
  // (prom-client's AggregatorRegistry asks each worker over the cluster channel).
  const metrics = metricsPort > 0 ? await serveClusterMetrics(metricsPort, host) : undefined;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      // Killed by the SIGTERM sent below: it was still starting, with nothing to drain.
      if (code !== 0 && signal !== 'SIGTERM') exitCode = 1;
      logger.info({ workerPid: worker.process.pid, code, signal }, 'worker stopped');
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        metrics?.close();
        process.exit(exitCode);
      }
      return;
    }
    logger.error(
      { workerPid: worker.process.pid, code, signal },
      'worker exited; starting another',
    );
    cluster.fork();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    });
  }
}

main().catch((error: unknown) =>
  exitOnStartFailure(error, { name: 'Keel API', databaseUrl: undefined, attempts: 0 }),
);
