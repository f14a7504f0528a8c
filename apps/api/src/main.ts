import 'reflect-metadata';
import { parseEnvOrExit } from '@keel/core';
import cluster from 'node:cluster';
import { startApi } from './server';

/**
 * Starts the API. With WEB_CONCURRENCY > 1 (full profile) a primary process forks
 * that many workers sharing the port; each is a complete, stateless Keel instance.
 */
async function main(): Promise<void> {
  const env = parseEnvOrExit();

  if (cluster.isPrimary && env.app.webConcurrency > 1) {
    if (env.database.url === undefined) {
      process.stderr.write(
        'WEB_CONCURRENCY > 1 needs DATABASE_URL: the embedded database belongs to one process. Starting one.\n',
      );
    } else {
      return runPrimary(env.app.webConcurrency);
    }
  }
  await startApi();
}

function runPrimary(workers: number): void {
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(
      `worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`,
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

main().catch((error: unknown) => {
  process.stderr.write(
    `Keel failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
