import { InvalidConfigError, loadDotEnv, overrideEnv, parseEnv, type KeelEnv } from '@keel/core';
import { runningEmbeddedPostgres } from '@keel/database';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { cliLogger } from './cli-logger';
import { CommandFailedError } from './cli-errors';

/**
 * Where this command's database is:
 * - `url`: DATABASE_URL (full profile, or any Postgres);
 * - `attached`: the embedded server of a Keel API running on the same DATA_DIR;
 * - `own`: the embedded server in DATA_DIR, started for this command and stopped after it.
 */
export type DatabaseMode = 'url' | 'attached' | 'own';

export interface KeelContext {
  app: INestApplicationContext;
  mode: DatabaseMode;
  env: KeelEnv;
  close(): Promise<void>;
}

export interface OpenOptions {
  verbose: boolean;
  /** Apply pending migrations at start, as the API does (off for `keel migrate`). */
  migrate: boolean;
}

/** Connections a command needs beside a running API, whose embedded server has few spare. */
const ATTACHED_POOL_SIZE = 3;

/**
 * Starts Keel's modules (not an HTTP server) for one command, with the API's configuration
 * and a few settings that make a command a guest rather than a server: no metrics
 * listener, no job workers, outbox relay or webhook deliveries (a running API or worker does
 * them), and no second embedded server on a DATA_DIR whose API is running: its server is
 * used instead. The settings are placed in the environment before the configuration
 * namespaces read it, so every module sees the same values.
 */
export async function openKeel(module: Type, options: OpenOptions): Promise<KeelContext> {
  loadDotEnv();
  const env = readEnv();
  const settings: Record<string, string> = { METRICS_PORT: '0', RUN_WORKERS: 'false' };
  if (!options.migrate) settings.RUN_MIGRATIONS = 'false';
  let mode: DatabaseMode = 'url';
  if (env.database.url === undefined) {
    const running = await runningEmbeddedPostgres(env.app.dataDir);
    if (running === undefined) {
      mode = 'own';
    } else {
      mode = 'attached';
      settings.DATABASE_URL = running;
      settings.DATABASE_POOL_SIZE = String(Math.min(env.database.poolSize, ATTACHED_POOL_SIZE));
    }
  }
  const configured = overrideEnv(settings);

  // Initialised here (migrations, connections); a failure throws, and the embedded server it
  // may have started stops with this process (see EmbeddedPostgres).
  const app = await NestFactory.createApplicationContext(module, {
    logger: cliLogger(options.verbose ? 'debug' : 'warn'),
    abortOnError: false,
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  // Ctrl-C: close (the embedded server stops, a job run here is handed back), then exit.
  const interrupt = () => {
    process.stderr.write('keel: interrupted; stopping\n');
    void close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  return { app, mode, env: configured, close };
}

function readEnv(): KeelEnv {
  try {
    return parseEnv();
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    throw new CommandFailedError(error.message);
  }
}

/** Runs `work` with Keel started, and always stops it (and its embedded server) after. */
export async function withKeel<T>(
  module: Type,
  options: OpenOptions,
  work: (keel: KeelContext) => Promise<T>,
): Promise<T> {
  const keel = await openKeel(module, options);
  try {
    return await work(keel);
  } finally {
    await keel.close();
  }
}
